// Who is logged in and what they may do: loads the session (name, role, permissions) from the server, handles login,
// logout and expiry (any 401 or the known expiry time returns to the login form, keeping the page to come back to).

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, onUnauthenticated } from './api/client.js';
import type { LoginAnswer, PermissionsAnswer, SessionInfo } from './api/types.js';

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous'; reason: 'none' | 'expired' | 'logged_out' }
  | { status: 'ready'; info: SessionInfo; expiresAt: string | null };

interface SessionApi {
  state: SessionState;
  can: (permission: string) => boolean;
  /** Whether the server has this API route (`GET /api/v1/...` as registered, with :params). */
  hasRoute: (method: string, url: string) => boolean;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<SessionApi | null>(null);
export const SESSION_PATH = '/api/v1/auth/permissions';

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const stateRef = useRef(state);
  stateRef.current = state;

  const load = useCallback(async (expiresAt: string | null) => {
    const answer = await api.get<PermissionsAnswer>(SESSION_PATH);
    const info: SessionInfo = { name: answer.you.name, role: answer.you.role, permissions: answer.you.permissions, routes: new Set(answer.routes.map((r) => `${r.method} ${r.url}`)) };
    setState({ status: 'ready', info, expiresAt });
  }, []);

  useEffect(() => {
    onUnauthenticated(() => {
      if (stateRef.current.status === 'ready') setState({ status: 'anonymous', reason: 'expired' });
    });
    // The server marks the page when the browser has no valid session: then the login form shows without a
    // request that would fail with 401.
    if (document.querySelector('meta[name="vigil-session"]')?.getAttribute('content') === 'none') setState({ status: 'anonymous', reason: 'none' });
    else load(null).catch(() => setState({ status: 'anonymous', reason: 'none' }));
    return () => onUnauthenticated(null);
  }, [load]);

  // A session whose expiry is known ends on time even when the page makes no request.
  useEffect(() => {
    if (state.status !== 'ready' || !state.expiresAt) return;
    const remaining = Date.parse(state.expiresAt) - Date.now();
    const timer = setTimeout(() => setState({ status: 'anonymous', reason: 'expired' }), Math.max(0, Math.min(remaining, 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [state]);

  const login = useCallback(
    async (username: string, password: string) => {
      const answer = await api.post<LoginAnswer>('/api/v1/auth/login', { username, password });
      await load(answer.expires_at);
    },
    [load],
  );

  const logout = useCallback(async () => {
    try {
      await api.post('/api/v1/auth/logout', {});
    } finally {
      setState({ status: 'anonymous', reason: 'logged_out' });
    }
  }, []);

  const value = useMemo<SessionApi>(
    () => ({
      state,
      can: (permission) => state.status === 'ready' && state.info.permissions.includes(permission),
      hasRoute: (method, url) => state.status === 'ready' && state.info.routes.has(`${method} ${url}`),
      login,
      logout,
    }),
    [state, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** True when the logged-in principal has the permission. */
export function useCan(permission: string): boolean {
  return useSession().can(permission);
}
