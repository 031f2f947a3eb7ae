// Parser of the kernel's socket tables (/proc/net/tcp, tcp6, udp, udp6): addresses, ports, state, uid and inode.
// Never throws: lines that do not have the kernel's shape are skipped and counted.

import { endianness } from 'node:os';

export interface SocketEntry {
  transport: 'tcp' | 'udp';
  type: 'ipv4' | 'ipv6';
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  /** Kernel state number (TCP: 0x0A LISTEN; UDP: 0x07 unconnected). */
  state: number;
  uid: number;
  inode: number;
}

export const TCP_LISTEN = 0x0a;
export const UDP_UNCONNECTED = 0x07;

/**
 * The kernel prints each 32-bit word of an address with %08X in host byte order; on a little-endian machine the
 * bytes of each word come out reversed.
 */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

/** RFC 5952 text of 16 address bytes (IPv4-mapped addresses in mixed notation). */
export function formatIpv6(bytes: readonly number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of two or more zero groups becomes "::" (the first such run on a tie).
  let bestStart = -1;
  let bestLength = 1;
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
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function parseHexAddress(hex: string, littleEndian = endianness() === 'LE'): { ip: string; type: 'ipv4' | 'ipv6' } | undefined {
  if (hex.length === 8 && /^[0-9A-Fa-f]{8}$/.test(hex)) return { ip: wordBytes(hex, littleEndian).join('.'), type: 'ipv4' };
  if (hex.length === 32 && /^[0-9A-Fa-f]{32}$/.test(hex)) {
    const bytes: number[] = [];
    for (let w = 0; w < 4; w++) bytes.push(...wordBytes(hex.slice(w * 8, w * 8 + 8), littleEndian));
    return { ip: formatIpv6(bytes), type: 'ipv6' };
  }
  return undefined;
}

function endpoint(text: string | undefined, littleEndian: boolean): { ip: string; type: 'ipv4' | 'ipv6'; port: number } | undefined {
  if (!text) return undefined;
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const address = parseHexAddress(text.slice(0, colon), littleEndian);
  const portHex = text.slice(colon + 1);
  if (!address || !/^[0-9A-Fa-f]{4}$/.test(portHex)) return undefined;
  return { ...address, port: parseInt(portHex, 16) };
}

/** Parses one /proc/net/{tcp,udp}[6] file; `transport` says which. The header line is skipped. */
export function parseProcNet(text: string, transport: 'tcp' | 'udp', littleEndian = endianness() === 'LE'): { entries: SocketEntry[]; skipped: number } {
  const entries: SocketEntry[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const parts = line.split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    const local = endpoint(parts[1], littleEndian);
    const remote = endpoint(parts[2], littleEndian);
    const state = parts[3] && /^[0-9A-Fa-f]{2}$/.test(parts[3]) ? parseInt(parts[3], 16) : undefined;
    const uid = parts[7] && /^\d{1,10}$/.test(parts[7]) ? Number(parts[7]) : undefined;
    const inode = parts[9] && /^\d{1,20}$/.test(parts[9]) ? Number(parts[9]) : undefined;
    if (!local || !remote || state === undefined || uid === undefined || inode === undefined || !/^\d+:$/.test(parts[0] ?? '') || local.type !== remote.type) {
      skipped++;
      continue;
    }
    entries.push({ transport, type: local.type, localIp: local.ip, localPort: local.port, remoteIp: remote.ip, remotePort: remote.port, state, uid, inode });
  }
  return { entries, skipped };
}

/** Sockets that accept traffic from others: TCP in LISTEN, UDP bound without a connected peer. */
export function isListening(entry: SocketEntry): boolean {
  return entry.transport === 'tcp' ? entry.state === TCP_LISTEN : entry.state === UDP_UNCONNECTED && entry.remotePort === 0 && entry.localPort !== 0;
}
