// The console application: session gate (login form until a session exists), the frame (skip link, header with the
// user and role, navigation from nav.ts, main area) and routing of the current URL to its page.

import { Suspense, useMemo, useRef, useState } from 'react';
import { SessionProvider, useSession } from './session.js';
import { Link, matchPath, navigate, useLocation } from './router.js';
import { sections, type Section } from './nav.js';
import { useShortcuts } from './keyboard.js';
import { LoginPage } from './pages/login.js';
import { Modal, Page, Loading } from './components/ui.js';
import { ErrorBoundary } from './components/error-boundary.js';

export function App() {
  return (
    <SessionProvider>
      <Root />
    </SessionProvider>
  );
}

function Root() {
  const { state } = useSession();
  if (state.status === 'loading') return <div className="splash" role="status">Loading Vigil…</div>;
  if (state.status === 'anonymous') return <LoginPage reason={state.reason} />;
  return <Shell />;
}

function resolve(path: string, allowed: (s: Section) => boolean) {
  for (const section of sections) {
    for (const route of section.routes) {
      const params = matchPath(route.pattern, path);
      if (params) return { section, route, params, allowed: allowed(section) };
    }
  }
  return null;
}

function Shell() {
  const { state, can, hasRoute, logout } = useSession();
  const location = useLocation();
  const [help, setHelp] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const allowed = (s: Section) => [s.permission].flat().some(can) && (!s.requires || hasRoute(...(s.requires.split(' ') as [string, string])));
  const visible = useMemo(() => sections.filter(allowed), [can, hasRoute]); // eslint-disable-line react-hooks/exhaustive-deps
  const match = resolve(location.path, allowed);

  useShortcuts({
    go: (key) => {
      const target = visible.find((s) => s.shortcut === key);
      if (!target) return false;
      navigate(target.path);
      return true;
    },
    help: () => setHelp(true),
  });

  if (state.status !== 'ready') return null;
  const Page_ = match?.allowed ? match.route.page : null;
  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Vigil overview">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="#0ea5e9" />
          </svg>
          Vigil
        </Link>
        <div className="topbar-right">
          <button type="button" className="link-button" onClick={() => setHelp(true)} aria-keyshortcuts="?">
            Shortcuts
          </button>
          <span className="who" data-testid="who">
            <span className="who-name">{state.info.name}</span>
            <span className={`badge badge-role-${state.info.role}`} data-testid="role">
              {state.info.role}
            </span>
          </span>
          <button type="button" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {visible.map((section) => {
            const current = match?.section.id === section.id;
            return (
              <li key={section.id}>
                <Link to={section.path} aria-current={current ? 'page' : undefined} aria-keyshortcuts={`g ${section.shortcut}`} data-nav={section.id}>
                  <span>{section.label}</span>
                  <kbd aria-hidden="true">g {section.shortcut}</kbd>
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" className="main" tabIndex={-1} ref={mainRef}>
        <ErrorBoundary key={location.path}>
          <Suspense fallback={<Loading what="page" />}>
            {Page_ && match ? (
              <Page_ params={match.params} />
            ) : match ? (
              <Page title="Not allowed">
                <p>Your role ({state.info.role}) cannot open this page.</p>
              </Page>
            ) : (
              <Page title="Not found">
                <p>
                  Nothing lives at <code>{location.path}</code>. <Link to="/">Go to the overview</Link>.
                </p>
              </Page>
            )}
          </Suspense>
        </ErrorBoundary>
      </main>
      {help ? (
        <Modal title="Keyboard shortcuts" onClose={() => setHelp(false)} footer={<button type="button" onClick={() => setHelp(false)} autoFocus>Close</button>}>
          <table className="shortcuts">
            <tbody>
              <tr>
                <td><kbd>/</kbd></td>
                <td>Focus the search or query field of the page</td>
              </tr>
              <tr>
                <td><kbd>?</kbd></td>
                <td>Show this help</td>
              </tr>
              <tr>
                <td><kbd>Esc</kbd></td>
                <td>Leave a field, close a dialog or suggestion list</td>
              </tr>
              {visible.map((s) => (
                <tr key={s.id}>
                  <td><kbd>g</kbd> <kbd>{s.shortcut}</kbd></td>
                  <td>Go to {s.label}</td>
                </tr>
              ))}
              <tr>
                <td><kbd>Ctrl</kbd> + <kbd>Enter</kbd></td>
                <td>Run the hunt query (in the query editor)</td>
              </tr>
              <tr>
                <td><kbd>↑</kbd> <kbd>↓</kbd> <kbd>Enter</kbd></td>
                <td>Move through result rows and open one (in result tables)</td>
              </tr>
            </tbody>
          </table>
        </Modal>
      ) : null}
    </div>
  );
}
