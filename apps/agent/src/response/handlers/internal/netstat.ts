// Sockets from /proc/net/{tcp,tcp6,udp,udp6} and the process owning each (socket inode → /proc/<pid>/fd).
// Parsing is the inventory's /proc/net parser (@vigil/sources); malformed lines are skipped, never thrown.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { parseProcNet, type SocketEntry } from '@vigil/sources';

export type Protocol = 'tcp' | 'udp';

export interface SocketRow {
  protocol: Protocol;
  family: 4 | 6;
  local_address: string;
  local_port: number;
  remote_address: string;
  remote_port: number;
  state: string;
  uid: number;
  inode: number;
}

/** TCP states (include/net/tcp_states.h); UDP uses ESTABLISHED for connected and CLOSE for unconnected sockets. */
export const TCP_STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

/** A parsed kernel socket entry as live queries report it (state by name, family as 4/6). */
export function socketRow(entry: SocketEntry): SocketRow {
  const state = TCP_STATES[entry.state.toString(16).toUpperCase().padStart(2, '0')] ?? String(entry.state);
  return {
    protocol: entry.transport,
    family: entry.type === 'ipv6' ? 6 : 4,
    local_address: entry.localIp,
    local_port: entry.localPort,
    remote_address: entry.remoteIp,
    remote_port: entry.remotePort,
    state,
    uid: entry.uid,
    inode: entry.inode,
  };
}

/** Every TCP and UDP socket of the agent's network namespace. */
export function readSockets(procNet = '/proc/net'): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const [file, protocol] of [['tcp', 'tcp'], ['tcp6', 'tcp'], ['udp', 'udp'], ['udp6', 'udp']] as const) {
    try {
      rows.push(...parseProcNet(readFileSync(`${procNet}/${file}`, 'utf8'), protocol).entries.map(socketRow));
    } catch {
      // no IPv6 (or no UDP) in this kernel or namespace
    }
  }
  return rows;
}

/** socket inode → pids holding it, from the fd links of every process we can read. */
export function socketOwners(procRoot = '/proc'): Map<number, number[]> {
  const owners = new Map<number, number[]>();
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${name}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${procRoot}/${name}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (!match) continue;
      const inode = Number(match[1]);
      const pids = owners.get(inode);
      const pid = Number(name);
      if (!pids) owners.set(inode, [pid]);
      else if (!pids.includes(pid)) pids.push(pid);
    }
  }
  return owners;
}

/** A listening socket: TCP in LISTEN, or UDP bound without a peer. */
export const isListening = (row: SocketRow) => (row.protocol === 'tcp' ? row.state === 'LISTEN' : row.remote_port === 0 && row.state === 'CLOSE');
