// The learned command-line detector: a character n-gram model of every command-line template the fleet ran, scoring
// a template no host ran before by how unusual its characters are compared with earlier new templates (a percentile),
// calibrated per host by how many new shapes that host runs a day (so a busy workstation does not alert more often).

import { VigilError } from '@vigil/common';
import type { ObserveOptions, ProfileContext, ProfileEvent, Profiler } from '../core.js';
import { FLEET_SCOPE } from '../core.js';
import { NoveltyTable, restoreTables, snapshotTables } from '../internal/novelty.js';
import { shown, text } from '../internal/fields.js';
import { templateOf } from '../command-line/command-line.js';
import { CharNgramModel } from './char-ngram.js';

export const COMMAND_MODEL = 'command-model';
const BIN_WIDTH = 0.05;
const BINS = 480;
const MAX_SEEN = 500_000;

export interface CommandModelOptions {
  /** New templates the model must have seen before it scores (default 300). */
  minTemplates?: number;
  order?: number;
  /**
   * New shapes per day a host may run before its scores are scaled down (default 1): the model's alerts per host-day
   * stay about (1 - threshold) × this, however many new shapes a host runs.
   */
  referenceShapesPerDay?: number;
}

function lineOf(event: ProfileEvent): { template: string; line: string } | undefined {
  if (event['event.category'] !== 'process' || event['event.action'] !== 'start') return undefined;
  const t = templateOf(event);
  if (!t) return undefined;
  return { template: t.template, line: text(event, 'process.command_line', 65_536) ?? t.args.join(' ') };
}

export function createCommandModelProfiler(options: CommandModelOptions = {}): Profiler {
  const minTemplates = options.minTemplates ?? 300;
  const reference = options.referenceShapesPerDay ?? 1;
  /** Per host: every shape it ran (one context), for its rate of new shapes. */
  const tables = { shapes: new NoveltyTable() };
  let model = new CharNgramModel({ order: options.order ?? 5 });
  /** Every template the fleet ran, with when it was last run: a template not run for many half-lives is new again. */
  let seen = new Map<string, number>();
  /** Surprisal (bits per character) of each template at the moment it was first seen, binned. */
  let histogram = new Array<number>(BINS).fill(0);
  let recorded = 0;
  const bin = (bits: number) => Math.min(BINS - 1, Math.max(0, Math.floor(bits / BIN_WIDTH)));

  function percentile(bits: number): number {
    const b = bin(bits);
    let below = 0;
    for (let i = 0; i < b; i++) below += histogram[i]!;
    return (below + histogram[b]! / 2) / recorded;
  }

  /** Whether the fleet ran `template` recently enough that its decayed weight is still above the forget threshold. */
  function known(template: string, timeMs: number, tuning: ProfileContext['tuning']): boolean {
    const last = seen.get(template);
    if (last === undefined) return false;
    const ageDays = Math.max(0, timeMs - last) / 86_400_000;
    return 0.5 ** (ageDays / tuning.halfLifeDays) >= tuning.forgetBelow;
  }

  return {
    name: COMMAND_MODEL,
    categories: ['process'],
    score(event, ctx) {
      try {
        const t = lineOf(event);
        if (!t || known(t.template, ctx.timeMs, ctx.tuning) || recorded < minTemplates) return undefined;
        const bits = model.surprisal(t.template);
        const rank = percentile(bits);
        const shapesPerDay = tables.shapes.assess('*', t.template, '', ctx)?.ratePerDay ?? 0;
        const score = Math.max(0, 1 - (1 - rank) * Math.max(1, shapesPerDay / reference));
        return {
          profiler: COMMAND_MODEL,
          type: 'unusual_command_line',
          key: t.template,
          score,
          explanation: `\`${shown(t.line)}\` – no host ran this command-line shape before, and it is more unusual than ${(rank * 100).toFixed(1)}% of the new shapes the fleet ran (${bits.toFixed(2)} bits per character); this host runs ${shapesPerDay.toFixed(1)} new shapes a day`,
          evidence: { template: t.template, bits_per_char: Math.round(bits * 100) / 100, percentile: Math.round(rank * 1000) / 1000, shapes_per_day: Math.round(shapesPerDay * 100) / 100, templates_learned: model.lines },
        };
      } catch {
        return undefined;
      }
    },
    observe(event, ctx, observeOptions?: ObserveOptions) {
      const t = lineOf(event);
      if (!t) return;
      tables.shapes.observe('*', t.template, undefined, ctx, observeOptions);
      const isNew = !known(t.template, ctx.timeMs, ctx.tuning);
      seen.delete(t.template);
      seen.set(t.template, ctx.timeMs);
      if (!isNew) return;
      if (observeOptions?.countNovelty !== false) {
        histogram[bin(model.surprisalThenLearn(t.template))]!++;
        recorded++;
      } else model.learn(t.template);
      // Re-inserted on every run, so the first key is the template least recently run.
      if (seen.size > MAX_SEEN) {
        const first = seen.keys().next();
        if (!first.done) seen.delete(first.value);
      }
    },
    features: () => [],
    snapshot(scope) {
      if (scope !== FLEET_SCOPE) return snapshotTables(tables, scope, FLEET_SCOPE);
      if (model.lines === 0) return undefined;
      return { v: 2, model: model.toJSON(), histogram, recorded, seen: [...seen] };
    },
    restore(scope, state) {
      if (scope !== FLEET_SCOPE) return restoreTables(tables, scope, FLEET_SCOPE, state);
      const s = state as { v?: unknown; model?: unknown; histogram?: unknown; recorded?: unknown; seen?: unknown } | null;
      const bad = (path: string, message: string) => new VigilError('invalid_input', `command model state: ${message}`, { location: { path } });
      if (!s || typeof s !== 'object' || (s.v !== 1 && s.v !== 2)) throw bad('state.v', 'expected version 1 or 2');
      if (!Array.isArray(s.histogram) || s.histogram.length !== BINS || !s.histogram.every((v) => typeof v === 'number' && v >= 0)) throw bad('state.histogram', `expected ${BINS} counts`);
      // Version 1 kept templates without times: they count as run when restored.
      const entry = s.v === 1 ? (v: unknown) => typeof v === 'string' : (v: unknown) => Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number';
      if (typeof s.recorded !== 'number' || !Array.isArray(s.seen) || !s.seen.every(entry)) throw bad('state.seen', 'expected recorded and seen templates with their last time');
      const restored = CharNgramModel.fromJSON(s.model, 'state.model');
      model = restored;
      histogram = [...(s.histogram as number[])];
      recorded = s.recorded;
      seen = s.v === 1 ? new Map((s.seen as string[]).map((template) => [template, Date.now()])) : new Map(s.seen as [string, number][]);
    },
  };
}
