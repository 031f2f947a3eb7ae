// The model most profilers share: per host, contexts (a parent program, an executable, a user) with the items seen in
// them (children, templates, sources), exponentially decayed; plus fleet prevalence of each item. Never does I/O.
//
// Score of a new item: exp(-rate) × fleet factor, where `rate` is how many new items per day this context produced
// since novelty counting started (decayed; its prior is at most priorNovel items, less on a host that rarely meets new
// contexts; the host's rate of new contexts is also the rate of a context never seen), and the fleet factor falls as more hosts of the same role and of the fleet have the item
// (docs/anomaly.md).

import { VigilError } from '@vigil/common';
import type { ObserveOptions, ProfileContext, ProfileTuning } from '../core.js';

const DAY_MS = 86_400_000;
/** Most items kept per context and contexts per host; beyond that the least recently seen are dropped. */
const MAX_ITEMS_PER_CONTEXT = 4096;
const MAX_CONTEXTS_PER_HOST = 16_384;
const MAX_FLEET_KEYS = 200_000;
/**
 * Forgotten items of a host are dropped once both this much event time (they fade over weeks) and PRUNE_EVERY
 * observations of the host have passed since the last prune, so the walk over all its items stays rare.
 */
const PRUNE_EVERY_MS = DAY_MS;
const PRUNE_EVERY = 8192;
/**
 * A host's last-seen time of a fleet key is rewritten at most once per this much event time per item: prevalence looks
 * back weeks (fleetWindowDays), and skipping the rewrite spares the two lookups in the largest map for repeated items.
 */
const FLEET_REFRESH_MS = 3_600_000;

interface Item {
  /** Decayed weight at time `t`. */
  w: number;
  t: number;
  /** Observations ever (not decayed). */
  n: number;
  first: number;
  last: number;
  /** Event time this item last wrote its host's time under its fleet key; -Infinity: not yet. */
  fleetAt: number;
}

interface Context {
  /** Decayed observation count at `nt`. */
  n: number;
  nt: number;
  /** Decayed count of new items at `novelT`. */
  novel: number;
  novelT: number;
  first: number;
  last: number;
  items: Map<string, Item>;
  /** The host's observation count when the context last moved to the recent end of the host's map. */
  touched: number;
}

interface HostState {
  contexts: Map<string, Context>;
  /** Decayed count of new contexts. */
  contextNovel: number;
  contextNovelT: number;
  first: number;
  last: number;
  /** Observations of the host, for the approximate recency order of its contexts. */
  observations: number;
  /** Event time and observation count at the last prune of forgotten items. */
  prunedAt: number;
  prunedObservations: number;
}

/** Everything a profiler needs to explain and score a new item. */
export interface Assessment {
  contextKnown: boolean;
  /** Items the context has (not forgotten), excluding this one. */
  contextItems: number;
  /** Decayed observations of the context. */
  contextEvents: number;
  /** New items (or new contexts, for an unknown context) per day, decayed, with the prior. */
  ratePerDay: number;
  /** Decayed number of new items seen in the context (new contexts on the host when the context is unknown). */
  novelCount: number;
  /** exp(-ratePerDay): how unusual anything new is here. */
  hostScore: number;
  /** Other hosts that had the item recently, of all other hosts. */
  hostsWith: number;
  otherHosts: number;
  /** Other hosts of the same role that had it, of the other hosts in that role (0/0 when roles are unknown). */
  roleWith: number;
  otherRoleHosts: number;
  roleName: string | undefined;
  fleetFactor: number;
  score: number;
  /** Days since the host was first observed. */
  observedDays: number;
}

const decayed = (value: number, since: number, now: number, halfLifeMs: number) => (now > since ? value * 2 ** (-(now - since) / halfLifeMs) : value);

/** Decayed exposure in days between `start` and `now`: ∫ 2^(-(now-s)/H) ds. */
function exposureDays(start: number, now: number, halfLifeMs: number): number {
  if (now <= start) return 0;
  return ((halfLifeMs / Math.LN2) * (1 - 2 ** (-(now - start) / halfLifeMs))) / DAY_MS;
}

function fail(path: string, message: string): never {
  throw new VigilError('invalid_input', `profile state: ${message}`, { location: { path } });
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function numbers(value: unknown, count: number, path: string): number[] {
  if (!Array.isArray(value) || value.length < count) fail(path, `expected an array of ${count} numbers`);
  for (let i = 0; i < count; i++) if (!isNumber(value[i])) fail(`${path}[${i}]`, 'expected a finite number');
  return value as number[];
}

function stringAt(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'expected a string');
  return value;
}

