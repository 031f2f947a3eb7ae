// Agent handlers of account.lock and account.unlock (specs in @vigil/response/actions/account).
// Never locks root or the account the agent runs as; unlock restores the state recorded before the first lock.

import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import type { ActionContext, ActionHandler } from '../handler.js';
import { passwordStatus, readPasswd, readShadowExpiry, type PasswdEntry, type PasswordStatus } from './internal/accounts.js';
import { runChecked } from '../internal/command.js';
import { writeJsonDurable } from './internal/file-ops.js';
import { listPids, readStat, readStatus } from './internal/procfs.js';

export type LockArgs = { user: string; end_sessions?: boolean };
export type UnlockArgs = { user: string };

export interface AccountHandlerOptions {
  /** How long lock waits for the user's processes to be gone (default 5000 ms). */
  verifyTimeoutMs?: number;
  /** Files read for accounts (tests point them elsewhere only to check parsing; the tools still edit the real ones). */
  passwdFile?: string;
  shadowFile?: string;
}

interface AccountRecord {
  user: string;
  uid: number;
  /** `passwd -S` status before the first lock. */
  status: PasswordStatus;
  /** Shadow expiry field before the first lock: days since 1970-01-01, '' for never. */
  expire: string;
  locked_at: string;
  task_id: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parseRecord(text: string, where: string): AccountRecord {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new VigilError('system', `account record ${where} is not JSON: ${(error as Error).message}`, { location: { file: where } });
  }
  const ok =
    typeof v === 'object' && v !== null && typeof v.user === 'string' && Number.isSafeInteger(v.uid) && (v.status === 'P' || v.status === 'L' || v.status === 'NP') &&
    typeof v.expire === 'string' && /^(\d{1,9})?$/.test(v.expire) && typeof v.locked_at === 'string' && typeof v.task_id === 'string';
  if (!ok) throw new VigilError('system', `account record ${where} is malformed`, { location: { file: where } });
  return v as unknown as AccountRecord;
}

/** Processes whose real or effective uid is `uid`. */
function processesOf(uid: number): number[] {
  return listPids().filter((pid) => {
    const status = readStatus(pid);
    return !!status && (status.uids[0] === uid || status.uids[1] === uid) && readStat(pid)?.state !== 'Z';
  });
}

