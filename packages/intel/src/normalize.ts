// Canonical text of indicator values and type detection for untyped lists. Matching and sweeps compare canonical
// text only, so every value entering Vigil goes through here. Never guesses a type it cannot tell: it says so.

import { domainToASCII } from 'node:url';
import { VigilError } from '@vigil/common';
import type { IndicatorType } from './core.js';
import { canonicalAddress, formatCidr, parseAddress, parseCidr } from './internal/ip.js';

const hexLength: Partial<Record<IndicatorType, number>> = { md5: 32, sha1: 40, sha256: 64 };
const label = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const domainPattern = new RegExp(`^(?=.{1,253}$)${label}(?:\\.${label})*$`);
/** Schemes a URL indicator may have. */
const urlSchemes = new Set(['http:', 'https:', 'ftp:', 'ftps:', 'ws:', 'wss:', 'sftp:', 'smb:', 'file:']);

export const MAX_PATH_LENGTH = 4096;

/** Turns defanged text back into what it stands for: hxxp:// → http://, [.] (.) {.} → ., [:] → :, [@] → @. */
export function refang(text: string): string {
  return text
    .replace(/^hxxp(s?):\/\//i, 'http$1://')
    .replace(/^fxp:\/\//i, 'ftp://')
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]/gi, '.')
    .replace(/\[:\]/g, ':')
    .replace(/\[@\]|\[at\]/gi, '@');
}

/** The canonical domain (lower case, IDN as punycode, no trailing dot, no leading `*.`), or undefined. */
export function canonicalDomain(raw: string): string | undefined {
  let text = raw.trim().toLowerCase().replace(/\.$/, '');
  if (text.startsWith('*.')) text = text.slice(2);
  if (!text || text.includes('/') || text.includes(':') || text.includes(' ')) return undefined;
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(text) ? text : domainToASCII(text);
  if (!ascii || !domainPattern.test(ascii)) return undefined;
  // A bare dotted number is an address, not a name.
  if (/^[0-9.]+$/.test(ascii)) return undefined;
  return ascii;
}

/**
 * The canonical URL: scheme and host lower-case, default port and fragment dropped, path and query as the URL parser
 * writes them (percent-encoding normalised). Undefined when it is not an absolute URL of a known scheme.
 */
export function canonicalUrl(raw: string): string | undefined {
  const text = raw.trim();
  if (!text || text.length > 8192 || /\s/.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!urlSchemes.has(url.protocol)) return undefined;
  if (url.protocol !== 'file:' && !url.hostname) return undefined;
  url.hash = '';
  return url.href;
}

/**
 * The canonical text of a value of `type`: hashes, domains, process and file names lower-case; IP addresses in
 * canonical form (RFC 5952 for IPv6; IPv4-mapped become IPv4); CIDR ranges with host bits cleared; ports decimal;
 * URLs normalised (canonicalUrl); paths as given. Throws `invalid_input` at `path` when the value is not of the type.
 */
export function canonicalIndicatorValue(type: IndicatorType, raw: string | number, path = 'value'): string {
  const text = String(raw).trim();
  const refuse = (what: string) => new VigilError('invalid_input', `${JSON.stringify(String(raw).slice(0, 300))} is not ${what}`, { location: { path } });
  switch (type) {
    case 'md5':
    case 'sha1':
    case 'sha256': {
      const value = text.toLowerCase();
      if (value.length !== hexLength[type] || !/^[0-9a-f]+$/.test(value)) throw refuse(`a ${type} hash (${hexLength[type]} hex digits)`);
      return value;
    }
    case 'ip': {
      const value = canonicalAddress(text);
      if (value === undefined) throw refuse('an IPv4 or IPv6 address');
      return value;
    }
    case 'cidr': {
      const cidr = parseCidr(text);
      if (!cidr) throw refuse('an IPv4 or IPv6 CIDR range such as 10.0.0.0/8');
      return formatCidr(cidr);
    }
    case 'domain': {
      const value = canonicalDomain(text);
      if (value === undefined) throw refuse('a domain name');
      return value;
    }
    case 'url': {
      const value = canonicalUrl(text);
      if (value === undefined) throw refuse('an absolute URL (http, https, ftp, ...)');
      return value;
    }
    case 'port': {
      if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw refuse('a port number (0-65535)');
      return String(Number(text));
    }
    case 'process_name':
    case 'file_name': {
      if (!text || text.length > 255 || /[\\/\u0000]/.test(text)) throw refuse(`a ${type === 'file_name' ? 'file' : 'process'} name (a file name without directory, 1-255 characters)`);
      return text.toLowerCase();
    }
    case 'path': {
      const value = String(raw);
      if (!value || value.length > MAX_PATH_LENGTH || value.includes('\u0000')) throw refuse(`a file path (1-${MAX_PATH_LENGTH} characters)`);
      return value;
    }
  }
}

