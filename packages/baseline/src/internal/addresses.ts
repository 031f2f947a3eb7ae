// Address and name classes for profiles: private addresses stay exact, public ones become their /24 (IPv4) or /48
// (IPv6) so that CDN rotation does not look new; DNS names become their registered domain. Pure; never throws.

import { isIP } from 'node:net';

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip === '0:0:0:0:0:0:0:1' || ip.startsWith('::ffff:127.');
}

function privateV4(parts: number[]): boolean {
  const [a, b] = parts as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

/** `10.1.2.3` (private: exact), `203.0.113.0/24` (public IPv4), `2001:db8:1::/48` (public IPv6); undefined for non-addresses. */
export function addressClass(raw: string): string | undefined {
  let ip = raw.trim();
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
  const family = isIP(ip);
  if (family === 4) {
    const parts = ip.split('.').map(Number);
    if (privateV4(parts) || isLoopback(ip)) return ip;
    return `${parts.slice(0, 3).join('.')}.0/24`;
  }
  if (family === 6) {
    const lower = ip.toLowerCase();
    if (lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80') || lower === '::1') return lower;
    const groups = expandV6(lower);
    return `${groups.slice(0, 3).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/48`;
  }
  return undefined;
}

function expandV6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array.from({ length: Math.max(0, missing) }, () => '0'), ...right];
}

const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'ac', 'edu']);

/** `a.b.example.com` → `example.com`, `www.example.co.uk` → `example.co.uk`; lower case, without the trailing dot. */
export function registeredDomain(name: string): string {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  if (labels.length <= 2) return labels.join('.');
  const take = labels.length >= 3 && SECOND_LEVEL.has(labels[labels.length - 2]!) && labels[labels.length - 1]!.length === 2 ? 3 : 2;
  return labels.slice(-take).join('.');
}
