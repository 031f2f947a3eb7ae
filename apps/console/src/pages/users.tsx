// Users and access: console users with their roles, creating users, and API tokens for scripts and integrations
// (the secret is shown once). Needs users:manage.

import { useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import type { User } from '../api/types.js';
import { useSubmit } from '../api/use-action.js';
import { Card, ErrorBox, Notice, Page, Badge } from '../components/ui.js';
import { ListTable } from '../components/list-table.js';
import { formatTime } from '../lib/time.js';

const roles = ['admin', 'analyst', 'viewer', 'integration'] as const;
const roleHelp: Record<string, string> = {
  admin: 'everything, including users, enrollment and host revocation',
  analyst: 'triage alerts, manage rules and hunts, read everything else',
  viewer: 'read hosts, events, alerts, rules and integrations; change nothing',
  integration: 'push indicators and alerts, read alerts and metrics (for tokens)',
};

export default function UsersPage() {
  const users = useResource<User[]>('/api/v1/users');
  return (
    <Page title="Users and access">
      <div className="grid-2">
        <Card title="Users">
          <ErrorBox error={users.error} />
          <ListTable rows={users.data} columns={['User', 'Role', 'Created']} empty="No users." testId="users-table">
            {(u) => (
              <tr key={u.id}>
                <td>{u.username}</td>
                <td>
                  <Badge tone={`role-${u.role}`}>{u.role}</Badge>
                </td>
                <td>{formatTime(u.createdAt)}</td>
              </tr>
            )}
          </ListTable>
          <h3>Roles</h3>
          <dl className="kv compact">
            {roles.map((r) => (
              <div className="kv-row" key={r}>
                <dt>{r}</dt>
                <dd>{roleHelp[r]}</dd>
              </div>
            ))}
          </dl>
        </Card>
        <div className="stack">
          <CreateUser onCreated={users.reload} />
          <CreateToken />
        </div>
      </div>
    </Page>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<string>('analyst');
  const [message, setMessage] = useState<string | null>(null);
  const { error, onSubmit } = useSubmit(async () => {
    setMessage(null);
    const user = await api.post<User>('/api/v1/users', { username, password, role });
    setMessage(`${user.username} created (${user.role})`);
    setUsername('');
    setPassword('');
    onCreated();
  });
  return (
    <Card title="Create user">
      <form className="form-grid" onSubmit={onSubmit}>
        <label htmlFor="user-name">User name</label>
        <input id="user-name" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" required />
        <label htmlFor="user-password">Password (12+ characters)</label>
        <input id="user-password" type="password" value={password} minLength={12} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" required />
        <label htmlFor="user-role">Role</label>
        <select id="user-role" value={role} onChange={(e) => setRole(e.target.value)}>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <span />
        <div>
          <button type="submit" className="primary">
            Create user
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {message ? <Notice tone="success">{message}</Notice> : null}
    </Card>
  );
}

function CreateToken() {
  const [name, setName] = useState('');
  const [role, setRole] = useState<string>('integration');
  const [days, setDays] = useState(365);
  const [created, setCreated] = useState<{ token: string; expires_at: string | null; role: string } | null>(null);
  const { error, onSubmit } = useSubmit(async () => {
    setCreated(null);
    setCreated(await api.post('/api/v1/api-tokens', { name, role, ...(days > 0 ? { expires_in_s: days * 86400 } : {}) }));
  });
  return (
    <Card title="Create API token">
      <form className="form-grid" onSubmit={onSubmit}>
        <label htmlFor="token-name">Name</label>
        <input id="token-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} required placeholder="misp-feed" />
        <label htmlFor="token-role">Role</label>
        <select id="token-role" value={role} onChange={(e) => setRole(e.target.value)}>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <label htmlFor="token-days">Expires after (days, 0: never)</label>
        <input id="token-days" type="number" min={0} value={days} onChange={(e) => setDays(Math.max(0, Number(e.target.value) || 0))} />
        <span />
        <div>
          <button type="submit" className="primary">
            Create token
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {created ? (
        <Notice tone="success">
          Token for role {created.role} (shown only now{created.expires_at ? `, expires ${formatTime(created.expires_at)}` : ''}):
          <pre className="code" data-testid="api-token">
            {created.token}
          </pre>
        </Notice>
      ) : null}
    </Card>
  );
}
