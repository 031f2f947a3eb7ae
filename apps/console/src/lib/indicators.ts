// Parses the IOC sweep form: one indicator per line, either "type value" / "type:value" or a bare value whose type
// is recognised (hashes by length, IPs, CIDRs, ports, paths, domains, else a process name). Untrusted text: never
// throws; every refused line is reported with its line number.

export const indicatorTypes = ['md5', 'sha1', 'sha256', 'ip', 'cidr', 'domain', 'port', 'process_name', 'path'] as const;
export type IndicatorType = (typeof indicatorTypes)[number];

export interface ParsedIndicators {
  indicators: { type: IndicatorType; value: string }[];
  problems: { line: number; message: string }[];
}

export const MAX_INDICATORS = 10_000;
export const MAX_VALUE = 4096;

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv6 = /^[0-9a-f:]+$/i;
const domain = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z][a-z0-9-]{0,62}\.?$/i;

function isIp(value: string): boolean {
  return ipv4.test(value) || (value.includes(':') && ipv6.test(value) && value.split(':').length <= 8);
}

export function guessType(value: string): IndicatorType {
  if (/^[0-9a-f]{32}$/i.test(value)) return 'md5';
  if (/^[0-9a-f]{40}$/i.test(value)) return 'sha1';
  if (/^[0-9a-f]{64}$/i.test(value)) return 'sha256';
  const slash = value.indexOf('/');
  if (slash > 0 && isIp(value.slice(0, slash)) && /^\d{1,3}$/.test(value.slice(slash + 1))) return 'cidr';
  if (isIp(value)) return 'ip';
  if (/^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65535) return 'port';
  if (value.startsWith('/') || /^[A-Za-z]:\\/.test(value)) return 'path';
  if (domain.test(value) && /[a-z]/i.test(value.split('.').pop() ?? '')) return 'domain';
  return 'process_name';
}

export function parseIndicators(text: string): ParsedIndicators {
  const indicators: ParsedIndicators['indicators'] = [];
  const problems: ParsedIndicators['problems'] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw || raw.startsWith('#')) continue;
    let type: IndicatorType | null = null;
    let value = raw;
    const bareType = /^([a-z_0-9]+):?$/i.exec(raw)?.[1]?.toLowerCase();
    if (bareType && raw.endsWith(':') && (indicatorTypes as readonly string[]).includes(bareType)) {
      problems.push({ line: i + 1, message: 'no value after the type' });
      continue;
    }
    const explicit = /^([a-z_0-9]+)(?::|\s+)(.+)$/i.exec(raw);
    if (explicit && (indicatorTypes as readonly string[]).includes(explicit[1]!.toLowerCase())) {
      type = explicit[1]!.toLowerCase() as IndicatorType;
      value = explicit[2]!.trim();
    }
    if (!value) {
      problems.push({ line: i + 1, message: 'no value after the type' });
      continue;
    }
    if (value.length > MAX_VALUE) {
      problems.push({ line: i + 1, message: `value longer than ${MAX_VALUE} characters` });
      continue;
    }
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      problems.push({ line: i + 1, message: 'control characters are not allowed' });
      continue;
    }
    type ??= guessType(value);
    if ((type === 'md5' || type === 'sha1' || type === 'sha256') && !/^[0-9a-f]+$/i.test(value)) {
      problems.push({ line: i + 1, message: `${type} must be hexadecimal` });
      continue;
    }
    if (type === 'port' && !(/^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65535)) {
      problems.push({ line: i + 1, message: 'port must be a number from 1 to 65535' });
      continue;
    }
    const key = `${type}\u0000${value.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (indicators.length >= MAX_INDICATORS) {
      problems.push({ line: i + 1, message: `more than ${MAX_INDICATORS} indicators; split the sweep` });
      break;
    }
    indicators.push({ type, value });
  }
  return { indicators, problems };
}
