// The shared conformance suite every Profiler runs (see */*.test.ts). It states the Profiler contract: quiet on what
// it learned, a scored and explained finding on what is new, fleet prevalence lowers scores, snapshot/restore
// round-trips, malformed state is refused without damage, malformed events never throw, feedback and decay work.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom, VigilError } from '@vigil/common';
import { defaultTuning, FLEET_SCOPE, type Finding, type FleetView, type ProfileContext, type ProfileEvent, type Profiler } from './core.js';
import { createBaselineEngine, EXPECTED_WEIGHT } from './engine.js';

export const DAY = 86_400_000;
export const T0 = Date.parse('2026-11-01T00:00:00Z');

export interface ProfilerSamples {
  /** Events of learned behaviour on day `day` (0-based), number `i` of that day; may be several (a write, then a run). */
  normal(hostId: string, timeMs: number, i: number): ProfileEvent[];
  /** Events showing new behaviour; the last one is the event that must be found. */
  novel(hostId: string, timeMs: number): ProfileEvent[];
  /** Normal events per day while learning (default 12). */
  perDay?: number;
}

export interface ConformanceOptions {
  name: string;
  create(): Profiler;
  samples: ProfilerSamples;
  /** Contract parts an implementation cannot meet, each with the reason (listed, never silent). */
  skip?: { decay?: string; fleet?: string };
}

let sequence = 0;
/** Fills the fields every stored event has. */
export function event(hostId: string, timeMs: number, fields: Record<string, unknown>): ProfileEvent {
  return { '@timestamp': new Date(timeMs).toISOString(), 'event.id': `e-${++sequence}`, 'host.id': hostId, ...fields };
}

export function fleetOf(hosts: readonly string[]): FleetView {
  return { hostCount: () => hosts.length, peersOf: () => undefined, roleName: () => undefined };
}

export function contextFor(hostId: string, timeMs: number, fleet: FleetView, hostFirstMs = T0): ProfileContext {
  return { hostId, timeMs, hostFirstMs, noveltyFromMs: hostFirstMs + 1 * DAY, fleet, tuning: defaultTuning };
}

const LEARN_DAYS = 21;

/** Teaches `profiler` the normal behaviour of `hostId` for LEARN_DAYS days through an engine (learning 3 days, burn-in 1). */
function learn(profilers: Profiler[], hosts: readonly string[], samples: ProfilerSamples, days = LEARN_DAYS) {
  const engine = createBaselineEngine({ profilers, settings: { learningDays: 3, burnInDays: 1 } });
  const perDay = samples.perDay ?? 12;
  const quiet: ReturnType<typeof engine.process> = [];
  for (let day = 0; day < days; day++) {
    for (const host of hosts) {
      for (let i = 0; i < perDay; i++) {
        const time = T0 + day * DAY + (9 * 3600_000) + i * Math.floor((8 * 3600_000) / perDay);
        quiet.push(...engine.process(samples.normal(host, time, day * perDay + i)));
      }
    }
  }
  return { engine, quiet, end: T0 + days * DAY + 10 * 3600_000 };
}

function checkFinding(finding: Finding, name: string): void {
  assert.equal(finding.profiler, name);
  assert.ok(finding.score > 0 && finding.score <= 1, `score ${finding.score} in (0, 1]`);
  assert.ok(finding.type.length > 0 && /^[a-z_]+$/.test(finding.type), `type ${finding.type}`);
  assert.ok(finding.key.length > 0, 'a key');
  assert.ok(finding.explanation.length > 20, `an explanation: ${finding.explanation}`);
  assert.doesNotMatch(finding.explanation, /undefined|NaN|\[object Object\]/);
  for (const [k, v] of Object.entries(finding.evidence)) assert.ok(v === null || ['string', 'number', 'boolean'].includes(typeof v), `evidence ${k} is a plain value`);
}

/** Runs `events` through the profiler directly (score the last one only after observing the ones before it). */
function scoreLast(profiler: Profiler, events: readonly ProfileEvent[], fleet: FleetView, hostFirstMs = T0): Finding | undefined {
  for (const e of events.slice(0, -1)) profiler.observe(e, contextFor(String(e['host.id']), Date.parse(String(e['@timestamp'])), fleet, hostFirstMs));
  const last = events[events.length - 1]!;
  return profiler.score(last, contextFor(String(last['host.id']), Date.parse(String(last['@timestamp'])), fleet, hostFirstMs));
}

