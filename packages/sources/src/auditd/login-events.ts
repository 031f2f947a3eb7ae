// Logins, failed logins, logoffs and su/sudo privilege switches from the PAM records programs send to the audit log
// (USER_AUTH, USER_LOGIN, USER_START, USER_END, USER_LOGOUT). Never reads anything but the records it is given.

import { isIP } from 'node:net';
import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import type { AuditRecord } from './record-parser.js';

export type AuthenticationCollectedEvent = Extract<CollectedEvent, { 'event.category': 'authentication' }>;

const LOGIN_RECORDS = new Set(['USER_AUTH', 'USER_LOGIN', 'USER_START', 'USER_END', 'USER_LOGOUT']);
/** Programs whose sessions are privilege switches rather than logins. */
const SWITCHERS = new Set(['su', 'sudo', 'runuser', 'doas', 'pkexec']);
/** Programs whose PAM sessions are not interactive logins (scheduled jobs): not reported (here and in account-events.ts). */
export const NOISE: ReadonlySet<string> = new Set(['cron', 'crond', 'atd', 'systemd']);
/** Programs that report a login with USER_LOGIN / USER_LOGOUT; their PAM session records would double them. */
const LOGIN_PROGRAMS = new Set(['sshd', 'login', 'gdm', 'gdm-session-worker', 'lightdm', 'xrdp', 'sddm']);

/** A PAM record field's value, undefined for the placeholders auditd writes when there is none. */
export const known = (value: string | undefined): string | undefined => (value === undefined || value === '?' || value === '' || value === '(none)' ? undefined : value);

/** Undefined unless the group is one PAM login-related record this source reports. */
export function buildLoginEvent(records: readonly AuditRecord[]): AuthenticationCollectedEvent | undefined {
  const record = records.find((r) => LOGIN_RECORDS.has(r.type));
  if (!record) return undefined;
  const f = record.fields;
  const exe = known(f.exe);
  const service = exe ? posix.basename(exe) : undefined;
  if (service && NOISE.has(service)) return undefined;
  const success = f.res === 'success' || f.res === 'yes';
  const op = f.op ?? '';
  const switcher = service !== undefined && SWITCHERS.has(service);
  let action: AuthenticationCollectedEvent['event.action'];
  switch (record.type) {
    case 'USER_AUTH':
      if (success) return undefined; // the session or login record that follows reports the success
      action = 'logon_failed';
      break;
    case 'USER_LOGIN':
      action = success ? 'logon' : 'logon_failed';
      break;
    case 'USER_START':
      if (!switcher || !success) return undefined;
      action = 'privilege_switch';
      break;
    case 'USER_END':
      if (service !== undefined && LOGIN_PROGRAMS.has(service)) return undefined; // USER_LOGOUT reports it
      action = 'logoff';
      break;
    default:
      action = 'logoff';
  }
  const event: AuthenticationCollectedEvent = {
    '@timestamp': new Date(record.timeMs).toISOString(),
    'event.category': 'authentication',
    'event.action': action,
    'event.type': action === 'logoff' ? 'end' : action === 'privilege_switch' ? 'change' : 'start',
    'event.provider': 'auditd',
    'event.outcome': success ? 'success' : 'failure',
  };
  const pid = f.pid !== undefined && /^\d+$/.test(f.pid) ? Number(f.pid) : undefined;
  if (pid !== undefined) event['process.pid'] = pid;
  if (exe) {
    event['process.executable'] = exe;
    event['process.name'] = posix.basename(exe);
  }
  if (service) event['logon.service'] = service;
  const account = known(f.acct);
  if (switcher && action === 'privilege_switch') {
    if (account) event['user.target.name'] = account;
    if (known(f.uid) && f.uid !== '4294967295') event['user.id'] = f.uid!;
    if (known(f.auid) && f.auid !== '4294967295') event['user.audit.id'] = f.auid!;
  } else {
    if (account) event['user.name'] = account;
    const id = known(f.id);
    if (id && /^\d+$/.test(id)) event['user.id'] = id;
  }
  const address = known(f.addr);
  if (address && isIP(address)) event['source.ip'] = address;
  const host = known(f.hostname);
  if (host && !isIP(host)) event['source.domain'] = host;
  const terminal = known(f.terminal);
  if (terminal) event['logon.terminal'] = terminal;
  if (op === 'pubkey_auth') event['logon.method'] = 'publickey';
  else if (op.startsWith('PAM:authentication') || op === 'PAM:authentication') event['logon.method'] = 'password';
  if (!success && action === 'logon_failed') event['logon.failure_reason'] = op ? `${op} failed` : 'failed';
  if (known(f.ses) && f.ses !== '4294967295' && /^\d+$/.test(f.ses!)) event['logon.id'] = f.ses!;
  event.message = `${record.type} ${op} ${account ?? ''} via ${service ?? '?'}${address ? ` from ${address}` : ''}: ${f.res ?? '?'}`.replace(/\s+/g, ' ').trim();
  return event;
}