function arrayAt(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, 'expected an array');
  return value;
}

/** Snapshot of several named tables for one scope, or undefined when all are empty. */
export function snapshotTables(tables: Record<string, NoveltyTable>, scope: string, fleetScope: string): unknown {
  const out: Record<string, unknown> = {};
  for (const [name, table] of Object.entries(tables)) {
    const state = scope === fleetScope ? table.snapshotFleet() : table.snapshotHost(scope);
    if (state !== undefined) out[name] = state;
  }
  return Object.keys(out).length ? { v: 1, tables: out } : undefined;
}

/** Restores what snapshotTables wrote, all tables or none; unknown table names are refused. */
export function restoreTables(tables: Record<string, NoveltyTable>, scope: string, fleetScope: string, state: unknown, path = 'state'): void {
  if (typeof state !== 'object' || state === null) fail(path, 'expected an object');
  const s = state as { v?: unknown; tables?: unknown };
  if (s.v !== 1) fail(`${path}.v`, `unsupported version ${JSON.stringify(s.v)}`);
  if (typeof s.tables !== 'object' || s.tables === null || Array.isArray(s.tables)) fail(`${path}.tables`, 'expected an object');
  const commits: (() => void)[] = [];
  for (const [name, tableState] of Object.entries(s.tables as Record<string, unknown>)) {
    const table = tables[name];
    if (!table) fail(`${path}.tables.${name}`, `unknown table ${JSON.stringify(name)}`);
    commits.push(scope === fleetScope ? table.prepareFleet(tableState, `${path}.tables.${name}`) : table.prepareHost(scope, tableState, `${path}.tables.${name}`));
  }
  for (const commit of commits) commit();
}

export class NoveltyTable {
  readonly #hosts = new Map<string, HostState>();
  /** fleet key → host → last seen (ms). */
  readonly #fleet = new Map<string, Map<string, number>>();

  /** Whether the item is known (not forgotten) in the context on the host. */
  known(hostId: string, contextKey: string, itemKey: string, now: number, tuning: ProfileTuning): boolean {
    const item = this.#hosts.get(hostId)?.contexts.get(contextKey)?.items.get(itemKey);
    return item !== undefined && decayed(item.w, item.t, now, tuning.halfLifeDays * DAY_MS) >= tuning.forgetBelow;
  }

  /** Undefined when the item is known here; otherwise how surprising it is. */
  assess(contextKey: string, itemKey: string, fleetKey: string, ctx: ProfileContext): Assessment | undefined {
    const { tuning, timeMs: now, hostId } = ctx;
    if (this.known(hostId, contextKey, itemKey, now, tuning)) return undefined;
    const halfLifeMs = tuning.halfLifeDays * DAY_MS;
    const host = this.#hosts.get(hostId);
    const context = host?.contexts.get(contextKey);
    let ratePerDay: number;
    let novelCount: number;
    let countContextItems = () => 0;
    let contextEvents = 0;
    // How often this host meets new contexts at all: the rate of an unknown context, and the prior of a young one.
    const hostNovel = host ? decayed(host.contextNovel, host.contextNovelT, now, halfLifeMs) : 0;
    const hostExposure = host ? exposureDays(Math.max(host.first, ctx.noveltyFromMs), now, halfLifeMs) : 0;
    const hostRate = (hostNovel + tuning.priorNovel) / (hostExposure + tuning.priorDays);
    if (context) {
      novelCount = decayed(context.novel, context.novelT, now, halfLifeMs);
      const exposure = exposureDays(Math.max(context.first, ctx.noveltyFromMs), now, halfLifeMs);
      // The prior never counts more than priorNovel new items, and less on a host that rarely meets anything new.
      ratePerDay = (novelCount + Math.min(tuning.priorNovel, hostRate * tuning.priorDays)) / (exposure + tuning.priorDays);
      // Only explanations read this count, and walking a full context costs more than the rest of the assessment.
      countContextItems = () => {
        let count = 0;
        for (const [key, item] of context.items) if (key !== itemKey && decayed(item.w, item.t, now, halfLifeMs) >= tuning.forgetBelow) count++;
        return count;
      };
      contextEvents = decayed(context.n, context.nt, now, halfLifeMs);
    } else {
      novelCount = hostNovel;
      ratePerDay = hostRate;
    }
    const hostScore = Math.exp(-ratePerDay);
    const fleet = this.prevalence(fleetKey, ctx);
    const fleetShare = fleet.otherHosts > 0 ? fleet.hostsWith / fleet.otherHosts : 0;
    const roleShare = fleet.otherRoleHosts > 0 ? fleet.roleWith / fleet.otherRoleHosts : 0;
    const fleetFactor = (1 - roleShare) * (1 - 0.5 * fleetShare);
    let contextItems: number | undefined;
    return {
      contextKnown: context !== undefined,
      get contextItems() {
        return (contextItems ??= countContextItems());
      },
      contextEvents,
      ratePerDay,
      novelCount,
      hostScore,
      ...fleet,
      fleetFactor,
      score: hostScore * fleetFactor,
      observedDays: Math.max(0, (now - ctx.hostFirstMs) / DAY_MS),
    };
  }

