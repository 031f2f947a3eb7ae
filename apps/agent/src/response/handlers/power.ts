// Agent handlers of host.shutdown and host.reboot (specs in @vigil/response/actions/power).
// Reports first, powers off after the delay; never needs systemd as PID 1 (reboot(2) through `reboot -f`/`poweroff -f`).

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { VigilError, createLogger } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import type { ActionHandler } from '../handler.js';
import { writeJsonDurable } from './internal/file-ops.js';
import { bootId } from './internal/procfs.js';

export type PowerKind = 'shutdown' | 'reboot';
export type PowerArgs = { delay_seconds?: number; reason?: string };

export interface PowerHandlerOptions {
  /** Commands tried in order until one powers off; default: see defaultPowerCommands. */
  commands?: Record<PowerKind, readonly (readonly string[])[]>;
  /** The magic SysRq trigger used when every command failed (default /proc/sysrq-trigger; false: never). */
  sysrqTrigger?: string | false;
  /** How long a command that returned may take to bring the host down before the next is tried (default 10 s). */
  graceMs?: number;
}

const log = createLogger('agent.response.power');

/**
 * With systemd as PID 1 a forced `systemctl` keeps the unmounting of file systems; without it, `reboot -f` and
 * `poweroff -f` call reboot(2) after sync() (systemctl's halt compatibility mode and sysvinit's halt both do).
 */
export function defaultPowerCommands(systemd = existsSync('/run/systemd/system')): Record<PowerKind, string[][]> {
  return {
    reboot: [...(systemd ? [['systemctl', 'reboot', '--force']] : []), ['reboot', '-f'], ['systemctl', 'reboot', '-ff']],
    shutdown: [...(systemd ? [['systemctl', 'poweroff', '--force']] : []), ['poweroff', '-f'], ['systemctl', 'poweroff', '-ff']],
  };
}

function onPath(file: string): boolean {
  const dirs = file.includes('/') ? [''] : (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((dir) => {
    try {
      accessSync(dir ? join(dir, file) : file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function run(command: readonly string[]): Promise<number | string> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'ignore' });
    child.on('error', (error) => resolve(error.message));
    child.on('exit', (code, signal) => resolve(signal ?? code ?? -1));
  });
}

interface PowerMarker {
  action: string;
  task_id: string;
  boot_id: string;
  scheduled_at: string;
  reason?: string;
}

export function createPowerHandlers(options: PowerHandlerOptions = {}): ActionHandler[] {
  const commands = options.commands ?? defaultPowerCommands();
  const sysrq = options.sysrqTrigger === undefined ? '/proc/sysrq-trigger' : options.sysrqTrigger;
  const graceMs = options.graceMs ?? 10_000;
  const markerFile = (stateDir: string) => join(stateDir, 'power-pending.json');

  async function powerOff(kind: PowerKind, available: readonly (readonly string[])[]): Promise<void> {
    for (const command of available) {
      log.warn(`powering off (${kind}) now`, { command: command.join(' ') });
      const result = await run(command);
      // A command that worked takes the host down before or shortly after it returns.
      await sleep(graceMs);
      log.error('power command returned and the host is still up; trying the next way', { command: command.join(' '), result });
    }
    if (sysrq && existsSync(sysrq)) {
      log.warn('powering off through magic SysRq', { trigger: sysrq });
      for (const key of ['s', 'u']) {
        writeFileSync(sysrq, key);
        await sleep(1000);
      }
      writeFileSync(sysrq, kind === 'reboot' ? 'b' : 'o');
    }
    log.error(`could not ${kind} the host: every way failed`);
  }

  const make = (kind: PowerKind): ActionHandler<PowerArgs> => {
    const action = kind === 'reboot' ? 'host.reboot' : 'host.shutdown';
    return {
      action,
      async run(args, context): Promise<ActionOutcome> {
        const available = commands[kind].filter((command) => command.length > 0 && onPath(command[0]!));
        const withSysrq = !!sysrq && existsSync(sysrq);
        if (available.length === 0 && !withSysrq) throw new VigilError('system', `no way to ${kind} this host: none of ${commands[kind].map((c) => c[0]).join(', ')} is installed and there is no SysRq trigger`);
        const delay = args.delay_seconds ?? 5;
        const marker: PowerMarker = { action, task_id: context.taskId, boot_id: bootId(), scheduled_at: new Date().toISOString(), ...(args.reason ? { reason: args.reason } : {}) };
        writeJsonDurable(markerFile(context.stateDir), marker);
        log.warn(`${action} scheduled`, { task: context.taskId, delay_s: delay, reason: args.reason });
        // Not unref'd: a scheduled power-off must happen even when nothing else keeps the agent busy.
        setTimeout(() => void powerOff(kind, available).catch((error: unknown) => log.error(`${kind} failed`, { error: (error as Error).message })), delay * 1000);
        const method = available[0]?.join(' ') ?? `SysRq via ${String(sysrq)}`;
        return {
          ok: true,
          // The agent cannot observe its own power-off: the next start compares the boot id (see restore).
          verified: false,
          summary: `${kind} scheduled in ${delay} s (${method}); the host goes offline then`,
          details: { action, delay_seconds: delay, scheduled_for: new Date(Date.now() + delay * 1000).toISOString(), methods: [...available.map((c) => c.join(' ')), ...(withSysrq ? [`sysrq:${String(sysrq)}`] : [])], boot_id: marker.boot_id },
        };
      },
      async restore(context) {
        // Called once at agent start: the effect of a power action shows as a new boot id.
        const file = markerFile(context.stateDir);
        let marker: Partial<PowerMarker>;
        try {
          marker = JSON.parse(readFileSync(file, 'utf8')) as Partial<PowerMarker>;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('unreadable power marker; removed', { file, error: (error as Error).message });
          if (existsSync(file)) unlinkSync(file);
          return;
        }
        if (typeof marker !== 'object' || marker === null || marker.action !== action) return;
        if (typeof marker.boot_id === 'string' && marker.boot_id !== bootId()) log.info(`${marker.action} of task ${marker.task_id} took effect: the host booted again`, { scheduled_at: marker.scheduled_at });
        else log.warn(`${marker.action} of task ${marker.task_id} was scheduled at ${marker.scheduled_at}, but the host did not go down (the agent restarted before it)`);
        unlinkSync(file);
      },
    };
  };

  return [make('shutdown'), make('reboot')];
}
