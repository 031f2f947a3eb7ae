// Small shared building blocks of the console: page frame, badges, messages, modal dialog, tabs and buttons.
// Everything is keyboard reachable with a visible focus; status changes are announced (role=status / role=alert).

import { useEffect, useId, useRef, useState, type ReactNode, type KeyboardEvent } from 'react';
import { ApiError, api, errorMessage } from '../api/client.js';
import { setSearchParam, takeFocusRequest } from '../router.js';

export function Page({ title, actions, children, subtitle }: { title: string; subtitle?: ReactNode; actions?: ReactNode; children: ReactNode }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Vigil`;
  }, [title]);
  useEffect(() => {
    if (takeFocusRequest()) headingRef.current?.focus({ preventScroll: true });
  }, []);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <div>
          <h1 id="page-title" tabIndex={-1} ref={headingRef}>
            {title}
          </h1>
          {subtitle ? <div className="page-subtitle">{subtitle}</div> : null}
        </div>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Badge({ tone, children, title }: { tone: string; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export const LevelBadge = ({ level }: { level: string }) => <Badge tone={`level-${level}`}>{level}</Badge>;
export const StatusBadge = ({ status }: { status: string }) => <Badge tone={`status-${status}`}>{status.replace('_', ' ')}</Badge>;
export const StateBadge = ({ state }: { state: string }) => <Badge tone={`state-${state}`}>{state}</Badge>;

export function Loading({ what = 'data' }: { what?: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const details = error instanceof ApiError ? (error.body.details ?? []) : [];
  return (
    <div className="error-box" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {errorMessage(error)}
      {details.length > 1 || (details[0] && details[0].message !== errorMessage(error)) ? (
        <ul className="problems">
          {details.slice(0, 20).map((d, i) => (
            <li key={i}>
              {d.location ? <code className="mono">{Object.values(d.location).join(':')}</code> : null} {d.message}
            </li>
          ))}
          {details.length > 20 ? <li>… {details.length - 20} more</li> : null}
        </ul>
      ) : null}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warning' }) {
  return (
    <div className={`notice notice-${tone}`} role="status">
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Stat({ label, value, hint, tone, testId }: { label: string; value: ReactNode; hint?: ReactNode; tone?: string; testId?: string }) {
  return (
    <div className={`stat${tone ? ` stat-${tone}` : ''}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint ? <div className="stat-hint">{hint}</div> : null}
    </div>
  );
}

export function Card({ title, children, actions, className }: { title: string; children: ReactNode; actions?: ReactNode; className?: string }) {
  const id = useId();
  return (
    <section className={`card${className ? ` ${className}` : ''}`} aria-labelledby={id}>
      <header className="card-header">
        <h2 id={id}>{title}</h2>
        {actions}
      </header>
      <div className="card-body">{children}</div>
    </section>
  );
}

/** A modal dialog (native <dialog>: focus stays inside, Escape closes). */
export function Modal({ title, onClose, children, footer }: { title: string; onClose: () => void; children: ReactNode; footer?: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    const previous = document.activeElement as HTMLElement | null;
    return () => previous?.focus?.();
  }, []);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-labelledby={id}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={id}>{title}</h2>
      <div className="modal-body">{children}</div>
      {footer ? <div className="modal-footer">{footer}</div> : null}
    </dialog>
  );
}

/** Asks before a consequential action; `confirm` runs the action and shows its error in the dialog. */
export function ConfirmDialog({ title, children, confirmLabel, danger, onConfirm, onClose }: { title: string; children: ReactNode; confirmLabel: string; danger?: boolean; onConfirm: () => Promise<void>; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'danger' : 'primary'}
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await onConfirm();
                onClose();
              } catch (reason) {
                setError(reason);
                setBusy(false);
              }
            }}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </>
      }
    >
      {children}
      <ErrorBox error={error} />
    </Modal>
  );
}

/** Asks before deleting one item with `DELETE path`; `onDeleted` runs after the server confirmed (usually a reload). */
export function DeleteDialog({ title, confirmLabel = 'Delete', path, onDeleted, onClose, children }: { title: string; confirmLabel?: string; path: string; onDeleted: () => void; onClose: () => void; children: ReactNode }) {
  return (
    <ConfirmDialog
      title={title}
      confirmLabel={confirmLabel}
      danger
      onClose={onClose}
      onConfirm={async () => {
        await api.del(path);
        onDeleted();
      }}
    >
      {children}
    </ConfirmDialog>
  );
}

/** A row's small red button that opens the row's delete (or remove, revoke) confirmation. */
export function DeleteButton({ onClick, children = 'Delete' }: { onClick: () => void; children?: ReactNode }) {
  return (
    <button type="button" className="small danger" onClick={onClick}>
      {children}
    </button>
  );
}

/** Tabs whose choice is kept in the URL search parameter `param`; choosing `fallback` (the default tab) removes it. */
export function UrlTabs({ label, tabs, active, fallback, param = 'tab' }: { label: string; tabs: readonly TabItem[]; active: string; fallback: string; param?: string }) {
  return <Tabs label={label} tabs={tabs} active={active} onChange={(next) => setSearchParam(param, next === fallback ? null : next)} />;
}

/** A toolbar holding one primary button (the list's "add" action). */
export function ToolbarAction({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <div className="toolbar">
      <button type="button" className="primary" onClick={onClick}>
        {label}
      </button>
    </div>
  );
}

export interface TabItem {
  id: string;
  label: string;
  hidden?: boolean;
}

/** WAI-ARIA tabs: arrow keys move between tabs, the panel follows. */
export function Tabs({ tabs, active, onChange, label }: { tabs: readonly TabItem[]; active: string; onChange: (id: string) => void; label: string }) {
  const visible = tabs.filter((t) => !t.hidden);
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    const index = visible.findIndex((t) => t.id === active);
    const next = event.key === 'ArrowRight' ? index + 1 : event.key === 'ArrowLeft' ? index - 1 : event.key === 'Home' ? 0 : event.key === 'End' ? visible.length - 1 : null;
    if (next === null) return;
    event.preventDefault();
    const target = visible[(next + visible.length) % visible.length];
    if (target) {
      onChange(target.id);
      requestAnimationFrame(() => document.getElementById(`tab-${target.id}`)?.focus());
    }
  };
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {visible.map((tab) => (
        <button
          key={tab.id}
          id={`tab-${tab.id}`}
          type="button"
          role="tab"
          aria-selected={tab.id === active}
          aria-controls={`panel-${tab.id}`}
          tabIndex={tab.id === active ? 0 : -1}
          onClick={() => onChange(tab.id)}
          onKeyDown={onKeyDown}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ id, children }: { id: string; children: ReactNode }) {
  return (
    <div role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} className="tab-panel">
      {children}
    </div>
  );
}

export function Mono({ children, title }: { children: ReactNode; title?: string }) {
  return (
    <code className="mono" title={title}>
      {children}
    </code>
  );
}

/** Text that may be long: shown clipped, full in the tooltip. */
export function Clip({ text, max = 80 }: { text: string | null | undefined; max?: number }) {
  const value = text ?? '';
  return <span title={value.length > max ? value : undefined}>{value.length > max ? `${value.slice(0, max - 1)}…` : value || '–'}</span>;
}