  /** How many other hosts (and other hosts of the role) had the fleet key within the fleet window. */
  prevalence(fleetKey: string, ctx: ProfileContext): { hostsWith: number; otherHosts: number; roleWith: number; otherRoleHosts: number; roleName: string | undefined } {
    const since = ctx.timeMs - ctx.tuning.fleetWindowDays * DAY_MS;
    const peers = ctx.fleet.peersOf(ctx.hostId);
    let hostsWith = 0;
    let roleWith = 0;
    const seen = this.#fleet.get(fleetKey);
    if (seen) {
      for (const [other, last] of seen) {
        if (other === ctx.hostId || last < since) continue;
        hostsWith++;
        if (peers?.has(other)) roleWith++;
      }
    }
    const otherHosts = Math.max(0, ctx.fleet.hostCount() - 1);
    return {
      hostsWith: Math.min(hostsWith, otherHosts),
      otherHosts,
      roleWith,
      otherRoleHosts: peers ? Math.max(0, peers.size - (peers.has(ctx.hostId) ? 1 : 0)) : 0,
      roleName: ctx.fleet.roleName(ctx.hostId),
    };
  }

  observe(contextKey: string, itemKey: string, fleetKey: string | undefined, ctx: ProfileContext, options: ObserveOptions = {}): void {
    const { tuning, timeMs: now, hostId } = ctx;
    const weight = options.weight ?? 1;
    const countNovelty = (options.countNovelty ?? true) && now >= ctx.noveltyFromMs;
    const halfLifeMs = tuning.halfLifeDays * DAY_MS;
    let host = this.#hosts.get(hostId);
    if (!host) {
      host = { contexts: new Map(), contextNovel: 0, contextNovelT: now, first: now, last: now, observations: 0, prunedAt: now, prunedObservations: 0 };
      this.#hosts.set(hostId, host);
    }
    host.last = Math.max(host.last, now);
    const observation = ++host.observations;
    let context = host.contexts.get(contextKey);
    if (!context) {
      context = { n: 0, nt: now, novel: 0, novelT: now, first: now, last: now, items: new Map(), touched: observation };
      host.contexts.set(contextKey, context);
      if (countNovelty) {
        host.contextNovel = decayed(host.contextNovel, host.contextNovelT, now, halfLifeMs) + 1;
        host.contextNovelT = now;
      }
      if (host.contexts.size > MAX_CONTEXTS_PER_HOST) this.#evictContext(host);
    } else if (observation - context.touched > host.contexts.size >> 1) {
      // Moves the context to the recent end of the map for least-recently-seen eviction; a context seen again soon
      // stays where it is (it is already among the most recent half), so busy contexts do not rehash the map on every event.
      // The only context of a host (the command model's shapes) is at the recent end already.
      if (host.contexts.size > 1) {
        host.contexts.delete(contextKey);
        host.contexts.set(contextKey, context);
      }
      context.touched = observation;
    }
    let item = context.items.get(itemKey);
    const itemWeight = item === undefined ? 0 : decayed(item.w, item.t, now, halfLifeMs);
    const forgotten = item !== undefined && itemWeight < tuning.forgetBelow;
    if (!item || forgotten) {
      if (countNovelty && context.n > 0) {
        context.novel = decayed(context.novel, context.novelT, now, halfLifeMs) + 1;
        context.novelT = now;
      }
      if (!item) {
        item = { w: 0, t: now, n: 0, first: now, last: now, fleetAt: Number.NEGATIVE_INFINITY };
        context.items.set(itemKey, item);
        if (context.items.size > MAX_ITEMS_PER_CONTEXT) this.#evictItem(context, now, halfLifeMs, tuning.forgetBelow);
      } else {
        item.first = now;
      }
    }
    item.w = itemWeight + weight;
    item.t = Math.max(item.t, now);
    item.n += 1;
    item.last = Math.max(item.last, now);
    context.n = decayed(context.n, context.nt, now, halfLifeMs) + weight;
    context.nt = Math.max(context.nt, now);
    context.last = Math.max(context.last, now);
    if (fleetKey !== undefined && (now - item.fleetAt >= FLEET_REFRESH_MS || now < item.fleetAt)) {
      item.fleetAt = now;
      let hosts = this.#fleet.get(fleetKey);
      if (!hosts) {
        hosts = new Map();
        this.#fleet.set(fleetKey, hosts);
        if (this.#fleet.size > MAX_FLEET_KEYS) this.#evictFleetKey();
      }
      hosts.set(hostId, Math.max(hosts.get(hostId) ?? 0, now));
    }
    if (observation - host.prunedObservations >= PRUNE_EVERY && now - host.prunedAt >= PRUNE_EVERY_MS) {
      host.prunedAt = now;
      host.prunedObservations = observation;
      this.#prune(host, now, halfLifeMs, tuning.forgetBelow);
    }
  }

  /**
   * Makes room in a full context: forgotten items go, then the least recently seen until an eighth of the cap is free,
   * so a context that keeps meeting new items pays one walk per MAX_ITEMS_PER_CONTEXT / 8 new items, not one per item.
   */
  #evictItem(context: Context, now: number, halfLifeMs: number, forgetBelow: number): void {
    for (const [key, item] of context.items) if (decayed(item.w, item.t, now, halfLifeMs) < forgetBelow) context.items.delete(key);
    const target = MAX_ITEMS_PER_CONTEXT - MAX_ITEMS_PER_CONTEXT / 8;
    let excess = context.items.size - target;
    if (excess <= 0) return;
    const lasts = Float64Array.from(context.items.values(), (item) => item.last).sort();
    const cutoff = lasts[excess - 1]!;
    for (const [key, item] of context.items) {
      if (excess === 0) break;
      if (item.last <= cutoff) (context.items.delete(key), excess--);
    }
  }

