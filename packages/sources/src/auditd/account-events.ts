// PAM account checks and credential records (USER_ACCT, CRED_ACQ, CRED_DISP), login uid changes (LOGIN) and audit
// configuration changes (CONFIG_CHANGE) as events. Never reports the source's own rule installs (their keys are given).

import { isIP } from 'node:net';
import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import { known, NOISE } from './login-events.js';
import type { AuditRecord } from './record-parser.js';
import { actingProcess } from './system-events.js';

type AccountEvent = Extract<CollectedEvent, { 'event.category': 'authentication' | 'log' }>;

const UNSET = '4294967295';
const digits = (value: string | undefined) => (value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined);

export interface AccountEventOptions {
  entityOf?: (pid: number) => string | undefined;
  /** Rule keys of our own rules: CONFIG_CHANGE records about them are not reported. */
  ownKeys?: readonly string[];
}

function base(record: AuditRecord, category: 'authentication' | 'log', action: string, type: string, success: boolean, options: AccountEventOptions): Record<string, unknown> {
  return {
    '@timestamp': new Date(record.timeMs).toISOString(),
    'event.category': category,
    'event.action': action,
    'event.type': type,
    'event.provider': 'auditd',
    'event.outcome': success ? 'success' : 'failure',
    ...actingProcess(record, options),
  };
}

const PAM_ACTIONS: Readonly<Record<string, (success: boolean) => [string, string]>> = {
  USER_ACCT: (ok) => [ok ? 'account_check' : 'account_check_failed', 'info'],
  CRED_ACQ: () => ['credentials_acquired', 'start'],
  CRED_DISP: () => ['credentials_disposed', 'end'],
};

/** Undefined unless the group holds one of the records this module reports. */
export function buildAccountEvent(records: readonly AuditRecord[], options: AccountEventOptions = {}): AccountEvent | undefined {
  for (const record of records) {
    const f = record.fields;
    const pam = PAM_ACTIONS[record.type];
    if (pam) {
      const exe = known(f.exe);
      const service = exe ? posix.basename(exe) : undefined;
      if (service && NOISE.has(service)) return undefined;
      const success = f.res === 'success' || f.res === 'yes';
      const [action, type] = pam(success);
      const event = base(record, 'authentication', action, type, success, options);
      if (service) event['logon.service'] = service;
      const account = known(f.acct);
      if (account) event['user.target.name'] = account;
      const address = known(f.addr);
      if (address && isIP(address)) event['source.ip'] = address;
      const terminal = known(f.terminal);
      if (terminal) event['logon.terminal'] = terminal;
      event.message = `${record.type} ${f.op ?? ''} ${account ?? '?'} via ${service ?? '?'} (${f.grantors ?? '?'}): ${f.res ?? '?'}`.replace(/\s+/g, ' ').trim();
      return event as AccountEvent;
    }
    if (record.type === 'LOGIN') {
      const success = f.res === '1' || f.res === 'success';
      const event = base(record, 'authentication', 'login_uid_set', 'change', success, options);
      const old = f['old-auid'];
      // `auid` of a LOGIN record is the new login uid.
      delete event['user.audit.id'];
      if (known(f.auid) && f.auid !== UNSET) {
        event['user.target.id'] = f.auid;
        event['user.audit.id'] = f.auid;
      }
      const syscall = records.find((r) => r.type === 'SYSCALL');
      if (syscall?.fields.exe && !event['process.executable']) {
        event['process.executable'] = syscall.fields.exe;
        event['process.name'] = posix.basename(syscall.fields.exe);
      }
      if (f.ses && f.ses !== UNSET) event['logon.id'] = f.ses;
      event.message = `login uid ${old === UNSET || old === undefined ? 'unset' : old} -> ${f.auid === UNSET ? 'unset' : (f.auid ?? '?')} (session ${f['old-ses'] ?? '?'} -> ${f.ses ?? '?'})`;
      return event as AccountEvent;
    }
    if (record.type === 'CONFIG_CHANGE') {
      const key = known(f.key);
      if (key && options.ownKeys?.includes(key)) return undefined;
      const success = f.res === '1' || f.res === 'success';
      const event = base(record, 'log', 'audit_policy_change', 'change', success, options);
      const syscall = records.find((r) => r.type === 'SYSCALL');
      if (syscall) {
        const pid = digits(syscall.fields.pid);
        if (pid !== undefined) {
          event['process.pid'] = pid;
          const entity = options.entityOf?.(pid);
          if (entity) event['process.entity_id'] = entity;
        }
        if (syscall.fields.exe) {
          event['process.executable'] = syscall.fields.exe;
          event['process.name'] = posix.basename(syscall.fields.exe);
        }
        if (known(syscall.fields.uid)) event['user.id'] = syscall.fields.uid;
      }
      event['log.logger'] = 'audit';
      const what = f.op ?? Object.keys(f).find((k) => !['auid', 'ses', 'res', 'subj', 'pid', 'uid'].includes(k)) ?? 'change';
      event.message = `audit configuration ${what}${key ? ` key=${key}` : ''}${f.list ? ` list=${f.list}` : ''}${f.audit_enabled !== undefined ? ` audit_enabled=${f.audit_enabled}` : ''}${f.backlog_limit !== undefined ? ` backlog_limit=${f.backlog_limit}` : ''}: ${success ? 'success' : 'failed'}`;
      return event as AccountEvent;
    }
  }
  return undefined;
}
