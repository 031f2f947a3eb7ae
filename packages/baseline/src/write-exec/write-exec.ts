// Profiler of executables written then run: which program wrote a file that later ran, and from which place.
// A download tool writing into /tmp and the file running minutes later is the classic dropper; builds and package
// managers writing into their usual places are learned. Remembers the last writes per host (bounded).

import { VigilError } from '@vigil/common';
import type { ObserveOptions, ProfileContext, ProfileEvent, Profiler } from '../core.js';
import { FLEET_SCOPE } from '../core.js';
import { basename, text } from '../internal/fields.js';
import { fleetText, NoveltyTable, restoreTables, snapshotTables, spanText } from '../internal/novelty.js';
import { FEATURE_MIN_WEIGHT, scoreObservations, type NoveltyObservation } from '../internal/novelty-profiler.js';
import { directoryClass, pathTemplate } from '../template/command-template.js';

export const WRITE_EXEC = 'write-exec';
const WRITE_ACTIONS = new Set(['create', 'modify', 'rename', 'permission_change', 'link']);
/** A file that runs this long after it was written still counts as written then run. */
export const WRITE_EXEC_WINDOW_MS = 7 * 86_400_000;
/** Writes remembered per host (least recent dropped first). */
const MAX_WRITES_PER_HOST = 8192;

interface Write {
  writer: string;
  t: number;
}

function elapsed(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'seconds';
  if (minutes < 90) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} hours`;
  return `${Math.round(hours / 24)} days`;
}

export function createWriteExecProfiler(): Profiler {
  const tables = { runs: new NoveltyTable() };
  const writes = new Map<string, Map<string, Write>>();

  function observation(event: ProfileEvent, ctx: ProfileContext): NoveltyObservation | undefined {
    if (event['event.category'] !== 'process' || event['event.action'] !== 'start') return undefined;
    const exe = text(event, 'process.executable');
    const write = exe ? writes.get(ctx.hostId)?.get(exe) : undefined;
    if (!exe || !write || ctx.timeMs - write.t > WRITE_EXEC_WINDOW_MS) return undefined;
    const writerT = pathTemplate(write.writer);
    const place = directoryClass(exe);
    const writer = basename(write.writer);
    const after = elapsed(Math.max(0, ctx.timeMs - write.t));
    return {
      table: 'runs', type: 'written_then_run', context: writerT, item: place, fleetKey: `${writerT} ${place}`, key: `${writerT} → ${place}`,
      explain: (a) =>
        a.contextKnown
          ? `\`${exe}\` ran ${after} after \`${writer}\` wrote it – programs ${writer} wrote ran from ${a.contextItems} other place${a.contextItems === 1 ? '' : 's'} on this host in ${spanText(a.observedDays)}, never from ${place}; ${fleetText(a)}`
          : `\`${exe}\` ran ${after} after \`${writer}\` wrote it – no program written by ${writer} ran on this host in ${spanText(a.observedDays)}; ${fleetText(a)}`,
      evidence: { writer: write.writer, written_ms_before: Math.max(0, ctx.timeMs - write.t), place },
    };
  }

  function rememberWrite(event: ProfileEvent, ctx: ProfileContext): void {
    if (event['event.category'] !== 'file' || !WRITE_ACTIONS.has(text(event, 'event.action') ?? '')) return;
    const path = text(event, 'file.path');
    const writer = text(event, 'process.executable') ?? text(event, 'process.name');
    if (!path || !writer) return;
    let host = writes.get(ctx.hostId);
    if (!host) writes.set(ctx.hostId, (host = new Map()));
    host.delete(path);
    host.set(path, { writer, t: ctx.timeMs });
    if (host.size > MAX_WRITES_PER_HOST) {
      const oldest = host.keys().next();
      if (!oldest.done) host.delete(oldest.value);
    }
  }

  return {
    name: WRITE_EXEC,
    categories: ['file', 'process'],
    score(event, ctx) {
      try {
        const o = observation(event, ctx);
        return o ? scoreObservations(WRITE_EXEC, tables, [o], ctx) : undefined;
      } catch {
        return undefined;
      }
    },
    observe(event, ctx, options?: ObserveOptions) {
      try {
        rememberWrite(event, ctx);
        const o = observation(event, ctx);
        if (o) tables.runs.observe(o.context, o.item, o.fleetKey, ctx, options);
      } catch {
        // a malformed event teaches nothing
      }
    },
    features(hostId, timeMs, tuning) {
      return tables.runs.entries(hostId, timeMs, tuning, FEATURE_MIN_WEIGHT).map((e) => `wx:${basename(e.context)}>${e.item}`);
    },
    snapshot(scope) {
      const base = snapshotTables(tables, scope, FLEET_SCOPE) as { v: 1; tables: Record<string, unknown> } | undefined;
      const host = scope === FLEET_SCOPE ? undefined : writes.get(scope);
      if (!base && !host?.size) return undefined;
      return { v: 1, tables: base?.tables ?? {}, ...(host?.size ? { writes: [...host].map(([path, w]) => [path, w.writer, w.t]) } : {}) };
    },
    restore(scope, state) {
      const s = state as { writes?: unknown } | null;
      let parsed: Map<string, Write> | undefined;
      if (s && typeof s === 'object' && s.writes !== undefined) {
        if (!Array.isArray(s.writes)) throw new VigilError('invalid_input', 'profile state: expected an array', { location: { path: 'state.writes' } });
        parsed = new Map();
        s.writes.forEach((row: unknown, i: number) => {
          const r = row as unknown[];
          if (!Array.isArray(r) || typeof r[0] !== 'string' || typeof r[1] !== 'string' || typeof r[2] !== 'number' || !Number.isFinite(r[2])) {
            throw new VigilError('invalid_input', 'profile state: expected [path, writer, time]', { location: { path: `state.writes[${i}]` } });
          }
          parsed!.set(r[0], { writer: r[1], t: r[2] });
        });
      }
      restoreTables(tables, scope, FLEET_SCOPE, state);
      if (parsed && scope !== FLEET_SCOPE) writes.set(scope, parsed);
    },
  };
}