  #evictContext(host: HostState): void {
    const first = host.contexts.keys().next();
    if (!first.done) host.contexts.delete(first.value);
  }

  #evictFleetKey(): void {
    const first = this.#fleet.keys().next();
    if (!first.done) this.#fleet.delete(first.value);
  }

  #prune(host: HostState, now: number, halfLifeMs: number, forgetBelow: number): void {
    for (const [key, context] of host.contexts) {
      for (const [itemKey, item] of context.items) if (decayed(item.w, item.t, now, halfLifeMs) < forgetBelow / 4) context.items.delete(itemKey);
      if (context.items.size === 0) host.contexts.delete(key);
    }
  }

  /** (context, item) pairs of a host whose decayed weight is at least `minWeight`. */
  entries(hostId: string, now: number, tuning: ProfileTuning, minWeight = 1): { context: string; item: string; weight: number; count: number; first: number; last: number }[] {
    const host = this.#hosts.get(hostId);
    if (!host) return [];
    const halfLifeMs = tuning.halfLifeDays * DAY_MS;
    const out: { context: string; item: string; weight: number; count: number; first: number; last: number }[] = [];
    for (const [contextKey, context] of host.contexts) {
      for (const [itemKey, item] of context.items) {
        const weight = decayed(item.w, item.t, now, halfLifeMs);
        if (weight >= minWeight) out.push({ context: contextKey, item: itemKey, weight, count: item.n, first: item.first, last: item.last });
      }
    }
    return out;
  }

  hasHost(hostId: string): boolean {
    return this.#hosts.has(hostId);
  }

  snapshotHost(hostId: string): unknown {
    const host = this.#hosts.get(hostId);
    if (!host) return undefined;
    return {
      first: host.first,
      last: host.last,
      cn: [host.contextNovel, host.contextNovelT],
      c: [...host.contexts].map(([key, c]) => [key, c.n, c.nt, c.novel, c.novelT, c.first, c.last, [...c.items].map(([k, i]) => [k, i.w, i.t, i.n, i.first, i.last])]),
    };
  }

  /** Checks a host snapshot and returns the function that installs it (so several tables restore all or nothing). */
  prepareHost(hostId: string, state: unknown, path: string): () => void {
    if (typeof state !== 'object' || state === null) fail(path, 'expected an object');
    const s = state as Record<string, unknown>;
    const [first, last] = [s.first, s.last];
    if (!isNumber(first) || !isNumber(last)) fail(`${path}.first`, 'expected first and last times');
    const [contextNovel, contextNovelT] = numbers(s.cn, 2, `${path}.cn`);
    const contexts = new Map<string, Context>();
    arrayAt(s.c, `${path}.c`).forEach((row, i) => {
      const at = `${path}.c[${i}]`;
      const r = arrayAt(row, at);
      const key = stringAt(r[0], `${at}[0]`);
      const [n, nt, novel, novelT, cFirst, cLast] = numbers(r.slice(1, 7), 6, at);
      const items = new Map<string, Item>();
      arrayAt(r[7], `${at}[7]`).forEach((itemRow, j) => {
        const itemAt = `${at}[7][${j}]`;
        const ir = arrayAt(itemRow, itemAt);
        const itemKey = stringAt(ir[0], `${itemAt}[0]`);
        const [w, t, count, iFirst, iLast] = numbers(ir.slice(1, 6), 5, itemAt);
        items.set(itemKey, { w: w!, t: t!, n: count!, first: iFirst!, last: iLast!, fleetAt: Number.NEGATIVE_INFINITY });
      });
      contexts.set(key, { n: n!, nt: nt!, novel: novel!, novelT: novelT!, first: cFirst!, last: cLast!, items, touched: 0 });
    });
    return () => void this.#hosts.set(hostId, { contexts, contextNovel: contextNovel!, contextNovelT: contextNovelT!, first, last, observations: 0, prunedAt: last, prunedObservations: 0 });
  }

  snapshotFleet(): unknown {
    if (this.#fleet.size === 0) return undefined;
    return [...this.#fleet].map(([key, hosts]) => [key, [...hosts]]);
  }

  prepareFleet(state: unknown, path: string): () => void {
    const fleet = new Map<string, Map<string, number>>();
    arrayAt(state, path).forEach((row, i) => {
      const at = `${path}[${i}]`;
      const r = arrayAt(row, at);
      const key = stringAt(r[0], `${at}[0]`);
      const hosts = new Map<string, number>();
      arrayAt(r[1], `${at}[1]`).forEach((pair, j) => {
        const p = arrayAt(pair, `${at}[1][${j}]`);
        const host = stringAt(p[0], `${at}[1][${j}][0]`);
        if (!isNumber(p[1])) fail(`${at}[1][${j}][1]`, 'expected a time');
        hosts.set(host, p[1]);
      });
      fleet.set(key, hosts);
    });
    return () => {
      this.#fleet.clear();
      for (const [key, hosts] of fleet) this.#fleet.set(key, hosts);
    };
  }
}

/** Days as text for explanations: `21 days`, `5 hours`. */
export function spanText(days: number): string {
  if (days >= 1.5) return `${Math.round(days)} days`;
  if (days >= 0.9) return '1 day';
  const hours = Math.max(1, Math.round(days * 24));
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

/** "seen on 0 of 40 hosts (0 of 12 in its role nginx, php-fpm)" */
export function fleetText(a: Pick<Assessment, 'hostsWith' | 'otherHosts' | 'roleWith' | 'otherRoleHosts' | 'roleName'>): string {
  if (a.otherHosts === 0) return 'no other host to compare with';
  const fleet = `seen on ${a.hostsWith} of ${a.otherHosts} other host${a.otherHosts === 1 ? '' : 's'}`;
  if (a.otherRoleHosts === 0) return fleet;
  return `${fleet} (${a.roleWith} of ${a.otherRoleHosts} in its role${a.roleName ? ` ${a.roleName}` : ''})`;
}

/** The numbers of an assessment as finding evidence. */
export function evidenceOf(a: Assessment): Record<string, number | boolean | string | null> {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    context_known: a.contextKnown,
    context_items: a.contextItems,
    novel_per_day: round(a.ratePerDay),
    host_score: round(a.hostScore),
    hosts_with: a.hostsWith,
    other_hosts: a.otherHosts,
    role_with: a.roleWith,
    other_role_hosts: a.otherRoleHosts,
    role: a.roleName ?? null,
    fleet_factor: round(a.fleetFactor),
    observed_days: round(a.observedDays),
  };
}
