import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAssembler } from './assembler.js';
import { parseRecord, type AuditRecord } from './record-parser.js';

const rec = (serial: number, type = 'SYSCALL', node?: string) =>
  parseRecord(`${node ? `node=${node} ` : ''}type=${type} msg=audit(1700000000.000:${serial}): pid=${serial}`);

function harness(options: { flushMs?: number; maxOpen?: number; maxRecordsPerEvent?: number } = {}) {
  let now = 0;
  const events: AuditRecord[][] = [];
  const drops: AuditRecord[][] = [];
  const assembler = createAssembler({ ...options, onEvent: (r) => events.push(r), onDrop: (r) => drops.push(r), now: () => now });
  return { assembler, events, drops, advance: (ms: number) => (now += ms), at: () => now };
}

test('EOE closes an event; its records stay together and in order, interleaved events stay apart', () => {
  const { assembler, events } = harness();
  assembler.push(rec(1));
  assembler.push(rec(2));
  assembler.push(rec(1, 'EXECVE'));
  assembler.push(rec(2, 'CWD'));
  assembler.push(rec(1, 'EOE'));
  assert.deepEqual(events.map((e) => e.map((r) => `${r.serial}:${r.type}`)), [['1:SYSCALL', '1:EXECVE']]);
  assembler.push(rec(2, 'EOE'));
  assert.equal(events.length, 2);
  assert.deepEqual(events[1]!.map((r) => r.type), ['SYSCALL', 'CWD']);
  assert.equal(assembler.stats().open, 0);
});

test('the same serial from different nodes is two events', () => {
  const { assembler, events } = harness();
  assembler.push(rec(7, 'SYSCALL', 'a'));
  assembler.push(rec(7, 'SYSCALL', 'b'));
  assembler.push(rec(7, 'EOE', 'a'));
  assert.equal(events.length, 1);
  assert.equal(events[0]![0]!.node, 'a');
  assert.equal(assembler.stats().open, 1);
});

test('events without EOE are flushed after the timeout, oldest first, and not before', () => {
  const { assembler, events, advance, at } = harness({ flushMs: 200 });
  assembler.push(rec(1, 'USER'));
  advance(150);
  assembler.push(rec(2, 'USER'));
  assembler.flushExpired(at());
  assert.equal(events.length, 0);
  advance(60);
  assembler.flushExpired(at());
  assert.deepEqual(events.map((e) => e[0]!.serial), [1]);
  advance(200);
  assembler.flushExpired(at());
  assert.deepEqual(events.map((e) => e[0]!.serial), [1, 2]);
});

test('the real timer flushes single-record events without any further input', async () => {
  const events: AuditRecord[][] = [];
  const assembler = createAssembler({ flushMs: 30, onEvent: (r) => events.push(r) });
  assembler.push(rec(1, 'USER'));
  assembler.push(rec(2, 'DAEMON_START'));
  const deadline = Date.now() + 2000;
  while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(events.length, 2);
  assembler.close();
});

test('open events are bounded: the oldest is dropped and counted, memory stays flat', () => {
  const { assembler, events, drops } = harness({ maxOpen: 100 });
  for (let i = 1; i <= 10000; i++) assembler.push(rec(i));
  assert.equal(assembler.stats().open, 100);
  assert.equal(assembler.stats().dropped, 9900);
  assert.equal(drops.length, 9900);
  assert.equal(drops[0]![0]!.serial, 1);
  assembler.push(rec(10000, 'EOE'));
  assert.equal(events[0]![0]!.serial, 10000);
  assert.deepEqual([assembler.stats().open, assembler.stats().openPeak], [99, 100], 'the peak outlives the queue');
});

test('records per event are bounded', () => {
  const { assembler, events } = harness({ maxRecordsPerEvent: 3 });
  for (let i = 0; i < 10; i++) assembler.push(rec(1, 'PATH'));
  assembler.push(rec(1, 'EOE'));
  assert.equal(events[0]!.length, 3);
  assert.equal(assembler.stats().truncatedRecords, 7);
});

test('close flushes everything open and ignores later records; a lone EOE is ignored', () => {
  const { assembler, events } = harness();
  assembler.push(rec(99, 'EOE'));
  assembler.push(rec(1));
  assembler.push(rec(2));
  assembler.close();
  assert.equal(events.length, 2);
  assembler.push(rec(3));
  assembler.close();
  assert.equal(events.length, 2);
  assert.equal(assembler.stats().open, 0);
});
