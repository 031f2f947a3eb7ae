// Login form: the only page without a session. Explains why it is shown (expired session, logged out) and returns
// to the page the user was on.

import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client.js';
import { useSession } from '../session.js';

export function LoginPage({ reason }: { reason: 'none' | 'expired' | 'logged_out' }) {
  const { login } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username, password);
    } catch (reason_) {
      setError(errorMessage(reason_));
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login-form" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="#0ea5e9" />
          </svg>
          Vigil
        </h1>
        {reason === 'expired' ? (
          <p className="notice notice-warning" role="status" data-testid="session-expired">
            Your session expired. Log in again to continue where you were.
          </p>
        ) : reason === 'logged_out' ? (
          <p className="notice notice-info" role="status">
            You are logged out.
          </p>
        ) : null}
        <label htmlFor="login-username">User name</label>
        <input id="login-username" name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        <label htmlFor="login-password">Password</label>
        <input id="login-password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        {error ? (
          <p className="error-box" role="alert" data-testid="login-error">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
