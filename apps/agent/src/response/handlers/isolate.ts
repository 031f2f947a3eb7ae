// Agent handlers of host.isolate and host.release (specs in @vigil/response/actions/network): nftables host isolation
// that keeps the Vigil server reachable. Never isolates without a reachable server, never leaves the host isolated
// with the server unreachable after applying (rolls back), never touches a table other than inet vigil_isolation.

import { join } from 'node:path';
import { VigilError, createLogger } from '@vigil/common';
import type { IsolationReport } from '@vigil/protocol';
import type { ActionOutcome } from '@vigil/response';
import type { ActionContext, ActionHandler } from '../handler.js';
import { parseAllowEntry, type AllowEntry, type Family } from '../internal/addresses.js';
import { cutTcpConnections, nftApply, nftListTable, resolveAll, resolvers, tcpReachable } from '../internal/host-network.js';
import { ISOLATION_TABLE, checkIsolationListing, isolationRemoval, isolationRuleset, type Endpoint, type IsolationPlan } from '../internal/nftables-ruleset.js';
import { readState, removeState, serialised, writeState } from '../internal/state-file.js';

export interface IsolateArgs {
  allow?: string[];
  allow_dns?: boolean;
  allow_dhcp?: boolean;
}

/** What survives an agent restart: the plan as applied and why. */
export interface IsolationState {
  version: 1;
  isolated_at: string;
  task_id: string;
  args: IsolateArgs;
  plan: IsolationPlan;
}

const log = createLogger('agent.isolation');
const stateFile = (stateDir: string) => join(stateDir, 'network', 'isolation.json');
const once = serialised();

function isState(value: unknown): value is IsolationState {
  const v = value as IsolationState;
  return typeof v === 'object' && v !== null && v.version === 1 && typeof v.plan === 'object' && Array.isArray(v.plan?.server) && Array.isArray(v.plan?.allow) && Array.isArray(v.plan?.dns);
}

/** Reads the saved isolation state; undefined when the host is not isolated. */
export function isolationState(stateDir: string): IsolationState | undefined {
  return readState(stateFile(stateDir), isState);
}

async function serverEndpoints(server: { host: string; port: number }): Promise<Endpoint[]> {
  const addresses = await resolveAll(server.host);
  return addresses.map((a) => ({ family: a.family, address: a.address, port: server.port }));
}

/** The first server endpoint that answers a TCP connect, trying each address (a few attempts in all). */
async function reachableServer(endpoints: Endpoint[], attempts = 3): Promise<Endpoint | undefined> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    for (const endpoint of endpoints) if (await tcpReachable(endpoint.address, endpoint.port, 2000)) return endpoint;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

/** Destinations whose TCP connections survive isolation (ss filter terms). */
function keptDestinations(plan: IsolationPlan): { family: Family; address: string; prefix?: number; port?: number }[] {
  return [
    ...plan.server.map((s) => ({ family: s.family, address: s.address, port: s.port })),
    ...plan.allow.map((a) => (a.kind === 'cidr' ? { family: a.cidr.family, address: a.cidr.address, prefix: a.cidr.prefix } : { family: a.family, address: a.address, port: a.port })),
    ...plan.dns.map((d) => ({ family: d.family, address: d.address, port: 53 })),
  ];
}

async function applyAndCheck(plan: IsolationPlan): Promise<void> {
  await nftApply(isolationRuleset(plan));
  const problems = checkIsolationListing(await nftListTable(ISOLATION_TABLE), plan);
  if (problems.length) throw new VigilError('system', `the isolation table differs from what was applied: ${problems.join('; ')}`);
}

function parseArgs(args: IsolateArgs): { allow: AllowEntry[]; dns: boolean; dhcp: boolean } {
  if (args.allow !== undefined && !Array.isArray(args.allow)) throw new VigilError('invalid_input', 'allow must be a list', { location: { path: 'args.allow' } });
  return {
    allow: (args.allow ?? []).map((entry, i) => parseAllowEntry(String(entry), `args.allow[${i}]`)),
    dns: args.allow_dns ?? true,
    dhcp: args.allow_dhcp ?? true,
  };
}

