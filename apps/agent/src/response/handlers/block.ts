// Agent handlers of net.block and net.unblock (specs in @vigil/response/actions/network): addresses, CIDRs, ports and
// domains in the named sets of nftables table inet vigil_block. Never blocks the Vigil server's own address or port.

import { join } from 'node:path';
import { VigilError, createLogger } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import type { ActionContext, ActionHandler } from '../handler.js';
import { addressToBig, cidrRange, cidrText, covered, parseCidr, type Cidr } from '../internal/addresses.js';
import { nftApply, nftListTable, resolveAll } from '../internal/host-network.js';
import { BLOCK_TABLE, blockRemoval, blockRuleset, checkBlockListing, type BlockPlan, type Protocol } from '../internal/nftables-ruleset.js';
import { readState, serialised, writeState } from '../internal/state-file.js';

export interface BlockArgs {
  ip?: string;
  port?: number;
  protocol?: 'tcp' | 'udp' | 'both';
  domain?: string;
}

export interface BlockState {
  version: 1;
  /** Canonical CIDR texts blocked directly. */
  ips: string[];
  ports: { protocol: Protocol; port: number }[];
  /** Domain → every address it resolved to since it was blocked (addresses are kept: DNS answers rotate). */
  domains: Record<string, { addresses: string[]; resolved_at: string }>;
}

/** Most addresses remembered per blocked domain; the oldest are forgotten first. */
const MAX_DOMAIN_ADDRESSES = 256;
const log = createLogger('agent.block');
const stateFile = (stateDir: string) => join(stateDir, 'network', 'blocks.json');
const once = serialised();
const empty = (): BlockState => ({ version: 1, ips: [], ports: [], domains: {} });

function isState(value: unknown): value is BlockState {
  const v = value as BlockState;
  return typeof v === 'object' && v !== null && v.version === 1 && Array.isArray(v.ips) && Array.isArray(v.ports) && typeof v.domains === 'object' && v.domains !== null;
}

export function blockState(stateDir: string): BlockState {
  return readState(stateFile(stateDir), isState) ?? empty();
}

export function planOf(state: BlockState): BlockPlan {
  const cidrs = new Map<string, Cidr>();
  for (const [i, text] of state.ips.entries()) {
    const cidr = parseCidr(text, `blocks.ips[${i}]`);
    cidrs.set(cidrText(cidr), cidr);
  }
  for (const [name, entry] of Object.entries(state.domains)) {
    for (const address of entry.addresses) {
      const cidr = parseCidr(address, `blocks.domains[${JSON.stringify(name)}]`);
      cidrs.set(cidrText(cidr), cidr);
    }
  }
  return { cidrs: [...cidrs.values()], ports: state.ports };
}

async function apply(state: BlockState): Promise<void> {
  const plan = planOf(state);
  if (!plan.cidrs.length && !plan.ports.length) {
    await nftApply(blockRemoval());
    if ((await nftListTable(BLOCK_TABLE)) !== undefined) throw new VigilError('system', `table inet ${BLOCK_TABLE} is still present after deleting it`);
    return;
  }
  await nftApply(blockRuleset(plan));
  const problems = checkBlockListing(await nftListTable(BLOCK_TABLE), plan);
  if (problems.length) throw new VigilError('system', `the block table differs from what was applied: ${problems.join('; ')}`);
}

const protocols = (protocol: BlockArgs['protocol']): Protocol[] => (protocol === 'tcp' ? ['tcp'] : protocol === 'udp' ? ['udp'] : ['tcp', 'udp']);

function target(args: BlockArgs): 'ip' | 'port' | 'domain' {
  const given = (['ip', 'port', 'domain'] as const).filter((key) => args[key] !== undefined);
  if (given.length !== 1) throw new VigilError('invalid_input', 'give exactly one of ip, port or domain', { location: { path: 'args' } });
  return given[0]!;
}

function normaliseDomain(domain: string): string {
  const name = domain.toLowerCase().replace(/\.$/, '');
  if (!/^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(name) || name.length > 253) throw new VigilError('invalid_input', `${JSON.stringify(domain)} is not a domain name`, { location: { path: 'args.domain' } });
  return name;
}

