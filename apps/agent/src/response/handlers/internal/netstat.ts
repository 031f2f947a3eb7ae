// Sockets from /proc/net/{tcp,tcp6,udp,udp6} and the process owning each (socket inode → /proc/<pid>/fd).
// Parsers never throw: a malformed line is skipped. Addresses are decoded in the host's byte order.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';

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

/** Bytes of one 32-bit word as the kernel printed it with %08X (host order). */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const value = parseInt(hex, 16);
  const bytes = [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  return littleEndian ? bytes.reverse() : bytes;
}

/** Shortest IPv6 text (RFC 5952): lower case, longest run of zero groups (2 or more) as `::`, IPv4-mapped dotted. */
export function formatIpv6(bytes: readonly number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** "0100007F:0CEA" → ['127.0.0.1', 3306]; undefined when malformed. */
export function parseEndpoint(text: string, family: 4 | 6, littleEndian = endianness() === 'LE'): [string, number] | undefined {
  const match = family === 4 ? /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$/.exec(text) : /^([0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!match) return undefined;
  const hex = match[1]!;
  const port = parseInt(match[2]!, 16);
  if (family === 4) return [wordBytes(hex, littleEndian).join('.'), port];
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), littleEndian));
  return [formatIpv6(bytes), port];
}

/** One data line of /proc/net/{tcp,udp}[6]; undefined for the header and malformed lines. */
export function parseSocketLine(line: string, protocol: Protocol, family: 4 | 6, littleEndian = endianness() === 'LE'): SocketRow | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 10 || !/^\d+:$/.test(fields[0]!)) return undefined;
  const local = parseEndpoint(fields[1]!, family, littleEndian);
  const remote = parseEndpoint(fields[2]!, family, littleEndian);
  const state = TCP_STATES[fields[3]!.toUpperCase()];
  if (!local || !remote || !state || !/^\d{1,10}$/.test(fields[7]!) || !/^\d{1,20}$/.test(fields[9]!)) return undefined;
  return { protocol, family, local_address: local[0], local_port: local[1], remote_address: remote[0], remote_port: remote[1], state, uid: Number(fields[7]), inode: Number(fields[9]) };
}

export function parseSocketTable(text: string, protocol: Protocol, family: 4 | 6, littleEndian?: boolean): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const line of text.split('\n')) {
    const row = parseSocketLine(line, protocol, family, littleEndian);
    if (row) rows.push(row);
  }
  return rows;
}

/** Every TCP and UDP socket of the agent's network namespace. */
export function readSockets(procNet = '/proc/net'): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const [file, protocol, family] of [['tcp', 'tcp', 4], ['tcp6', 'tcp', 6], ['udp', 'udp', 4], ['udp6', 'udp', 6]] as const) {
    try {
      rows.push(...parseSocketTable(readFileSync(`${procNet}/${file}`, 'utf8'), protocol, family));
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
