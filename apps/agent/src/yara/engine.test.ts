// The agent's YARA worker: loads a rule set, scans files, sweeps a tree (cancellable), scans a child's memory; the
// bundle check refuses tampered sets. Real worker thread, real files, real /proc.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VigilError } from '@vigil/common';
import { ruleSetDigest } from '@vigil/yara';
import { checkBundle } from './agent-yara.js';
import { createYaraEngine } from './engine.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-yara-'));
const engine = createYaraEngine();
after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const files = [{ name: 'marker.yar', text: 'rule agent_marker { meta: score = 90 strings: $m = "VIGIL-AGENT-MARKER-51c2" condition: $m }' }];
const externals = { filename: '', filepath: '', extension: '', filetype: '', owner: '' };
const options = { scan_on_exec: true, scan_on_write: true, watch_paths: ['/tmp'], quarantine_on_hit: false, max_file_size: 1024 * 1024 };

test('bundles are checked by digest before use', async () => {
  const digest = ruleSetDigest(files, externals, options);
  const bundle = { name: 'unit', version: 1, digest, files, externals, options };
  assert.equal((await checkBundle(JSON.parse(JSON.stringify(bundle)))).digest, digest);
  await assert.rejects(checkBundle({ ...bundle, files: [{ name: 'marker.yar', text: 'rule x { condition: true }' }] }), (e: unknown) => e instanceof VigilError && /digest mismatch/.test(e.message));
  await assert.rejects(checkBundle({ ...bundle, options: { ...options, quarantine_on_hit: true } }), /digest mismatch/);
  await assert.rejects(checkBundle({ ...bundle, options: { ...options, watch_paths: ['relative'] } }), (e: unknown) => e instanceof VigilError && e.location?.path === '$.options');
});

test('the worker loads the set, scans files and sweeps trees', async () => {
  await assert.rejects(engine.scanFile('/etc/hostname', 1024), /no rule set loaded/);
  await assert.rejects(engine.load({ digest: 'bad', files: [{ name: 'x.yar', text: 'rule x { condition: nope }' }], externals }), /does not compile/);
  const loaded = await engine.load({ digest: 'd1', files, externals });
  assert.equal(loaded.ruleCount, 1);
  assert.deepEqual(loaded.sets, ['base']);
  assert.equal(engine.loadedDigest(), 'd1');
  const planted = join(dir, 'planted.bin');
  writeFileSync(planted, 'xx VIGIL-AGENT-MARKER-51c2 xx');
  const { result, sha256 } = await engine.scanFile(planted, 1024);
  assert.deepEqual(result.matches.map((m) => [m.rule, m.meta.score]), [['agent_marker', 90]]);
  assert.match(sha256!, /^[0-9a-f]{64}$/);
  mkdirSync(join(dir, 'tree', 'deep'), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(dir, 'tree', `f${i}.txt`), `clean ${i}`);
  writeFileSync(join(dir, 'tree', 'deep', 'evil.txt'), 'VIGIL-AGENT-MARKER-51c2');
  const matches: string[] = [];
  const summary = await engine.sweep({ roots: [join(dir, 'tree')], exclude: [], oneFileSystem: false, maxFileSize: 1024, cpuBudget: 1 }, { onMatch: (r) => void matches.push(r.path) });
  assert.deepEqual(matches, [join(dir, 'tree', 'deep', 'evil.txt')]);
  assert.equal(summary.files, 51);
  assert.equal(summary.aborted, false);
  const controller = new AbortController();
  controller.abort();
  const aborted = await engine.sweep({ roots: ['/usr'], exclude: [], oneFileSystem: false, maxFileSize: 1024, cpuBudget: 1 }, {}, controller.signal);
  assert.equal(aborted.aborted, true, 'a cancelled sweep stops');
  assert.ok(aborted.files < 1000);
});

test('the worker scans each file with the scan set of its type (MZ rules only on MZ files)', async () => {
  const mzRules = Array.from({ length: 120 }, (_, i) => `rule mz_${i} { strings: $m = "VIGIL-MZ-${i}-" condition: uint16(0) == 0x5a4d and $m }`);
  const set = [...files, { name: 'mz.yar', text: mzRules.join('\n') }];
  const loaded = await engine.load({ digest: 'd-mz', files: set, externals });
  assert.deepEqual(loaded.sets, ['base', '4d5a']);
  assert.equal(loaded.ruleCount, 121);
  const exe = join(dir, 'planted.exe');
  writeFileSync(exe, 'MZ VIGIL-MZ-7- VIGIL-AGENT-MARKER-51c2');
  assert.deepEqual((await engine.scanFile(exe, 1024)).result.matches.map((m) => m.rule), ['agent_marker', 'mz_7']);
  const text = join(dir, 'planted.txt');
  writeFileSync(text, 'ZM VIGIL-MZ-7- VIGIL-AGENT-MARKER-51c2');
  assert.deepEqual((await engine.scanFile(text, 1024)).result.matches.map((m) => m.rule), ['agent_marker']);
  await engine.load({ digest: 'd1', files, externals });
});

test('the worker scans process memory and names the process', async (t) => {
  const child = spawn(process.execPath, ['-e', "globalThis.keep = Buffer.from(['VIGIL-AGENT', 'MARKER-51c2'].join('-')); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const hits: number[] = [];
  const summary = await engine.scanMemory({ pids: [child.pid!], cpuBudget: 2 }, { onMatch: (hit) => void (hits.push(hit.pid), assert.equal(hit.executable, process.execPath), assert.equal(hit.match.rule, 'agent_marker')) });
  assert.deepEqual(hits, [child.pid]);
  assert.equal(summary.files, 1);
  assert.equal(summary.matches, 1);
});