export function runProfilerConformance(options: ConformanceOptions): void {
  const { name, samples } = options;
  describe(`Profiler conformance: ${name}`, () => {
    test('identity: a kebab-case name and the categories it reads', () => {
      const profiler = options.create();
      assert.equal(profiler.name, name);
      assert.match(profiler.name, /^[a-z][a-z0-9-]*$/);
      assert.ok(profiler.categories.length > 0);
    });

    test('learned behaviour stays quiet; new behaviour gets a scored, explained finding', () => {
      const profiler = options.create();
      const { engine, quiet, end } = learn([profiler], ['host-a'], samples);
      const afterLearning = quiet.filter((f) => Date.parse(f.time) >= T0 + 3 * DAY + DAY);
      assert.deepEqual(afterLearning.map((f) => f.explanation), [], 'no findings on learned behaviour after the first days');
      const normalAgain = engine.process(samples.normal('host-a', end, 1));
      assert.deepEqual(normalAgain.map((f) => f.explanation), []);
      const found = engine.process(samples.novel('host-a', end + 60_000), { minScore: 0 });
      const mine = found.filter((f) => f.profiler === name);
      assert.equal(mine.length, 1, `one finding for the novel event, got ${JSON.stringify(found.map((f) => f.explanation))}`);
      checkFinding(mine[0]!, name);
      assert.ok(mine[0]!.score >= engine.settings().threshold, `novel behaviour scores at least the default threshold: ${mine[0]!.score} ${mine[0]!.explanation}`);
    });

    test('the fleet having the behaviour lowers the score', { skip: options.skip?.fleet }, () => {
      const alone = learn([options.create()], ['host-a', 'host-b'], samples);
      const withPeer = learn([options.create()], ['host-a', 'host-b'], samples);
      withPeer.engine.process(samples.novel('host-b', withPeer.end));
      const t = alone.end + 3600_000;
      const a = alone.engine.process(samples.novel('host-a', t), { minScore: 0 }).find((f) => f.profiler === name);
      const b = withPeer.engine.process(samples.novel('host-a', t), { minScore: 0 }).find((f) => f.profiler === name);
      assert.ok(a, 'found without peers');
      assert.ok(b === undefined || b.score < a.score, `peer prevalence lowers ${a.score} (got ${b?.score})`);
    });

    test('snapshot and restore reproduce the state and the scores', () => {
      const original = options.create();
      const { end } = learn([original], ['host-a', 'host-b'], samples);
      const copy = options.create();
      for (const scope of ['host-a', 'host-b', FLEET_SCOPE]) {
        const state = original.snapshot(scope);
        if (state !== undefined) copy.restore(scope, JSON.parse(JSON.stringify(state)));
      }
      for (const scope of ['host-a', 'host-b', FLEET_SCOPE]) assert.deepEqual(JSON.parse(JSON.stringify(copy.snapshot(scope) ?? null)), JSON.parse(JSON.stringify(original.snapshot(scope) ?? null)), `scope ${scope}`);
      assert.equal(original.snapshot('host-unknown'), undefined);
      const fleet = fleetOf(['host-a', 'host-b']);
      const a = scoreLast(original, samples.novel('host-a', end), fleet);
      const b = scoreLast(copy, samples.novel('host-a', end), fleet);
      assert.ok(a, 'the original finds the novel event');
      assert.deepEqual(b, a);
    });

    test('restore refuses malformed state with a located invalid_input error and keeps what it had', () => {
      const profiler = options.create();
      learn([profiler], ['host-a'], samples, 5);
      const before = JSON.stringify(profiler.snapshot('host-a'));
      const fleetBefore = JSON.stringify(profiler.snapshot(FLEET_SCOPE) ?? null);
      const host = profiler.snapshot('host-a') as { tables?: Record<string, unknown> } | undefined;
      const scope = host === undefined ? FLEET_SCOPE : 'host-a';
      const broken = [null, 'text', 42, { v: 99 }, { v: 1, tables: [] }, { v: 1, tables: { nope: [] } }, ...(host?.tables ? [{ v: 1, tables: Object.fromEntries(Object.keys(host.tables).map((k) => [k, { first: 'x' }])) }] : [])];
      for (const state of broken) {
        assert.throws(
          () => profiler.restore(scope, state),
          (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && typeof error.location?.path === 'string',
          `refuses ${JSON.stringify(state)}`,
        );
      }
      assert.equal(JSON.stringify(profiler.snapshot('host-a')), before);
      assert.equal(JSON.stringify(profiler.snapshot(FLEET_SCOPE) ?? null), fleetBefore);
    });

    test('restore of mutated state either works or throws invalid_input, never anything else (seeded fuzz)', () => {
      const source = options.create();
      learn([source], ['host-a'], samples, 5);
      const random = seededRandom(4242);
      const junk: unknown[] = [null, -1, 1e308, 'x', '', [], {}, [[]], [['k']], { v: 1 }, true, [1, 2, 3], ['a', 'NaN', 1]];
      const mutate = (value: unknown, depth: number): unknown => {
        if (random() < 0.08 || depth > 12) return junk[Math.floor(random() * junk.length)];
        if (Array.isArray(value)) return value.filter(() => random() > 0.02).map((v) => mutate(v, depth + 1));
        if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mutate(v, depth + 1)]));
        return value;
      };
      for (const scope of ['host-a', FLEET_SCOPE]) {
        const state = source.snapshot(scope);
        if (state === undefined) continue;
        const text = JSON.stringify(state);
        for (let i = 0; i < 200; i++) {
          const target = options.create();
          try {
            target.restore(scope, mutate(JSON.parse(text), 0));
          } catch (error) {
            assert.ok(error instanceof VigilError && error.code === 'invalid_input', `restore threw ${String(error)}`);
            continue;
          }
          assert.doesNotThrow(() => JSON.stringify(target.snapshot(scope)));
          assert.doesNotThrow(() => target.score(samples.novel('host-a', T0 + 30 * DAY).at(-1)!, contextFor('host-a', T0 + 30 * DAY, fleetOf(['host-a']))));
        }
      }
    });

    test('malformed events never throw (seeded fuzz)', () => {
      const profiler = options.create();
      learn([profiler], ['host-a'], samples, 2);
      const random = seededRandom(20261205);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const template = [...samples.normal('host-a', T0, 0), ...samples.novel('host-a', T0)];
      const fields = [...new Set(template.flatMap((e) => Object.keys(e)))];
      const values: unknown[] = [null, undefined, '', 'x'.repeat(70_000), -1, 1.5, 2 ** 60, NaN, true, [], [1, null, {}], {}, { toString: 1 }, '\u0000\ud800', '/', '../../etc', '2026-13-45', 'ffff::1::2'];
      const fleet = fleetOf(['host-a']);
      for (let i = 0; i < 2000; i++) {
        const base = { ...pick(template) } as Record<string, unknown>;
        for (let j = 0; j < 1 + Math.floor(random() * 4); j++) base[pick(fields)] = pick(values);
        const ctx = contextFor('host-a', T0 + 10 * DAY + i, fleet);
        assert.doesNotThrow(() => {
          const finding = profiler.score(base, ctx);
          if (finding) assert.ok(Number.isFinite(finding.score));
          profiler.observe(base, ctx);
        }, JSON.stringify(base).slice(0, 300));
      }
    });

    test('feedback "expected" (a heavy observation) makes the new behaviour normal', () => {
      const profiler = options.create();
      const { end } = learn([profiler], ['host-a'], samples);
      const fleet = fleetOf(['host-a']);
      const novel = samples.novel('host-a', end);
      const before = scoreLast(profiler, novel, fleet);
      assert.ok(before, 'new before feedback');
      const last = novel[novel.length - 1]!;
      profiler.observe(last, contextFor('host-a', end, fleet), { weight: EXPECTED_WEIGHT, countNovelty: false });
      const after = profiler.score(samples.novel('host-a', end + 60_000).at(-1)!, contextFor('host-a', end + 60_000, fleet));
      assert.ok(after === undefined || after.score < 0.5, `expected behaviour scores low: ${after?.explanation}`);
    });

    test('decay forgets behaviour not seen for many half-lives', { skip: options.skip?.decay }, () => {
      const profiler = options.create();
      const { end } = learn([profiler], ['host-a'], samples);
      const later = end + 40 * defaultTuning.halfLifeDays * DAY;
      const fleet = fleetOf(['host-a']);
      const normal = samples.normal('host-a', later, 0);
      const finding = scoreLast(profiler, normal, fleet);
      assert.ok(finding, 'forgotten behaviour is new again');
      const fresh = scoreLast(profiler, samples.normal('host-a', end + 3600_000, 0), fleet);
      assert.equal(fresh, undefined, `behaviour seen recently is known: ${fresh?.explanation}`);
    });

    test('features are strings for a known host and empty for an unknown one', () => {
      const profiler = options.create();
      const { end } = learn([profiler], ['host-a'], samples, 5);
      const features = profiler.features('host-a', end, defaultTuning);
      assert.ok(Array.isArray(features) && features.every((f) => typeof f === 'string' && f.length > 0));
      assert.deepEqual(profiler.features('host-unknown', end, defaultTuning), []);
    });
  });
}
