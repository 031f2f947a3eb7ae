// Indicators of compromise: the types Vigil sweeps for, how each value is written canonically, and which event
// fields each type is searched in. Never accepts a value it cannot search for exactly (it is refused, not guessed).

import { isIPv4, isIPv6 } from 'node:net';
import { VigilError } from '@vigil/common';
import { cidrRangeSql } from '@vigil/detect/sigma/to-sql';

export type IndicatorType = 'md5' | 'sha1' | 'sha256' | 'ip' | 'cidr' | 'domain' | 'port' | 'process_name' | 'path';
export const indicatorTypes: readonly IndicatorType[] = ['md5', 'sha1', 'sha256', 'ip', 'cidr', 'domain', 'port', 'process_name', 'path'];

/**
 * Event fields (columns of the store's `events` view) searched for each type. Hash, IP, port and path fields are
 * compared exactly; domains match the name or any subdomain; process names match case-insensitively.
 */
export const indicatorFields: Readonly<Record<IndicatorType, readonly string[]>> = {
  md5: ['process.hash.md5', 'file.hash.md5', 'dll.hash.md5', 'driver.hash.md5'],
  sha1: ['process.hash.sha1', 'file.hash.sha1', 'dll.hash.sha1', 'driver.hash.sha1'],
  sha256: ['process.hash.sha256', 'file.hash.sha256', 'dll.hash.sha256', 'driver.hash.sha256', 'script.hash.sha256'],
  ip: ['source.ip', 'destination.ip'],
  cidr: ['source.ip', 'destination.ip'],
  domain: ['dns.question.name', 'destination.domain', 'source.domain'],
  port: ['destination.port', 'source.port'],
  process_name: ['process.name', 'process.parent.name', 'target.process.name'],
  path: ['process.executable', 'process.parent.executable', 'file.path', 'target.process.executable'],
};

const hexLength: Partial<Record<IndicatorType, number>> = { md5: 32, sha1: 40, sha256: 64 };
const domainPattern = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$/;

/**
 * The canonical text of an indicator value: hashes and domains lower-case (a domain without its trailing dot), IPv6
 * lower-case, CIDR ranges trimmed, ports as decimal, process names lower-case, paths as given. Throws
 * `invalid_input` at `path` when the value is not of the type.
 */
export function canonicalIndicatorValue(type: IndicatorType, raw: string | number, path = 'value'): string {
  const text = String(raw).trim();
  const refuse = (what: string) => new VigilError('invalid_input', `${JSON.stringify(String(raw))} is not ${what}`, { location: { path } });
  switch (type) {
    case 'md5':
    case 'sha1':
    case 'sha256': {
      const value = text.toLowerCase();
      if (!new RegExp(`^[0-9a-f]{${hexLength[type]}}$`).test(value)) throw refuse(`a ${type} hash (${hexLength[type]} hex digits)`);
      return value;
    }
    case 'ip': {
      const value = text.toLowerCase();
      if (!isIPv4(value) && !isIPv6(value)) throw refuse('an IPv4 or IPv6 address');
      return value;
    }
    case 'cidr': {
      if (!text.includes('/') || cidrRangeSql('x', text, () => '$1', { lambdaVariable: () => 'v' }) === undefined) throw refuse('an IPv4 or IPv6 CIDR range such as 10.0.0.0/8');
      return text.toLowerCase();
    }
    case 'domain': {
      const value = text.toLowerCase().replace(/\.$/, '');
      if (!domainPattern.test(value)) throw refuse('a domain name');
      return value;
    }
    case 'port': {
      if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw refuse('a port number (0-65535)');
      return String(Number(text));
    }
    case 'process_name': {
      if (!text || text.length > 255 || /[\\/\u0000]/.test(text)) throw refuse('a process name (a file name without directory, 1-255 characters)');
      return text.toLowerCase();
    }
    case 'path': {
      const value = String(raw);
      if (!value || value.length > 4096 || value.includes('\u0000')) throw refuse('a file path (1-4096 characters)');
      return value;
    }
  }
}