/** Refuses blocks that would cut the agent off its server (it could never be unblocked again). */
async function guardServer(server: { host: string; port: number }, cidr: Cidr | undefined, port: { protocols: Protocol[]; port: number } | undefined): Promise<void> {
  if (port && port.port === server.port && port.protocols.includes('tcp')) throw new VigilError('conflict', `refusing to block tcp port ${port.port}: it is the Vigil server's agent port`, { location: { path: 'args.port' } });
  if (!cidr) return;
  const addresses = await resolveAll(server.host).catch(() => []);
  for (const address of addresses) {
    if (address.family !== cidr.family) continue;
    const n = addressToBig(address.family, address.address);
    if (covered([n, n], [cidrRange(cidr)])) throw new VigilError('conflict', `refusing to block ${cidrText(cidr)}: it contains the Vigil server address ${address.address}`, { location: { path: 'args' } });
  }
}

async function resolveDomain(name: string): Promise<string[]> {
  const found = await resolveAll(name).catch((error: unknown) => {
    throw new VigilError('not_found', `cannot block ${name}: ${VigilError.wrap(error).message}`, { location: { path: 'args.domain' } });
  });
  return [...new Set(found.map((a) => cidrText(parseCidr(a.address, 'args.domain'))))];
}

function describe(args: BlockArgs): string {
  if (args.ip !== undefined) return args.ip;
  if (args.port !== undefined) return `${args.protocol ?? 'tcp+udp'} port ${args.port}`;
  return `domain ${args.domain}`;
}

