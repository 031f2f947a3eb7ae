// A host's inventory (users, groups, services, executables, packages, listening ports, kernel modules, the host) now
// or as it was at a time, and what changed on it since a time: inventory diffs and change records with their diffs.

import { useMemo, useState } from 'react';
import { query } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { Badge, Empty, ErrorBox, Loading } from './ui.js';
import { VirtualTable, cellText, type Column } from './virtual-table.js';
import { formatTime } from '../lib/time.js';

type Row = Record<string, unknown>;

interface InventoryAnswer {
  host_id: string;
  at: string | null;
  tables: Record<string, { rows: Row[]; count: number; total: number; collected_at: string | null }>;
}

interface ChangesAnswer {
  since: string;
  until: string;
  inventory: { at: string; table: string; key: string; change: string; before: Row | null; after: Row | null; fields: string[] }[];
  records: (Row & { acting_process?: { pid: number; name?: string; command_line?: string; user?: string } })[];
  truncated: { inventory: boolean; records: boolean };
  baseline_omitted: number;
}

const hidden = new Set(['host.id']);
const isoFromLocal = (local: string) => (local ? new Date(local).toISOString() : undefined);
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

export function HostInventory({ hostId }: { hostId: string }) {
  const [at, setAt] = useState('');
  const [table, setTable] = useState('');
  const inventory = useResource<InventoryAnswer>(`/api/v1/hosts/${encodeURIComponent(hostId)}/inventory${query({ at: isoFromLocal(at), limit: 5000 })}`);
  const names = Object.keys(inventory.data?.tables ?? {}).sort();
  const current = table && inventory.data?.tables[table] ? table : (names[0] ?? '');
  const view = inventory.data?.tables[current];
  const columns = useMemo<Column[]>(() => {
    const keys = new Set<string>();
    for (const row of view?.rows ?? []) for (const key of Object.keys(row)) if (!hidden.has(key)) keys.add(key);
    return [...keys].map((name) => ({ name }));
  }, [view]);
  return (
    <div>
      <div className="toolbar">
        <label className="inline-field">
          Table{' '}
          <select value={current} onChange={(e) => setTable(e.target.value)} data-testid="inventory-table">
            {names.map((n) => (
              <option key={n} value={n}>
                {n.replace(/_/g, ' ')} ({inventory.data?.tables[n]?.total ?? 0})
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          As it was at <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
        </label>
        {view?.collected_at ? <span className="muted small">collected {formatTime(view.collected_at)}</span> : null}
      </div>
      <ErrorBox error={inventory.error} />
      {!inventory.data && inventory.loading ? <Loading what="inventory" /> : null}
      {inventory.data && !names.length ? <Empty>The agent has not reported an inventory yet.</Empty> : null}
      {view ? <VirtualTable label={`Inventory: ${current}`} columns={columns} rows={view.rows} height={420} /> : null}
    </div>
  );
}

export function HostChanges({ hostId }: { hostId: string }) {
  const [since, setSince] = useState(() => localInput(Date.now() - 86_400_000));
  const changes = useResource<ChangesAnswer>(since ? `/api/v1/hosts/${encodeURIComponent(hostId)}/changes${query({ since: isoFromLocal(since), limit: 1000 })}` : null);
  const c = changes.data;
  return (
    <div>
      <div className="toolbar">
        <label className="inline-field">
          Changes since <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} data-testid="changes-since" />
        </label>
        {c ? (
          <span className="muted small" role="status">
            {c.inventory.length} inventory changes, {c.records.length} change records{c.truncated.inventory || c.truncated.records ? ' (more exist: narrow the period)' : ''}
          </span>
        ) : null}
      </div>
      <ErrorBox error={changes.error} />
      {!c && changes.loading ? <Loading what="changes" /> : null}
      {c && !c.inventory.length && !c.records.length ? <Empty>Nothing changed in this period.</Empty> : null}
      {c?.records.length ? (
        <>
          <h3>Change records</h3>
          <ul className="plain" data-testid="change-records">
            {c.records.map((r) => (
              <li key={String(r['event.id'])}>
                <span className="small muted">{formatTime(String(r['@timestamp']))}</span> <Badge tone="tag">{`${String(r['event.category'])}/${String(r['event.action'])}`}</Badge> {cellText(r.message ?? r['file.path'])}
                {r.acting_process ? <span className="small muted"> by {r.acting_process.name ?? r.acting_process.pid} (pid {r.acting_process.pid}{r.acting_process.user ? `, ${r.acting_process.user}` : ''})</span> : null}
                {typeof r['change.diff'] === 'string' ? <pre className="code small">{r['change.diff']}</pre> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {c?.inventory.length ? (
        <>
          <h3>Inventory changes</h3>
          <table className="table" data-testid="inventory-changes">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Table</th>
                <th scope="col">Row</th>
                <th scope="col">Change</th>
                <th scope="col">What differs</th>
              </tr>
            </thead>
            <tbody>
              {c.inventory.map((t, i) => (
                <tr key={`${t.table}-${t.key}-${t.at}-${i}`}>
                  <td className="nowrap">{formatTime(t.at)}</td>
                  <td>{t.table.replace(/_/g, ' ')}</td>
                  <td><code className="mono-wrap">{t.key}</code></td>
                  <td>
                    <Badge tone={t.change === 'added' ? 'state-online' : t.change === 'removed' ? 'state-revoked' : 'warn'}>{t.change}</Badge>
                  </td>
                  <td className="small">
                    {t.change === 'modified'
                      ? t.fields.map((f) => `${f}: ${cellText(t.before?.[f]) || '∅'} → ${cellText(t.after?.[f]) || '∅'}`).join(' · ')
                      : t.fields.filter((f) => f !== 'inventory.collected' && f !== 'host.id').slice(0, 6).map((f) => `${f} ${cellText((t.after ?? t.before)?.[f])}`).join(' · ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}
