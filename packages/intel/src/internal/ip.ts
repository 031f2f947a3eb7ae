// IP address and CIDR parsing into bytes, and the canonical text of an address (dotted IPv4, RFC 5952 IPv6).
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are IPv4: an indicator for 10.0.0.1 matches a socket that saw ::ffff:10.0.0.1.

import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface ParsedCidr extends ParsedAddress {
  /** Prefix length in bits; host bits of `bytes` are zero. */
  prefix: number;
}

function v4Bytes(text: string): Uint8Array {
  const out = new Uint8Array(4);
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  return out;
}

function v6Bytes(text: string): Uint8Array | undefined {
  let body = text;
  const zone = body.indexOf('%');
  if (zone >= 0) body = body.slice(0, zone);
  let tail: Uint8Array | undefined;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    const v4 = body.slice(lastColon + 1);
    if (!isIPv4(v4)) return undefined;
    tail = v4Bytes(v4);
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => '0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    const value = parseInt(group, 16);
    out[i * 2] = value >> 8;
    out[i * 2 + 1] = value & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

const isV4Mapped = (b: Uint8Array) => b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

/** Parses an IPv4 or IPv6 address (IPv6 zone ids dropped); undefined when it is not one. */
export function parseAddress(raw: string): ParsedAddress | undefined {
  const text = raw.trim();
  if (isIPv4(text)) return { family: 4, bytes: v4Bytes(text) };
  const unbracketed = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!isIPv6(unbracketed)) return undefined;
  const bytes = v6Bytes(unbracketed);
  if (!bytes) return undefined;
  if (isV4Mapped(bytes)) return { family: 4, bytes: bytes.slice(12) };
  return { family: 6, bytes };
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, longest zero run compressed, no leading zeros). */
export function formatAddress(address: ParsedAddress): string {
  const b = address.bytes;
  if (address.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) (bestStart = i), (bestLength = j - i);
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The canonical text of an address, or undefined when `raw` is not one. */
export function canonicalAddress(raw: string): string | undefined {
  const parsed = parseAddress(raw);
  return parsed ? formatAddress(parsed) : undefined;
}

/**
 * Parses `address/prefix`. Host bits must be zero unless `allowHostBits` (then they are cleared). A v4-mapped IPv6
 * range of prefix >= 96 becomes the IPv4 range. Undefined when it is not a range.
 */
export function parseCidr(raw: string, allowHostBits = true): ParsedCidr | undefined {
  const text = raw.trim();
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  const address = parseAddress(text.slice(0, slash));
  if (!address) return undefined;
  let { family, bytes } = address;
  if (family === 4 && text.slice(0, slash).includes(':')) {
    // ::ffff:a.b.c.d/N: N counts IPv6 bits.
    if (prefix < 96) return undefined;
    prefix -= 96;
  }
  const bits = family === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const masked = new Uint8Array(bytes);
  for (let bit = prefix; bit < bits; bit++) masked[bit >> 3]! &= ~(0x80 >> (bit & 7));
  if (!allowHostBits && masked.some((value, i) => value !== bytes[i])) return undefined;
  family = family as 4 | 6;
  return { family, bytes: masked, prefix };
}

export function formatCidr(cidr: ParsedCidr): string {
  return `${formatAddress(cidr)}/${cidr.prefix}`;
}
