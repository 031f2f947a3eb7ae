// Which event fields each indicator type is compared with, shared by stream matching (matcher.ts) and the retro
// sweep over stored events (the server's sweep SQL), so both find the same things. Field names are Vigil schema names.

import type { IndicatorType } from './core.js';

export interface IndicatorField {
  field: string;
  /** The field holds a list of values (`dns.resolved_ip`). */
  list?: boolean;
}

const scalar = (...names: string[]): IndicatorField[] => names.map((field) => ({ field }));

/**
 * Hash, address, port and path fields compare exactly (canonical text); domains match the name or any subdomain;
 * process and file names compare case-insensitively; URLs are looked for in command lines.
 */
export const indicatorFields: Readonly<Record<IndicatorType, readonly IndicatorField[]>> = {
  md5: scalar('process.hash.md5', 'file.hash.md5', 'dll.hash.md5', 'driver.hash.md5'),
  sha1: scalar('process.hash.sha1', 'file.hash.sha1', 'dll.hash.sha1', 'driver.hash.sha1'),
  sha256: scalar('process.hash.sha256', 'file.hash.sha256', 'dll.hash.sha256', 'driver.hash.sha256', 'script.hash.sha256'),
  ip: [...scalar('source.ip', 'destination.ip'), { field: 'dns.resolved_ip', list: true }],
  cidr: [...scalar('source.ip', 'destination.ip'), { field: 'dns.resolved_ip', list: true }],
  domain: scalar('dns.question.name', 'destination.domain', 'source.domain'),
  url: scalar('process.command_line'),
  file_name: scalar('file.name', 'process.name', 'dll.name'),
  path: scalar('process.executable', 'process.parent.executable', 'file.path', 'target.process.executable', 'dll.path', 'driver.path'),
  process_name: scalar('process.name', 'process.parent.name', 'target.process.name'),
  port: scalar('destination.port', 'source.port'),
};

/** URLs inside a command line (the stream matcher canonicalises each; the sweep searches the indicator's text). */
export const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s"'<>`|;]+/gi;