export async function block(args: BlockArgs, context: Pick<ActionContext, 'stateDir' | 'server'>): Promise<ActionOutcome> {
  return once(async () => {
    const kind = target(args);
    const state = blockState(context.stateDir);
    const before = JSON.stringify(state);
    let addresses: string[] = [];
    if (kind === 'ip') {
      const cidr = parseCidr(String(args.ip), 'args.ip');
      await guardServer(context.server, cidr, undefined);
      if (!state.ips.includes(cidrText(cidr))) state.ips.push(cidrText(cidr));
      addresses = [cidrText(cidr)];
    } else if (kind === 'port') {
      const port = Number(args.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new VigilError('invalid_input', 'port must be 1..65535', { location: { path: 'args.port' } });
      await guardServer(context.server, undefined, { protocols: protocols(args.protocol), port });
      for (const protocol of protocols(args.protocol)) if (!state.ports.some((p) => p.protocol === protocol && p.port === port)) state.ports.push({ protocol, port });
    } else {
      const name = normaliseDomain(String(args.domain));
      addresses = await resolveDomain(name);
      for (const address of addresses) await guardServer(context.server, parseCidr(address, 'args.domain'), undefined);
      const known = state.domains[name]?.addresses ?? [];
      state.domains[name] = { addresses: [...new Set([...known, ...addresses])].slice(-MAX_DOMAIN_ADDRESSES), resolved_at: new Date().toISOString() };
      scheduleRefresh(context);
    }
    writeState(stateFile(context.stateDir), state);
    try {
      await apply(state);
    } catch (error) {
      const previous = JSON.parse(before) as BlockState;
      writeState(stateFile(context.stateDir), previous);
      await apply(previous).catch(() => undefined);
      throw VigilError.wrap(error, 'system');
    }
    const plan = planOf(state);
    log.info('blocked', { target: describe(args), addresses });
    return {
      ok: true,
      verified: true,
      summary: `blocked ${describe(args)}${kind === 'domain' ? ` (${addresses.join(', ')})` : ''}`,
      details: { table: `inet ${BLOCK_TABLE}`, ...(addresses.length ? { addresses } : {}), blocked_networks: plan.cidrs.length, blocked_ports: plan.ports.length },
    };
  });
}

export async function unblock(args: BlockArgs, context: Pick<ActionContext, 'stateDir'>): Promise<ActionOutcome> {
  return once(async () => {
    const kind = target(args);
    const state = blockState(context.stateDir);
    let found = false;
    if (kind === 'ip') {
      const text = cidrText(parseCidr(String(args.ip), 'args.ip'));
      found = state.ips.includes(text);
      state.ips = state.ips.filter((ip) => ip !== text);
    } else if (kind === 'port') {
      const port = Number(args.port);
      const wanted = protocols(args.protocol);
      found = state.ports.some((p) => p.port === port && wanted.includes(p.protocol));
      state.ports = state.ports.filter((p) => !(p.port === port && wanted.includes(p.protocol)));
    } else {
      const name = normaliseDomain(String(args.domain));
      found = name in state.domains;
      delete state.domains[name];
    }
    if (!found) throw new VigilError('not_found', `${describe(args)} is not blocked on this host`, { location: { path: 'args' } });
    writeState(stateFile(context.stateDir), state);
    await apply(state);
    const plan = planOf(state);
    const stillBlocked = kind === 'ip' ? plan.cidrs.some((c) => covered(cidrRange(parseCidr(String(args.ip), 'args.ip')), [cidrRange(c)])) : false;
    log.info('unblocked', { target: describe(args), still_blocked_by_other_entry: stillBlocked });
    return {
      ok: true,
      verified: true,
      summary: `unblocked ${describe(args)}${stillBlocked ? ' (still blocked by another entry)' : ''}`,
      details: { table: `inet ${BLOCK_TABLE}`, blocked_networks: plan.cidrs.length, blocked_ports: plan.ports.length, still_blocked: stillBlocked },
    };
  });
}

/** Resolves every blocked domain again and blocks new addresses; returns how many addresses were added. */
export async function refreshDomains(context: Pick<ActionContext, 'stateDir'>): Promise<number> {
  return once(async () => {
    const state = blockState(context.stateDir);
    let added = 0;
    for (const [name, entry] of Object.entries(state.domains)) {
      const found = await resolveAll(name).catch(() => []);
      const fresh = found.map((a) => cidrText(parseCidr(a.address, name))).filter((a) => !entry.addresses.includes(a));
      if (!fresh.length) continue;
      added += fresh.length;
      state.domains[name] = { addresses: [...entry.addresses, ...fresh].slice(-MAX_DOMAIN_ADDRESSES), resolved_at: new Date().toISOString() };
    }
    if (added) {
      writeState(stateFile(context.stateDir), state);
      await apply(state);
      log.info('blocked domains resolved to new addresses', { added });
    }
    return added;
  });
}

let refreshTimer: NodeJS.Timeout | undefined;
function scheduleRefresh(context: Pick<ActionContext, 'stateDir'>): void {
  if (refreshTimer) return;
  const seconds = Number(process.env.VIGIL_BLOCK_REFRESH_SECONDS ?? 300);
  refreshTimer = setInterval(() => {
    refreshDomains(context).catch((error: unknown) => log.warn('refreshing blocked domains failed', { error: VigilError.wrap(error).message }));
  }, Math.max(5, seconds) * 1000);
  refreshTimer.unref();
}

/** Re-applies the saved blocks at agent start (the kernel forgets nftables tables at reboot). */
export async function restoreBlocks(context: Pick<ActionContext, 'stateDir'>): Promise<boolean> {
  const state = await once(async () => blockState(context.stateDir));
  const plan = planOf(state);
  if (!plan.cidrs.length && !plan.ports.length && !Object.keys(state.domains).length) return false;
  await once(() => apply(state));
  if (Object.keys(state.domains).length) {
    scheduleRefresh(context);
    // Not awaited: resolving may take the resolver's full timeout (DNS cut off by isolation) and must not delay start.
    void refreshDomains(context).catch((error: unknown) => log.warn('refreshing blocked domains failed', { error: VigilError.wrap(error).message }));
  }
  return true;
}

export function createBlockHandlers(): ActionHandler[] {
  const blockHandler: ActionHandler<BlockArgs> = {
    action: 'net.block',
    run: (args, context) => block(args, context),
    async restore(context) {
      await restoreBlocks(context);
    },
  };
  const unblockHandler: ActionHandler<BlockArgs> = { action: 'net.unblock', run: (args, context) => unblock(args, context) };
  return [blockHandler, unblockHandler] as ActionHandler[];
}
