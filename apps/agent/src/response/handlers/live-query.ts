// Agent handlers of live.processes, live.connections and live.listening (specs in @vigil/response/actions/collect).
// Read-only snapshots of /proc returned as rows in `details.rows`; never changes anything on the endpoint.

import type { ActionOutcome } from '@vigil/response';
import type { ActionHandler } from '../handler.js';
import { userNames } from './internal/accounts.js';
import { isListening, readSockets, socketOwners, type Protocol, type SocketRow } from './internal/netstat.js';
import { bootTimeMs, clockTicks, entityIdOf, readCmdline, readExe, readStatus, snapshot, type ProcStat } from './internal/procfs.js';

export type ProcessesArgs = { limit?: number; user?: string; name?: string };
export type ConnectionsArgs = { limit?: number; protocol?: Protocol; pid?: number };
export type ListeningArgs = { limit?: number; protocol?: Protocol };

export interface ProcessRow {
  pid: number;
  ppid: number;
  name: string;
  state: string;
  uid: number | null;
  user: string | null;
  exe: string | null;
  cmdline: string;
  start_time: string;
  start_ticks: number;
  entity_id: string;
}

export interface ConnectionRow extends SocketRow {
  pid: number | null;
  process: string | null;
  exe: string | null;
}

/** Rows of every process in /proc, sorted by pid. */
export function processRows(): ProcessRow[] {
  const names = userNames();
  const boot = bootTimeMs();
  const hz = clockTicks();
  const rows: ProcessRow[] = [];
  for (const stat of [...snapshot().values()].sort((a, b) => a.pid - b.pid)) {
    const uid = readStatus(stat.pid)?.uids[0];
    rows.push({
      pid: stat.pid,
      ppid: stat.ppid,
      name: stat.comm,
      state: stat.state,
      uid: uid ?? null,
      user: uid === undefined ? null : (names.get(uid) ?? String(uid)),
      exe: readExe(stat.pid) ?? null,
      cmdline: readCmdline(stat.pid, 4096),
      start_time: new Date(boot + (Number(stat.startTicks) * 1000) / hz).toISOString(),
      start_ticks: Number(stat.startTicks),
      entity_id: entityIdOf(stat),
    });
  }
  return rows;
}

/** Socket rows with their owning process (the first of several when a socket is shared, e.g. after fork). */
export function connectionRows(): ConnectionRow[] {
  const sockets = readSockets();
  const owners = socketOwners();
  const stats = snapshot();
  return sockets.map((row) => {
    const pid = owners.get(row.inode)?.sort((a, b) => a - b)[0];
    const stat: ProcStat | undefined = pid === undefined ? undefined : stats.get(pid);
    return { ...row, pid: pid ?? null, process: stat?.comm ?? null, exe: pid === undefined ? null : (readExe(pid) ?? null) };
  });
}

/** Rows in one result stay under this many bytes of JSON: a task report may be at most 1 MiB (taskLimits). */
export const MAX_ROW_BYTES = 768 * 1024;

function outcome<T>(what: string, rows: T[], limit: number, columns: readonly string[]): ActionOutcome {
  const kept: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (kept.length >= limit) break;
    bytes += JSON.stringify(row).length + 1;
    if (bytes > MAX_ROW_BYTES) break;
    kept.push(row);
  }
  const truncated = kept.length < rows.length;
  return {
    ok: true,
    verified: true,
    summary: `${rows.length} ${what}${truncated ? ` (first ${kept.length} returned)` : ''}`,
    details: { columns, rows: kept, total: rows.length, truncated },
  };
}

const processColumns = ['pid', 'ppid', 'name', 'state', 'uid', 'user', 'exe', 'cmdline', 'start_time', 'start_ticks', 'entity_id'] as const;
const connectionColumns = ['protocol', 'family', 'local_address', 'local_port', 'remote_address', 'remote_port', 'state', 'uid', 'inode', 'pid', 'process', 'exe'] as const;

export function createLiveQueryHandlers(): ActionHandler[] {
  const processes: ActionHandler<ProcessesArgs> = {
    action: 'live.processes',
    async run(args): Promise<ActionOutcome> {
      let rows = processRows();
      if (args.user !== undefined) rows = rows.filter((r) => r.user === args.user);
      if (args.name !== undefined) {
        const needle = args.name;
        rows = rows.filter((r) => r.name.includes(needle) || (r.exe ?? '').includes(needle));
      }
      return outcome('processes', rows, args.limit ?? 10_000, processColumns);
    },
  };
  const connections: ActionHandler<ConnectionsArgs> = {
    action: 'live.connections',
    async run(args): Promise<ActionOutcome> {
      let rows = connectionRows();
      if (args.protocol !== undefined) rows = rows.filter((r) => r.protocol === args.protocol);
      if (args.pid !== undefined) rows = rows.filter((r) => r.pid === args.pid);
      return outcome('sockets', rows, args.limit ?? 10_000, connectionColumns);
    },
  };
  const listening: ActionHandler<ListeningArgs> = {
    action: 'live.listening',
    async run(args): Promise<ActionOutcome> {
      let rows = connectionRows().filter(isListening);
      if (args.protocol !== undefined) rows = rows.filter((r) => r.protocol === args.protocol);
      return outcome('listening sockets', rows, args.limit ?? 10_000, connectionColumns);
    },
  };
  return [processes, connections, listening];
}