export async function isolate(args: IsolateArgs, context: Pick<ActionContext, 'stateDir' | 'server' | 'taskId'>): Promise<ActionOutcome> {
  return once(async () => {
    const started = performance.now();
    const parsed = parseArgs(args);
    const server = await serverEndpoints(context.server).catch((error: unknown) => {
      throw new VigilError('conflict', `refusing to isolate: ${VigilError.wrap(error).message}`);
    });
    const before = await reachableServer(server);
    if (!before) throw new VigilError('conflict', `refusing to isolate: the Vigil server ${context.server.host}:${context.server.port} is not reachable over TCP now, so the host could not be managed once isolated`);
    const dns = parsed.dns ? await resolvers() : [];
    const plan: IsolationPlan = { server, allow: parsed.allow, dns, dhcp: parsed.dhcp };
    const previous = isolationState(context.stateDir);
    const state: IsolationState = { version: 1, isolated_at: new Date().toISOString(), task_id: context.taskId, args, plan };
    // Intent first: if the agent dies right after applying, restore() at the next start re-applies, never forgets.
    writeState(stateFile(context.stateDir), state);
    const rollBack = async (reason: string): Promise<never> => {
      try {
        if (previous) {
          await applyAndCheck(previous.plan);
          writeState(stateFile(context.stateDir), previous);
        } else {
          await nftApply(isolationRemoval());
          removeState(stateFile(context.stateDir));
        }
      } catch (error) {
        throw new VigilError('system', `${reason}; rolling back failed too: ${VigilError.wrap(error).message}`);
      }
      throw new VigilError('system', `${reason}; rolled back (${previous ? 'previous isolation re-applied' : 'host not isolated'})`);
    };
    try {
      await applyAndCheck(plan);
    } catch (error) {
      return rollBack(VigilError.wrap(error).message);
    }
    const applyMs = performance.now() - started;
    const after = await reachableServer([before, ...server.filter((s) => s !== before)]);
    if (!after) return rollBack(`the Vigil server ${before.address}:${before.port} became unreachable after isolating`);
    let cut = 0;
    let cutError: string | undefined;
    try {
      cut = await cutTcpConnections(keptDestinations(plan));
    } catch (error) {
      // Packets of those connections are dropped anyway; only the immediate notice to local programs is lost.
      cutError = VigilError.wrap(error).message;
      log.warn('could not destroy open connections; their packets are dropped', { error: cutError });
    }
    const details = {
      table: `inet ${ISOLATION_TABLE}`,
      server: server.map((s) => `${s.family === 6 ? `[${s.address}]` : s.address}:${s.port}`),
      allow: args.allow ?? [],
      dns: dns.map((d) => d.address),
      dhcp: parsed.dhcp,
      connections_cut: cut,
      ...(cutError ? { cut_error: cutError } : {}),
      apply_ms: Math.round(applyMs),
      total_ms: Math.round(performance.now() - started),
    };
    log.info('host isolated', details);
    return {
      ok: true,
      verified: true,
      summary: `host isolated: only ${details.server.join(', ')}${dns.length ? `, DNS ${details.dns.join(', ')}` : ''}${parsed.allow.length ? ` and ${parsed.allow.length} allowed destination(s)` : ''} reachable; ${cut} open connection(s) cut`,
      details,
    };
  });
}

export async function release(context: Pick<ActionContext, 'stateDir'>): Promise<ActionOutcome> {
  return once(async () => {
    const previous = isolationState(context.stateDir);
    const existed = (await nftListTable(ISOLATION_TABLE)) !== undefined;
    await nftApply(isolationRemoval());
    if ((await nftListTable(ISOLATION_TABLE)) !== undefined) throw new VigilError('system', `table inet ${ISOLATION_TABLE} is still present after deleting it`);
    removeState(stateFile(context.stateDir));
    log.info('isolation released', { was_isolated: existed || previous !== undefined });
    return {
      ok: true,
      verified: true,
      summary: existed || previous ? 'isolation released: the network is reachable again' : 'host was not isolated; nothing to release',
      details: { table_removed: existed, isolated_since: previous?.isolated_at ?? null },
    };
  });
}

/**
 * Re-applies a saved isolation at agent start. Never lifts isolation (even when the server is unreachable now: the
 * host stays cut off until a release). Adds the server's current addresses when they can be resolved.
 */
export async function restoreIsolation(context: Pick<ActionContext, 'stateDir' | 'server'>): Promise<boolean> {
  return once(async () => {
    const saved = isolationState(context.stateDir);
    if (!saved) return false;
    const plan = saved.plan;
    const current = await serverEndpoints(context.server).catch(() => [] as Endpoint[]);
    for (const endpoint of current) {
      if (!plan.server.some((s) => s.address === endpoint.address && s.port === endpoint.port)) plan.server.push(endpoint);
    }
    await applyAndCheck(plan);
    if (current.length) writeState(stateFile(context.stateDir), { ...saved, plan });
    const reachable = await reachableServer(plan.server, 1);
    log.info('isolation restored at start', { server: plan.server.map((s) => `${s.address}:${s.port}`), server_reachable: reachable !== undefined });
    return true;
  });
}

/**
 * The isolation in force, checked: the saved plan compared with the listed nftables table (nft runs only while an
 * isolation is saved). Never changes the host; waits for an isolate or release in progress.
 */
export function isolationReport(stateDir: string, now = () => new Date()): Promise<IsolationReport> {
  return once(async (): Promise<IsolationReport> => {
    const state = isolationState(stateDir);
    if (!state) return { state: 'released', since: null, checked_at: now().toISOString() };
    let problem: string | undefined;
    try {
      problem = checkIsolationListing(await nftListTable(ISOLATION_TABLE), state.plan)[0];
    } catch (error) {
      problem = VigilError.wrap(error).message;
    }
    return { state: problem ? 'unverified' : 'isolated', since: state.isolated_at, checked_at: now().toISOString(), ...(problem ? { problem } : {}) };
  });
}

export function createIsolationHandlers(): ActionHandler[] {
  const isolateHandler: ActionHandler<IsolateArgs> = {
    action: 'host.isolate',
    run: (args, context) => isolate(args, context),
    async restore(context) {
      await restoreIsolation(context);
    },
    report: async (context) => ({ isolation: await isolationReport(context.stateDir) }),
  };
  const releaseHandler: ActionHandler<Record<string, never>> = {
    action: 'host.release',
    run: (_args, context) => release(context),
  };
  return [isolateHandler, releaseHandler] as ActionHandler[];
}

