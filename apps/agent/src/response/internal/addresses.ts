// Parsing of the addresses response actions accept (IPs, CIDRs, address:port) into normalised ranges.
// Pure and total: every input either parses into a canonical value or yields a VigilError naming the argument path.

import { isIPv4, isIPv6 } from 'node:net';
import { VigilError } from '@vigil/common';

export type Family = 4 | 6;

/** A CIDR in canonical form: the network address (host bits cleared) and the prefix length. */
export interface Cidr {
  family: Family;
  /** Canonical text of the network address (`10.0.0.0`, `2001:db8::`). */
  address: string;
  prefix: number;
}

/** An entry of `host.isolate`'s `allow`: a CIDR (both directions) or an address with a port (outgoing only). */
export type AllowEntry = { kind: 'cidr'; cidr: Cidr } | { kind: 'service'; family: Family; address: string; port: number };

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function ipv4ToBig(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBig(text: string): bigint {
  let address = text.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4?.[1]) {
    const n = ipv4ToBig(v4[1]);
    address = `${address.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part || '0', 16)), 0n);
}

export function addressToBig(family: Family, text: string): bigint {
  return family === 4 ? ipv4ToBig(text) : ipv6ToBig(text);
}

export function bigToAddress(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const hextets = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // RFC 5952: compress the longest run (of two or more) of zero hextets.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === '0') j++;
    if (j - i > bestLength && j - i >= 2) (bestStart = i), (bestLength = j - i);
    i = j;
  }
  if (bestStart < 0) return hextets.join(':');
  return `${hextets.slice(0, bestStart).join(':')}::${hextets.slice(bestStart + bestLength).join(':')}`;
}

export function familyOf(address: string): Family | undefined {
  return isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
}

/** `10.1.2.3`, `10.0.0.0/8`, `2001:db8::/32` → canonical CIDR (host bits cleared). */
export function parseCidr(text: string, path: string): Cidr {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = familyOf(address);
  if (!family) throw new VigilError('invalid_input', `${JSON.stringify(text)} is not an IPv4 or IPv6 address or CIDR`, { location: { path } });
  const bits = BITS[family];
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) throw new VigilError('invalid_input', `${JSON.stringify(text)}: prefix length must be 0..${bits}`, { location: { path } });
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family, address: bigToAddress(family, addressToBig(family, address) & mask), prefix };
}

export function cidrText(cidr: Cidr): string {
  return cidr.prefix === BITS[cidr.family] ? cidr.address : `${cidr.address}/${cidr.prefix}`;
}

/** The inclusive range [first, last] a CIDR covers. */
export function cidrRange(cidr: Cidr): [bigint, bigint] {
  const first = addressToBig(cidr.family, cidr.address);
  const size = 1n << BigInt(BITS[cidr.family] - cidr.prefix);
  return [first, first + size - 1n];
}

/** `10.0.0.0/8` | `192.0.2.1:22` | `[2001:db8::1]:443` | `2001:db8::/32`. */
export function parseAllowEntry(text: string, path: string): AllowEntry {
  const bracketed = /^\[([^\]]+)\](?:(\/\d{1,3}))?(?::(\d{1,5}))?$/.exec(text);
  let host: string;
  let port: string | undefined;
  if (bracketed) {
    host = `${bracketed[1]}${bracketed[2] ?? ''}`;
    port = bracketed[3];
  } else if (/^[\d.]+(\/\d+)?:\d+$/.test(text)) {
    const colon = text.lastIndexOf(':');
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
  } else {
    host = text;
  }
  const cidr = parseCidr(host, path);
  if (port === undefined) return { kind: 'cidr', cidr };
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) throw new VigilError('invalid_input', `${JSON.stringify(text)}: port must be 1..65535`, { location: { path } });
  if (cidr.prefix !== BITS[cidr.family]) throw new VigilError('invalid_input', `${JSON.stringify(text)}: give a single address with a port, not a network`, { location: { path } });
  return { kind: 'service', family: cidr.family, address: cidr.address, port: portNumber };
}

/** True when every address of `inner` lies in one of `outer` (same family). */
export function covered(inner: [bigint, bigint], outer: readonly [bigint, bigint][]): boolean {
  const sorted = [...outer].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = inner[0];
  for (const [first, last] of sorted) {
    if (first > next) break;
    if (last >= next) next = last + 1n;
    if (next > inner[1]) return true;
  }
  return next > inner[1];
}
