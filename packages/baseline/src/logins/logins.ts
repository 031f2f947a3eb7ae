// Profiler of logins per host: users who never logged in here, sources a user never came from, privilege switches a
// user never made, and logins at hours a user is never active (UTC). Reads authentication events only.

import { VigilError } from '@vigil/common';
import type { Finding, ObserveOptions, ProfileContext, ProfileEvent, Profiler } from '../core.js';
import { FLEET_SCOPE } from '../core.js';
import { addressClass } from '../internal/addresses.js';
import { text } from '../internal/fields.js';
import { fleetText, NoveltyTable, restoreTables, snapshotTables, spanText } from '../internal/novelty.js';
import { FEATURE_MIN_WEIGHT, safeExtract, scoreObservations, type NoveltyObservation } from '../internal/novelty-profiler.js';

export const LOGINS = 'logins';
const DAY_MS = 86_400_000;
/** Logins a user needs (decayed) before an hour can be unusual for them. */
export const MIN_LOGINS_FOR_HOURS = 10;

function loginSource(event: ProfileEvent): string {
  const ip = text(event, 'source.ip');
  const cls = ip ? addressClass(ip) : undefined;
  if (cls) return cls;
  const domain = text(event, 'source.domain');
  if (domain) return domain.toLowerCase();
  const terminal = text(event, 'logon.terminal');
  return terminal ? `local:${terminal.replace(/\d+$/, '')}` : 'local';
}

function isLogon(event: ProfileEvent): boolean {
  return event['event.action'] === 'logon' && event['event.outcome'] !== 'failure';
}

function extract(event: ProfileEvent): NoveltyObservation[] {
  const service = text(event, 'logon.service') ?? text(event, 'process.name') ?? 'login';
  if (isLogon(event)) {
    const user = text(event, 'user.name') ?? text(event, 'user.target.name');
    if (!user) return [];
    const source = loginSource(event);
    return [
      {
        table: 'sources', type: 'new_login_source', context: user, item: source, fleetKey: `${user}@${source}`, key: `${user} from ${source}`,
        explain: (a) =>
          a.contextKnown
            ? `\`${user}\` logged in from ${source} via ${service} – never from there on this host (${a.contextItems} other source${a.contextItems === 1 ? '' : 's'} in ${spanText(a.observedDays)}); ${fleetText(a)}`
            : `\`${user}\` logged in from ${source} via ${service} – ${user} never logged in to this host in ${spanText(a.observedDays)}; ${fleetText(a)}`,
        evidence: { user, source, service },
      },
    ];
  }
  if (event['event.action'] === 'privilege_switch') {
    const user = text(event, 'user.name') ?? text(event, 'user.audit.name') ?? text(event, 'user.id');
    const target = text(event, 'user.target.name') ?? text(event, 'user.target.id') ?? 'root';
    if (!user) return [];
    const item = `${service}:${target}`;
    return [
      {
        table: 'switches', type: 'new_privilege_switch', context: user, item, fleetKey: `${user}>${item}`, key: `${user} → ${target} via ${service}`,
        explain: (a) =>
          a.contextKnown
            ? `\`${user}\` became \`${target}\` via ${service} – a switch ${user} never made on this host (${a.contextItems} other in ${spanText(a.observedDays)}); ${fleetText(a)}`
            : `\`${user}\` became \`${target}\` via ${service} – ${user} never switched user on this host in ${spanText(a.observedDays)}; ${fleetText(a)}`,
        evidence: { user, target, service },
      },
    ];
  }
  return [];
}

interface Hours {
  t: number;
  w: number[];
}

