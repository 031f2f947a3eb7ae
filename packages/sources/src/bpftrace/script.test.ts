// The generated bpftrace program: tracepoints only, every record kind printed, DNS ports validated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildScript } from './script.js';

test('uses tracepoints and an interval only: no kprobes, no uprobes', () => {
  const script = buildScript();
  const probes = [...script.matchAll(/^([a-z_]+):/gm)].map((m) => m[1]);
  assert.ok(probes.length >= 12, `${probes.length} probes`);
  assert.deepEqual([...new Set(probes)].sort(), ['interval', 'tracepoint']);
  for (const kind of ['S', 'A', 'U', 'P', 'O', 'Q', 'R', 'B']) assert.match(script, new RegExp(`printf\\("${kind} `), `record kind ${kind}`);
});

test('DNS ports are configurable and checked', () => {
  assert.match(buildScript({ dnsPorts: [53, 5353] }), /\$port == 53 \|\| \$port == 5353/);
  assert.throws(() => buildScript({ dnsPorts: [0] }), RangeError);
  assert.throws(() => buildScript({ dnsPorts: [70000] }), RangeError);
});