/** canonicalIndicatorValue without throwing: undefined when the value is not of the type. */
export function tryCanonical(type: IndicatorType, raw: string | number): string | undefined {
  try {
    return canonicalIndicatorValue(type, raw);
  } catch {
    return undefined;
  }
}

/** An address or a range: a /32 (/128) range is the address itself. Undefined when it is neither. */
export function addressOrRange(raw: string): { type: 'ip' | 'cidr'; value: string } | undefined {
  const text = raw.trim();
  if (text.includes('/')) {
    const cidr = parseCidr(text);
    if (!cidr) return undefined;
    if (cidr.prefix === (cidr.family === 4 ? 32 : 128)) return { type: 'ip', value: formatCidr(cidr).replace(/\/\d+$/, '') };
    return { type: 'cidr', value: formatCidr(cidr) };
  }
  const address = canonicalAddress(text);
  return address === undefined ? undefined : { type: 'ip', value: address };
}

/** Extensions that make a domain-shaped word a file name in untyped lists (`invoice.exe`). */
const fileExtensions = new Set(['exe', 'dll', 'scr', 'bat', 'cmd', 'ps1', 'psm1', 'vbs', 'vbe', 'jse', 'wsf', 'hta', 'lnk', 'msi', 'jar', 'sys', 'elf', 'dat', 'tmp', 'docm', 'xlsm', 'iso', 'img']);

/**
 * The type of an untyped value (plain lists, CSV rows without a type column): hashes by length, CIDR ranges,
 * addresses, URLs, absolute paths, domains (domain-shaped words ending in an executable extension are file names).
 * Bare numbers are refused (port or not?): type them explicitly (`port:4444`).
 */
export function detectIndicator(raw: string): { type: IndicatorType; value: string } | undefined {
  const text = refang(raw.trim());
  if (!text) return undefined;
  const typed = /^(md5|sha1|sha256|ip|cidr|domain|url|file_name|path|process_name|port):(.+)$/.exec(text);
  if (typed && !(typed[1] === 'url' && typed[2]!.startsWith('//'))) {
    const type = typed[1] as IndicatorType;
    const value = tryCanonical(type, typed[2]!);
    return value === undefined ? undefined : { type, value };
  }
  if (/^[0-9a-fA-F]+$/.test(text)) {
    const type = ({ 32: 'md5', 40: 'sha1', 64: 'sha256' } as Record<number, IndicatorType>)[text.length];
    if (type) return { type, value: text.toLowerCase() };
  }
  const range = addressOrRange(text);
  if (range) return range;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const url = canonicalUrl(text);
    return url === undefined ? undefined : { type: 'url', value: url };
  }
  if (text.startsWith('/') || /^[a-zA-Z]:\\/.test(text) || /^\\\\[\w.-]+\\[^\\.]/.test(text)) {
    return text.length <= MAX_PATH_LENGTH && !text.includes('\u0000') ? { type: 'path', value: text } : undefined;
  }
  const domain = canonicalDomain(text);
  if (domain !== undefined && domain.includes('.')) {
    const extension = domain.slice(domain.lastIndexOf('.') + 1);
    if (fileExtensions.has(extension)) return { type: 'file_name', value: domain };
    if (/[a-z]/.test(extension)) return { type: 'domain', value: domain };
  }
  return undefined;
}

/** Whether `raw` parses as an IP address (for callers that must not treat addresses as domains). */
export const isAddress = (raw: string): boolean => parseAddress(raw) !== undefined;