export function createLoginsProfiler(): Profiler {
  const tables = { sources: new NoveltyTable(), switches: new NoveltyTable() };
  /** host → user → decayed logins per UTC hour. */
  const hours = new Map<string, Map<string, Hours>>();
  const observations = (event: ProfileEvent) => (event['event.category'] === 'authentication' ? safeExtract(extract, event) : []);

  function hourFinding(event: ProfileEvent, ctx: ProfileContext): Finding | undefined {
    if (!isLogon(event)) return undefined;
    const user = text(event, 'user.name') ?? text(event, 'user.target.name');
    const h = user ? hours.get(ctx.hostId)?.get(user) : undefined;
    if (!user || !h) return undefined;
    const factor = 2 ** (-(Math.max(0, ctx.timeMs - h.t)) / (ctx.tuning.halfLifeDays * DAY_MS));
    const total = h.w.reduce((a, b) => a + b, 0) * factor;
    if (total < MIN_LOGINS_FOR_HOURS) return undefined;
    const hour = new Date(ctx.timeMs).getUTCHours();
    const near = (h.w[(hour + 23) % 24]! + h.w[hour]! + h.w[(hour + 1) % 24]!) * factor;
    const share = (near + 0.5) / (total + 1);
    const score = Math.max(0, 1 - share / (3 / 24)) * Math.min(1, total / 30);
    if (score <= 0) return undefined;
    const from = String((hour + 23) % 24).padStart(2, '0');
    const to = String((hour + 2) % 24).padStart(2, '0');
    return {
      profiler: LOGINS,
      type: 'unusual_login_hour',
      key: `${user} at ${String(hour).padStart(2, '0')}h`,
      score,
      explanation: `\`${user}\` logged in at ${String(hour).padStart(2, '0')}:${String(new Date(ctx.timeMs).getUTCMinutes()).padStart(2, '0')} UTC – ${Math.round(near)} of ${Math.round(total)} of ${user}'s recent logins on this host were between ${from}:00 and ${to}:00`,
      evidence: { user, hour, logins_near_hour: Math.round(near * 10) / 10, logins: Math.round(total * 10) / 10 },
    };
  }

  return {
    name: LOGINS,
    categories: ['authentication'],
    score(event, ctx) {
      const novelty = scoreObservations(LOGINS, tables, observations(event), ctx);
      const hour = hourFinding(event, ctx);
      return !hour || (novelty && novelty.score >= hour.score) ? novelty : hour;
    },
    observe(event, ctx, options?: ObserveOptions) {
      for (const o of observations(event)) tables[o.table as keyof typeof tables]?.observe(o.context, o.item, o.fleetKey, ctx, options);
      if (!isLogon(event)) return;
      const user = text(event, 'user.name') ?? text(event, 'user.target.name');
      if (!user) return;
      let users = hours.get(ctx.hostId);
      if (!users) hours.set(ctx.hostId, (users = new Map()));
      let h = users.get(user);
      if (!h) users.set(user, (h = { t: ctx.timeMs, w: new Array<number>(24).fill(0) }));
      const factor = 2 ** (-(Math.max(0, ctx.timeMs - h.t)) / (ctx.tuning.halfLifeDays * DAY_MS));
      for (let i = 0; i < 24; i++) h.w[i] = h.w[i]! * factor;
      h.t = Math.max(h.t, ctx.timeMs);
      const hour = new Date(ctx.timeMs).getUTCHours();
      h.w[hour] = h.w[hour]! + (options?.weight ?? 1);
    },
    features(hostId, timeMs, tuning) {
      return tables.sources.entries(hostId, timeMs, tuning, FEATURE_MIN_WEIGHT).map((e) => `login:${e.context}`);
    },
    snapshot(scope) {
      const base = snapshotTables(tables, scope, FLEET_SCOPE) as { v: 1; tables: Record<string, unknown> } | undefined;
      const users = scope === FLEET_SCOPE ? undefined : hours.get(scope);
      if (!base && !users) return undefined;
      return { v: 1, tables: base?.tables ?? {}, ...(users ? { hours: [...users].map(([user, h]) => [user, h.t, h.w]) } : {}) };
    },
    restore(scope, state) {
      const s = state as { hours?: unknown } | null;
      let parsed: Map<string, Hours> | undefined;
      if (s && typeof s === 'object' && s.hours !== undefined) {
        if (!Array.isArray(s.hours)) throw new VigilError('invalid_input', 'profile state: expected an array', { location: { path: 'state.hours' } });
        parsed = new Map();
        s.hours.forEach((row: unknown, i: number) => {
          const r = row as unknown[];
          const ok = Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number' && Number.isFinite(r[1]) && Array.isArray(r[2]) && r[2].length === 24 && r[2].every((v) => typeof v === 'number' && Number.isFinite(v));
          if (!ok) throw new VigilError('invalid_input', 'profile state: expected [user, time, 24 numbers]', { location: { path: `state.hours[${i}]` } });
          parsed!.set(r[0] as string, { t: r[1] as number, w: [...(r[2] as number[])] });
        });
      }
      restoreTables(tables, scope, FLEET_SCOPE, state);
      if (parsed && scope !== FLEET_SCOPE) hours.set(scope, parsed);
    },
  };
}
