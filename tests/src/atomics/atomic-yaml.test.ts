// The atomics file reader: real technique files parse, the selection filter holds, and mutated YAML never crashes
// the reader with anything but a VigilError (fuzz with seededRandom).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { VigilError, corpusPath, seededRandom } from '@vigil/common';
import { exclusionReason, loadTechnique, parseAtomicFile, renderCommand } from './atomic-yaml.js';
import { SELECTION, SKIPPED } from './selection.js';

test('every selected test exists with its guid and passes the filter', () => {
  for (const s of SELECTION) {
    const t = loadTechnique(s.technique)[s.number - 1];
    assert.ok(t, `${s.technique}#${s.number} exists`);
    assert.equal(t.guid, s.guid, `${s.technique}#${s.number} guid`);
    assert.equal(exclusionReason(t), undefined, `${s.technique}#${s.number} passes the filter`);
    assert.ok(t.platforms.includes('linux'));
    assert.doesNotThrow(() => renderCommand(t.executor.command, t, s.inputs), `${s.technique}#${s.number} renders`);
  }
  assert.ok(new Set(SELECTION.map((s) => `${s.technique}#${s.number}`)).size === SELECTION.length, 'no test twice');
  for (const s of SKIPPED) assert.ok(!SELECTION.some((x) => x.technique === s.technique && x.number === s.number), `${s.technique}#${s.number} both selected and skipped`);
});

test('the filter refuses payloads, downloads and non-shell executors', () => {
  const base = { technique: 'T0', number: 1, name: 'x', guid: 'g', platforms: ['linux'], inputs: {}, dependencies: [], dependencyExecutor: 'sh' };
  assert.match(exclusionReason({ ...base, executor: { name: 'sh', command: 'bash PathToAtomicsFolder/x.sh', cleanup: '', elevation: false } })!, /payload/);
  assert.match(exclusionReason({ ...base, executor: { name: 'bash', command: 'curl -s x | sh', cleanup: '', elevation: false } })!, /internet/);
  assert.match(exclusionReason({ ...base, executor: { name: 'powershell', command: 'ls', cleanup: '', elevation: false } })!, /executor/);
  assert.match(exclusionReason({ ...base, platforms: ['windows'], executor: { name: 'sh', command: 'ls', cleanup: '', elevation: false } })!, /Linux/);
  assert.equal(exclusionReason({ ...base, executor: { name: 'sh', command: 'ls', cleanup: '', elevation: false } }), undefined);
});

test('renderCommand substitutes inputs, overrides first, and refuses an unknown name', () => {
  const [t] = parseAtomicFile('attack_technique: T1\natomic_tests:\n- name: n\n  supported_platforms: [linux]\n  input_arguments:\n    a: {default: one}\n  executor: {name: sh, command: "echo #{a} #{a}"}\n', 'x.yaml');
  assert.equal(renderCommand(t!.executor.command, t!), 'echo one one');
  assert.equal(renderCommand(t!.executor.command, t!, { a: 'two' }), 'echo two two');
  assert.throws(() => renderCommand('echo #{b}', t!), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input');
});

test('shape errors carry the file and the path of the problem', () => {
  assert.throws(() => parseAtomicFile('attack_technique: T1\natomic_tests:\n- name: n\n  supported_platforms: linux\n  executor: {name: sh, command: ls}\n', 'f.yaml'), (e: unknown) => e instanceof VigilError && e.location?.file === 'f.yaml' && e.location.path === 'atomic_tests[0].supported_platforms');
  assert.throws(() => parseAtomicFile('a: [', 'g.yaml'), (e: unknown) => e instanceof VigilError && e.location?.file === 'g.yaml' && typeof e.location.line === 'number');
});

test('fuzz: mutated technique files parse or fail with a VigilError, never anything else', () => {
  const file = join(corpusPath('atomics', 'atomics', 'T1222.002'), 'T1222.002.yaml');
  const source = readFileSync(file, 'utf8');
  const random = seededRandom(3);
  const alphabet = ['\n', ' ', ':', '-', '[', ']', '{', '}', '#', '"', "'", '&a', '*a', '|', '>', '\t', 'x', '0'];
  let parsed = 0;
  for (let i = 0; i < 300; i++) {
    const chars = [...source];
    const edits = 1 + Math.floor(random() * 8);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * chars.length);
      const op = random();
      if (op < 0.4) chars.splice(at, 1 + Math.floor(random() * 20));
      else chars.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)]!);
    }
    try {
      const tests = parseAtomicFile(chars.join(''), 'fuzz.yaml');
      for (const t of tests) assert.equal(typeof t.executor.command, 'string');
      parsed++;
    } catch (error) {
      assert.ok(error instanceof VigilError, `mutation ${i} threw ${String(error)}`);
      assert.equal(error.location?.file, 'fuzz.yaml');
    }
  }
  assert.ok(parsed > 0 && parsed < 300, `some mutations parse, some fail (${parsed})`);
});
