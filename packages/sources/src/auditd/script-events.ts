// Script execution events derived from process starts: interpreters given code on the command line (script/command)
// or running a script file (script/file, with the file's SHA-256). Never reads a script file except to hash it.

import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import { parseScriptInvocation } from './script-command.js';

export type ScriptCollectedEvent = Extract<CollectedEvent, { 'event.category': 'script' }>;
type ProcessStart = Extract<CollectedEvent, { 'event.category': 'process' }>;

const COPIED = [
  'process.pid', 'process.entity_id', 'process.name', 'process.executable', 'process.args', 'process.args_count', 'process.command_line',
  'process.working_directory', 'process.hash.sha256', 'process.start', 'process.parent.pid', 'process.parent.entity_id',
  'process.parent.executable', 'process.parent.name', 'user.id', 'user.name', 'user.effective.id', 'user.effective.name', 'group.id',
  'group.name', 'user.audit.id', 'user.audit.name', 'process.session_id', 'process.tty.name', 'process.interactive',
] as const;

const MAX_PATH = 4096;

export interface ScriptEventOptions {
  /** SHA-256 of a script file; omitted when absent or undefined. */
  hashFile?: (path: string) => Promise<string | undefined>;
}

/** The script event of a successful process start by an interpreter, or undefined when it runs no script. */
export async function buildScriptEvent(start: ProcessStart, options: ScriptEventOptions = {}): Promise<ScriptCollectedEvent | undefined> {
  if (start['event.action'] !== 'start' || start['event.outcome'] === 'failure') return undefined;
  const args = start['process.args'];
  if (!args || args.length === 0) return undefined;
  const invocation = parseScriptInvocation(args, start['process.executable']);
  if (!invocation) return undefined;
  const event: ScriptCollectedEvent = {
    '@timestamp': start['@timestamp'],
    'event.category': 'script',
    'event.action': invocation.kind,
    'event.type': 'start',
    'event.provider': start['event.provider'] ?? 'auditd',
    'event.outcome': 'success',
    'script.language': invocation.language,
  };
  for (const key of COPIED) {
    const value = start[key];
    if (value !== undefined) (event as Record<string, unknown>)[key] = value;
  }
  const who = start['process.name'] ?? invocation.language;
  if (invocation.kind === 'command') {
    event['script.text'] = invocation.text ?? '';
    if (invocation.decoded !== undefined) event['script.decoded'] = invocation.decoded;
    const preview = (invocation.decoded ?? invocation.text ?? '').replace(/\s+/g, ' ').slice(0, 200);
    event.message = `${who} ran ${invocation.decoded !== undefined ? 'encoded ' : ''}code from its command line: ${preview}`;
    return event;
  }
  const given = invocation.path ?? '';
  const cwd = start['process.working_directory'];
  const path = given.startsWith('/') ? posix.normalize(given) : cwd ? posix.join(cwd, given) : given;
  event['script.path'] = path.slice(0, MAX_PATH);
  const digest = await options.hashFile?.(path).catch(() => undefined);
  if (digest) event['script.hash.sha256'] = digest;
  event.message = `${who} ran the script ${path}`;
  return event;
}