export function createAccountHandlers(options: AccountHandlerOptions = {}): ActionHandler[] {
  const timeoutMs = options.verifyTimeoutMs ?? 5000;
  const recordFile = (context: Pick<ActionContext, 'stateDir'>, user: string) => join(context.stateDir, 'accounts', `${user}.json`);

  const lookup = (user: string): PasswdEntry => {
    const entry = readPasswd(options.passwdFile).find((e) => e.name === user);
    if (!entry) throw new VigilError('not_found', `no local account ${user} in ${options.passwdFile ?? '/etc/passwd'}`, { location: { path: 'args.user' } });
    return entry;
  };

  const readRecord = (file: string): AccountRecord | undefined => {
    try {
      return parseRecord(readFileSync(file, 'utf8'), file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw VigilError.wrap(error, 'system');
    }
  };

  const lock: ActionHandler<LockArgs> = {
    action: 'account.lock',
    async run(args, context): Promise<ActionOutcome> {
      const entry = lookup(args.user);
      if (entry.uid === 0) throw new VigilError('invalid_input', `refusing to lock ${entry.name}: uid 0 (root) is never locked`, { location: { path: 'args.user' } });
      if (entry.uid === process.getuid?.() || entry.uid === process.geteuid?.()) throw new VigilError('invalid_input', `refusing to lock ${entry.name}: the Vigil agent runs as this account`, { location: { path: 'args.user' } });
      const file = recordFile(context, entry.name);
      const previous = readRecord(file) ?? {
        user: entry.name,
        uid: entry.uid,
        status: await passwordStatus(entry.name),
        expire: readShadowExpiry(entry.name, options.shadowFile),
        locked_at: new Date().toISOString(),
        task_id: context.taskId,
      };
      mkdirSync(join(context.stateDir, 'accounts'), { recursive: true, mode: 0o700 });
      writeJsonDurable(file, previous);
      // Day 1 (1970-01-02) is in the past: PAM's account check refuses every login, key-based ones too.
      await runChecked('usermod', ['-L', '-e', '1', '--', entry.name]);
      const killed: number[] = [];
      let remaining: number[] = [];
      if (args.end_sessions !== false) {
        const deadline = Date.now() + timeoutMs;
        // Repeat: a session may spawn a process between the scan and the signals.
        do {
          for (const pid of processesOf(entry.uid)) {
            try {
              process.kill(pid, 'SIGKILL');
              if (!killed.includes(pid)) killed.push(pid);
            } catch {
              // already gone
            }
          }
          await sleep(20);
          remaining = processesOf(entry.uid);
        } while (remaining.length > 0 && Date.now() < deadline && !context.signal.aborted);
      }
      const status = await passwordStatus(entry.name);
      const expire = readShadowExpiry(entry.name, options.shadowFile);
      const problems: string[] = [];
      if (status !== 'L') problems.push(`passwd -S reports ${status}, not L`);
      if (expire !== '1') problems.push(`account expiry is ${JSON.stringify(expire)}, not 1`);
      if (remaining.length) problems.push(`${remaining.length} processes of ${entry.name} survived: ${remaining.slice(0, 10).join(', ')}`);
      const verified = problems.length === 0;
      return {
        ok: verified,
        verified,
        summary: verified ? `locked ${entry.name} (uid ${entry.uid}) and ended its sessions (${killed.length} processes killed)` : `locking ${entry.name} is incomplete: ${problems.join('; ')}`,
        details: { user: entry.name, uid: entry.uid, password_status: status, expire, killed: killed.slice(0, 2000), killed_total: killed.length, previous: { status: previous.status, expire: previous.expire }, ...(problems.length ? { problems } : {}) },
      };
    },
  };

  const unlock: ActionHandler<UnlockArgs> = {
    action: 'account.unlock',
    async run(args, context): Promise<ActionOutcome> {
      const entry = lookup(args.user);
      if (entry.uid === 0) throw new VigilError('invalid_input', `refusing to change ${entry.name}: uid 0 (root) is never locked or unlocked by Vigil`, { location: { path: 'args.user' } });
      const file = recordFile(context, entry.name);
      const record = readRecord(file);
      const wantStatus: PasswordStatus | 'unlocked' = record?.status ?? 'unlocked';
      const wantExpire = record?.expire ?? '';
      const now = await passwordStatus(entry.name);
      if (wantStatus === 'NP') await runChecked('usermod', ['-p', '', '--', entry.name]);
      else if (wantStatus === 'L') {
        if (now !== 'L') await runChecked('usermod', ['-L', '--', entry.name]);
      } else if (now === 'L') await runChecked('usermod', ['-U', '--', entry.name]);
      await runChecked('usermod', ['-e', wantExpire, '--', entry.name]);
      const status = await passwordStatus(entry.name);
      const expire = readShadowExpiry(entry.name, options.shadowFile);
      const problems: string[] = [];
      if (wantStatus === 'unlocked' ? status === 'L' : status !== wantStatus) problems.push(`passwd -S reports ${status}, wanted ${wantStatus}`);
      if (expire !== wantExpire) problems.push(`account expiry is ${JSON.stringify(expire)}, wanted ${JSON.stringify(wantExpire)}`);
      const verified = problems.length === 0;
      if (verified && record) unlinkSync(file);
      return {
        ok: verified,
        verified,
        summary: verified
          ? record
            ? `restored ${entry.name} to its state before ${record.locked_at} (password ${status}, expiry ${expire || 'never'})`
            : `unlocked ${entry.name} (no lock by Vigil recorded; password ${status}, expiry cleared)`
          : `unlocking ${entry.name} is incomplete: ${problems.join('; ')}`,
        details: { user: entry.name, uid: entry.uid, password_status: status, expire, restored_from_record: !!record, ...(problems.length ? { problems } : {}) },
      };
    },
  };

  return [lock, unlock];
}
