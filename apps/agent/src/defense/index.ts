// Threat defense on the agent: keeps the exec blocklist in step with the server (long-poll over the agent's mutual-TLS
// channel, saved under the state dir so it is enforced offline and from the first second after a restart) and hands
// it to the exec guard. Never enforces a policy that failed validation; never blocks the agent's start.

import { join } from 'node:path';
import { VigilError, createLogger } from '@vigil/common';
import type { CollectedEvent } from '@vigil/schema';
import { blocklistLimits, blocklistPaths, parseBlocklistPolicy, parseBlocklistPollReply, type BlocklistPoll, type BlocklistPolicy } from '@vigil/protocol/blocklist';
import { AgentChannel, errorText } from '../transport.js';
import { readState, writeState } from '../response/internal/state-file.js';
import { createExecGuard, type ExecGuard, type ExecGuardStatus } from './exec-guard.js';

export interface DefenseOptions {
  agentId: string;
  stateDir: string;
  /** host:port of the server's agent listener. */
  endpoint: string;
  credentials: { keyPem: string; certPem: string; caPem: string };
  emit(event: CollectedEvent): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Seconds the server may hold a poll (default 25). */
  pollWaitSeconds?: number;
}

export interface Defense {
  status(): ExecGuardStatus;
  /** Polls the server now (not waiting), enforces what it answers and returns the versions. */
  syncNow(): Promise<{ server_version: number; status: ExecGuardStatus }>;
  stop(): Promise<void>;
}

const log = createLogger('agent.defense');
const policyFile = (stateDir: string) => join(stateDir, 'defense', 'blocklist.json');
let active: Defense | undefined;

/** The defense of this agent process, once started (for the defense.blocklist.sync handler). */
export function activeDefense(): Defense | undefined {
  return active;
}

function isPolicy(value: unknown): value is BlocklistPolicy {
  try {
    parseBlocklistPolicy(value);
    return true;
  } catch {
    return false;
  }
}

export function startDefense(options: DefenseOptions): Defense {
  const guard: ExecGuard = createExecGuard({ emit: options.emit, warn: options.warn });
  const channel = new AgentChannel(options.endpoint, options.credentials);
  const waitSeconds = Math.min(options.pollWaitSeconds ?? 25, blocklistLimits.maxWaitSeconds);
  let applied = 0;
  let stopping = false;
  let wake: (() => void) | undefined;
  let applying: Promise<unknown> = Promise.resolve();

  const enforce = (policy: BlocklistPolicy, source: string) => {
    const work = applying.then(async () => {
      applied = policy.version;
      try {
        await guard.setPolicy(policy);
      } catch (error) {
        log.warn('blocklist not enforced yet; retrying', { version: policy.version, source, error: (error as Error).message });
      }
    });
    applying = work.catch(() => undefined);
    return work;
  };

  let saved: BlocklistPolicy | undefined;
  try {
    saved = readState(policyFile(options.stateDir), isPolicy);
  } catch (error) {
    options.warn('saved blocklist is unreadable; waiting for the server', { error: (error as Error).message });
  }
  if (saved) void enforce(saved, 'saved');

  const pollOnce = async (wait: number): Promise<number> => {
    const status = guard.status();
    const body: BlocklistPoll = {
      host_id: options.agentId,
      applied_version: applied,
      wait_s: wait,
      status: { state: status.state, kernel_paths: status.kernel_paths, userspace_entries: status.userspace_entries, blocked: status.blocked, ...(status.error ? { error: status.error.slice(0, 500) } : {}) },
    };
    const result = await channel.post(blocklistPaths.poll, JSON.stringify(body), (wait + 15) * 1000);
    if (result.status !== 200) throw new VigilError(result.status === 404 ? 'not_found' : 'unavailable', `blocklist poll: HTTP ${result.status}: ${errorText(result)}`);
    const reply = parseBlocklistPollReply(result.body);
    if (!reply.changed) return reply.version;
    writeState(policyFile(options.stateDir), reply.policy);
    await enforce(reply.policy, 'server');
    return reply.policy.version;
  };

  const loop = (async () => {
    let backoff = 1000;
    // The first poll asks for the current list at once (nothing saved yet) or reports the saved version; later
    // polls wait for changes.
    let first = true;
    while (!stopping) {
      try {
        await pollOnce(first && !saved ? 0 : waitSeconds);
        first = false;
        backoff = 1000;
      } catch (error) {
        if (stopping) break;
        const e = VigilError.wrap(error);
        log.warn('blocklist poll failed', { error: e.message, retry_ms: e.code === 'not_found' ? 60_000 : backoff });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, e.code === 'not_found' ? 60_000 : backoff);
          wake = () => (clearTimeout(timer), resolve());
        });
        wake = undefined;
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  })();

  const defense: Defense = {
    status: () => guard.status(),
    async syncNow() {
      const version = await pollOnce(0);
      await applying;
      return { server_version: version, status: guard.status() };
    },
    async stop() {
      stopping = true;
      wake?.();
      channel.close();
      await loop.catch(() => undefined);
      await guard.stop();
      if (active === defense) active = undefined;
    },
  };
  active = defense;
  return defense;
}
