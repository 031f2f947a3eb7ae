// Local account facts for the account handlers: /etc/passwd entries, the shadow expiry field and `passwd -S` status.
// Reads only; every parser returns undefined for malformed input instead of guessing.

import { readFileSync } from 'node:fs';
import { VigilError } from '@vigil/common';
import { runCommand } from '../../internal/command.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** One /etc/passwd line: name:password:uid:gid:gecos:home:shell. */
export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const fields = line.split(':');
  if (fields.length !== 7) return undefined;
  const [name, , uid, gid, , home, shell] = fields as [string, string, string, string, string, string, string];
  if (!name || !/^\d{1,10}$/.test(uid) || !/^\d{1,10}$/.test(gid)) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home, shell };
}

export function readPasswd(file = '/etc/passwd'): PasswdEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map(parsePasswdLine)
    .filter((entry): entry is PasswdEntry => !!entry);
}

/** uid → user name, for live queries. */
export function userNames(file = '/etc/passwd'): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const entry of readPasswd(file)) if (!names.has(entry.uid)) names.set(entry.uid, entry.name);
  } catch {
    // no passwd file: numeric ids only
  }
  return names;
}

/**
 * The account expiry field (days since 1970-01-01, '' for never) of one user in a shadow file's text;
 * undefined when the user has no well-formed line.
 */
export function shadowExpiry(text: string, user: string): string | undefined {
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== user) continue;
    if (fields.length !== 9) return undefined;
    const expire = fields[7]!;
    return /^(\d{1,9})?$/.test(expire) ? expire : undefined;
  }
  return undefined;
}

export function readShadowExpiry(user: string, file = '/etc/shadow'): string {
  const expire = shadowExpiry(readFileSync(file, 'utf8'), user);
  if (expire === undefined) throw new VigilError('system', `${file} has no well-formed entry for ${user}`);
  return expire;
}

export type PasswordStatus = 'P' | 'L' | 'NP';

/** The status field of `passwd -S <user>` output ("mallory L 2026-12-05 0 99999 7 -1"). */
export function parsePasswdStatus(output: string, user: string): PasswordStatus | undefined {
  const fields = output.trim().split(/\s+/);
  if (fields[0] !== user) return undefined;
  const status = fields[1];
  return status === 'P' || status === 'L' || status === 'NP' ? status : undefined;
}

export async function passwordStatus(user: string): Promise<PasswordStatus> {
  const result = await runCommand('passwd', ['-S', '--', user]);
  const status = result.code === 0 ? parsePasswdStatus(result.stdout, user) : undefined;
  if (!status) throw new VigilError('system', `passwd -S ${user} gave no status: ${(result.stderr || result.stdout).trim()}`);
  return status;
}
