// Listening sockets of the agent's network namespace with their owning process: /proc/net/{tcp,tcp6,udp,udp6}, and
// socket inode → pid through the /proc/<pid>/fd links. Remembers where each inode was found and rescans all
// processes' descriptors only when a listener's owner is unknown. Runs in the inventory worker.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { UserNames } from '../internal/user-names.js';
import { isListening, parseProcNet, type SocketEntry } from './proc-net.js';

export interface ListeningScanStats {
  sockets: number;
  fdScans: number;
  unowned: number;
}

export interface ListeningScanner {
  scan(): { rows: Record<string, unknown>[]; stats: ListeningScanStats };
  /** Where each socket inode was last found (plain entries, kept by the agent while the worker thread is gone). */
  exportOwners(): [number, { pid: number; fd: string }][];
  importOwners(entries: readonly [number, { pid: number; fd: string }][]): void;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function pids(procRoot: string): number[] {
  try {
    return readdirSync(procRoot)
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

export function createListeningScanner(names: UserNames, procRoot = '/proc'): ListeningScanner {
  const owners = new Map<number, { pid: number; fd: string }>();
  const stillOwns = (inode: number, owner: { pid: number; fd: string }) => {
    try {
      return readlinkSync(`${procRoot}/${owner.pid}/fd/${owner.fd}`) === `socket:[${inode}]`;
    } catch {
      return false;
    }
  };
  const scanDescriptors = (wanted: Set<number>) => {
    for (const pid of pids(procRoot)) {
      let fds: string[];
      try {
        fds = readdirSync(`${procRoot}/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        if (!target.startsWith('socket:[')) continue;
        const inode = Number(target.slice(8, -1));
        if (wanted.has(inode)) {
          owners.set(inode, { pid, fd });
          wanted.delete(inode);
          if (wanted.size === 0) return;
        }
      }
    }
  };
  return {
    scan() {
      const stats: ListeningScanStats = { sockets: 0, fdScans: 0, unowned: 0 };
      const listening: SocketEntry[] = [];
      for (const [file, transport] of [['tcp', 'tcp'], ['tcp6', 'tcp'], ['udp', 'udp'], ['udp6', 'udp']] as const) {
        for (const entry of parseProcNet(read(`${procRoot}/net/${file}`), transport).entries) if (isListening(entry)) listening.push(entry);
      }
      const missing = new Set<number>();
      for (const entry of listening) {
        const owner = owners.get(entry.inode);
        if (entry.inode !== 0 && (!owner || !stillOwns(entry.inode, owner))) {
          owners.delete(entry.inode);
          missing.add(entry.inode);
        }
      }
      if (missing.size) {
        stats.fdScans++;
        scanDescriptors(missing);
      }
      const live = new Set(listening.map((e) => e.inode));
      for (const inode of owners.keys()) if (!live.has(inode)) owners.delete(inode);
      const rows = new Map<string, Record<string, unknown>>();
      for (const entry of listening) {
        const key = `${entry.transport}|${entry.localIp}|${entry.localPort}`;
        if (rows.has(key)) continue;
        stats.sockets++;
        const owner = owners.get(entry.inode);
        if (!owner) stats.unowned++;
        const pid = owner?.pid;
        let executable: string | undefined;
        if (pid !== undefined) {
          try {
            executable = readlinkSync(`${procRoot}/${pid}/exe`).replace(/ \(deleted\)$/, '');
          } catch {
            executable = undefined;
          }
        }
        const comm = pid !== undefined ? read(`${procRoot}/${pid}/comm`).trim() : '';
        const user = names.user(entry.uid);
        rows.set(key, {
          'network.transport': entry.transport,
          'network.type': entry.type,
          'server.ip': entry.localIp,
          'server.port': entry.localPort,
          'user.id': String(entry.uid),
          ...(user ? { 'user.name': user } : {}),
          ...(pid !== undefined ? { 'process.pid': pid } : {}),
          ...(comm ? { 'process.name': comm } : {}),
          ...(executable ? { 'process.executable': executable } : {}),
        });
      }
      return { rows: [...rows.values()], stats };
    },
    exportOwners: () => [...owners],
    importOwners(entries) {
      owners.clear();
      for (const [inode, owner] of entries) owners.set(inode, owner);
    },
  };
}
