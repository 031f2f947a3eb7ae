// File scanning (externals, cache, limits), tree walks, sweeps under a CPU budget, and process memory scans of a real
// child process with a string planted in its heap.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { seededRandom, VigilError } from '@vigil/common';
import { compileRuleSet } from './compile.js';
import { createFileScanner } from './file-scanner.js';
import { fileType } from './externals.js';
import { listPids, parseProcMaps, scannableRegions, scanProcessMemory } from './memory.js';
import { compilePartitioned } from './partition.js';
import { sweepFiles, sweepPaths } from './sweep.js';
import { createCpuThrottle } from './throttle.js';
import { walkFiles } from './walk.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-yara-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RULES = `
rule planted_marker : test { meta: score = 80 strings: $m = "VIGIL-PLANTED-MARKER-7f3a" condition: $m }
rule elf_named_true { condition: uint32(0) == 0x464c457f and filename == "true" }
rule by_extension { strings: $a = "extension-test" condition: $a and extension == ".php" and filetype == "PHP" and filepath contains "vigil-yara-" }
rule owner_root { strings: $a = "owner-test" condition: $a and owner == "root" }
`;
const compiled = compileRuleSet([{ name: 'test.yar', text: RULES }]);
assert.ok(compiled.rules, JSON.stringify(compiled.problems));
const rules = compiled.rules;

test('files: matches with their pattern ids, externals per file, results cached until the file changes', () => {
  const scanner = createFileScanner({ rules, rulesId: 'r1' });
  const file = join(dir, 'dropped.bin');
  writeFileSync(file, Buffer.concat([Buffer.alloc(1000, 1), Buffer.from('VIGIL-PLANTED-MARKER-7f3a'), Buffer.alloc(10, 0)]));
  const first = scanner.scan(file);
  assert.equal(first.cached, false);
  assert.deepEqual(first.matches.map((m) => [m.rule, m.strings, m.tags, m.meta.score]), [['planted_marker', ['$m'], ['test'], 80]]);
  assert.equal(scanner.scan(file).cached, true);
  writeFileSync(file, 'clean now');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const rescanned = scanner.scan(file);
  assert.equal(rescanned.cached, false);
  assert.deepEqual(rescanned.matches, []);
  const php = join(dir, 'shell.php');
  writeFileSync(php, '<?php extension-test owner-test ?>');
  assert.deepEqual(scanner.scan(php).matches.map((m) => m.rule).sort(), ['by_extension', 'owner_root']);
  // A file named "true": the engine binding would read the external as a boolean; the scan must still work.
  const elf = join(dir, 'true');
  writeFileSync(elf, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
  const odd = scanner.scan(elf);
  assert.equal(odd.error, undefined);
  assert.deepEqual(odd.matches, [], 'filename "true" is passed as a string (with a trailing space), never as a boolean');
  assert.equal(scanner.sha256(file), createHash('sha256').update('clean now').digest('hex'));
  assert.equal(scanner.sha256(join(dir, 'missing')), undefined);
});

test('files: too large, not regular and unreadable files are skipped with the reason', () => {
  const scanner = createFileScanner({ rules, rulesId: 'r1', maxFileSize: 100 });
  const big = join(dir, 'big.bin');
  writeFileSync(big, Buffer.alloc(101, 0x41));
  assert.equal(scanner.scan(big).skipped, 'too_large');
  assert.equal(scanner.scan(dir).skipped, 'not_regular');
  assert.equal(scanner.scan(join(dir, 'missing')).skipped, 'unreadable');
  assert.equal(scanner.stats().skipped, 3);
});

test('walks never follow symbolic links nor enter excluded trees; sweeps find what was planted', async () => {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'a', 'b'), { recursive: true });
  mkdirSync(join(tree, 'excluded'), { recursive: true });
  writeFileSync(join(tree, 'a', 'b', 'evil.txt'), 'xx VIGIL-PLANTED-MARKER-7f3a xx');
  writeFileSync(join(tree, 'a', 'clean.txt'), 'clean');
  writeFileSync(join(tree, 'excluded', 'evil2.txt'), 'VIGIL-PLANTED-MARKER-7f3a');
  symlinkSync(join(tree, 'excluded'), join(tree, 'a', 'link'));
  const files = [...walkFiles([tree], { exclude: [join(tree, 'excluded')] })].sort();
  assert.deepEqual(files, [join(tree, 'a', 'b', 'evil.txt'), join(tree, 'a', 'clean.txt')]);
  const found: string[] = [];
  const progress: number[] = [];
  const result = await sweepPaths({ roots: [tree], scanner: createFileScanner({ rules, rulesId: 'r2' }), onMatch: (r) => void found.push(r.path), onProgress: (p) => void progress.push(p.files), throttle: createCpuThrottle({ budget: 4 }) });
  assert.deepEqual(found.sort(), [join(tree, 'a', 'b', 'evil.txt'), join(tree, 'excluded', 'evil2.txt')]);
  assert.equal(result.files, 3);
  assert.equal(result.matches, 2);
  assert.equal(progress.at(-1), 3, 'a final progress report');
  const controller = new AbortController();
  controller.abort();
  assert.equal((await sweepPaths({ roots: [tree], scanner: createFileScanner({ rules, rulesId: 'r3' }), signal: controller.signal })).aborted, true);
});

test('sweeps scan each batch grouped by scan set, with the same result per file as source order (issue 8)', async () => {
  const parted = compilePartitioned([{ name: 'sets.yar', text: `
rule mz_marker { strings: $m = "SET-MARKER" condition: uint16(0) == 0x5a4d and $m }
rule elf_marker { strings: $m = "SET-MARKER" condition: uint32(0) == 0x464c457f and $m }
rule any_marker { strings: $m = "SET-MARKER" condition: $m }
` }], { minClassRules: 1 });
  const folder = join(dir, 'grouped');
  mkdirSync(folder, { recursive: true });
  const heads = [Buffer.from('MZ'), Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from('#!'), Buffer.alloc(0)];
  const random = seededRandom(11);
  const paths: string[] = [];
  for (let i = 0; i < 40; i++) {
    const path = join(folder, `f${String(i).padStart(2, '0')}`);
    const marked = random() < 0.5;
    writeFileSync(path, Buffer.concat([heads[Math.floor(random() * heads.length)]!, Buffer.from(marked ? ' xx SET-MARKER xx' : ' clean')]));
    paths.push(path);
  }
  paths.push(join(folder, 'missing'));
  const sweep = async (batchFiles: number, signal?: AbortSignal) => {
    const scanner = createFileScanner({ rules: parted, rulesId: `grouped-${batchFiles}`, cacheEntries: 0 });
    const order: string[] = [];
    const results = new Map<string, string[]>();
    const recording = { ...scanner, scan: (path: string) => (order.push(path), scanner.scan(path)) };
    const summary = await sweepFiles(paths, { scanner: recording, batchFiles, ...(signal ? { signal } : {}), onMatch: (r) => void results.set(r.path, r.matches.map((m) => m.rule)) });
    return { summary, order, results, keys: order.map((path) => scanner.setKey(path)) };
  };
  const plain = await sweep(1);
  assert.deepEqual(plain.order, paths, 'batches of one keep source order');
  for (const batchFiles of [7, 1024]) {
    const grouped = await sweep(batchFiles);
    assert.deepEqual(grouped.summary, plain.summary, `batch ${batchFiles}: same totals`);
    assert.deepEqual(new Map([...grouped.results].sort()), new Map([...plain.results].sort()), `batch ${batchFiles}: same matches per file`);
    assert.deepEqual([...grouped.order].sort(), [...paths].sort(), `batch ${batchFiles}: every file once`);
    for (let start = 0; start < paths.length; start += batchFiles) {
      const keys = grouped.keys.slice(start, start + batchFiles);
      assert.deepEqual(keys, [...keys].sort(), `batch ${batchFiles} at ${start}: ordered by set`);
      assert.deepEqual([...grouped.order.slice(start, start + batchFiles)].sort(), paths.slice(start, start + batchFiles).sort(), `batch ${batchFiles} at ${start}: the source's next files`);
    }
  }
  assert.ok(new Set(plain.keys).size >= 3, `the files fall into several sets: ${[...new Set(plain.keys)]}`);
  assert.equal(plain.results.get(paths.find((p) => readFileSync(p).subarray(0, 2).toString() === 'MZ' && readFileSync(p).includes('SET-MARKER'))!)?.join(), 'mz_marker,any_marker');
  const controller = new AbortController();
  controller.abort();
  const aborted = await sweep(8, controller.signal);
  assert.equal(aborted.summary.aborted, true);
  assert.equal(aborted.order.length, 0);
  const midway = new AbortController();
  let scanned = 0;
  const partial = await sweepFiles(paths, { scanner: createFileScanner({ rules: parted, rulesId: 'mid', cacheEntries: 0 }), batchFiles: 16, onMatch: () => void (++scanned === 3 && midway.abort()), signal: midway.signal });
  assert.equal(partial.aborted, true);
  assert.ok(scanned === 3 && partial.files < paths.length, `stopped after the third file with matches: ${scanned}, ${JSON.stringify(partial)}`);
  const late = new AbortController();
  const complete = await sweepFiles(paths.slice(0, 5), { scanner: { ...createFileScanner({ rules: parted, rulesId: 'late', cacheEntries: 0 }) }, batchFiles: 16, onProgress: (p) => void (p.files === 5 && late.abort()), progressEveryMs: 0, signal: late.signal });
  assert.deepEqual([complete.files, complete.aborted], [5, false], 'a cancel after the last file is not an abort');
  await assert.rejects(sweepFiles(paths, { scanner: createFileScanner({ rules: parted, rulesId: 'x' }), batchFiles: 0 }), RangeError);
  assert.equal(createFileScanner({ rules, rulesId: 'whole' }).setKey(paths[0]!), '', 'a whole-set engine has no set keys');
});

test('the CPU throttle sleeps exactly enough to hold the budget (simulated clocks)', async () => {
  let cpu = 0;
  let wall = 0;
  const slept: number[] = [];
  const throttle = createCpuThrottle({ budget: 0.25, checkEveryMs: 0, cpuMicros: () => cpu, now: () => wall, sleep: async (ms) => void (slept.push(ms), (wall += ms)) });
  cpu = 100_000; // 100 ms of CPU
  wall = 100; // in 100 ms of wall time: 100% of a core
  await throttle.pace();
  assert.deepEqual(slept, [300], 'at 25% the 100 ms of CPU need 400 ms of wall time');
  cpu += 10_000;
  wall += 200;
  await throttle.pace();
  assert.deepEqual(slept, [300], 'under budget: no sleep');
  assert.deepEqual(throttle.stats(), { sleptMs: 300, sleeps: 1, cpuMs: 110, wallMs: 600 });
  assert.throws(() => createCpuThrottle({ budget: 0 }), RangeError);
});

test('maps parsing: real maps of this process, and malformed lines refused with their line number', () => {
  const regions = parseProcMaps(readFileSync('/proc/self/maps', 'utf8'));
  assert.ok(regions.length > 10);
  assert.ok(regions.some((r) => r.path === '[heap]' || r.path === '[stack]'));
  assert.ok(scannableRegions(regions).every((r) => r.perms[0] === 'r' && r.path !== '[vvar]'));
  assert.throws(() => parseProcMaps('00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/x\nbogus line\n'), (e: unknown) => e instanceof VigilError && e.location?.line === 2);
  assert.throws(() => parseProcMaps('ffffffffffffffffff-fffffffffffffffffff r--p 00000000 00:00 0\n'), VigilError);
});


test('fuzz: mutated maps lines either parse into sane regions or are refused with a line number', () => {
  const random = seededRandom(17);
  const sample = readFileSync('/proc/self/maps', 'utf8').split('\n').slice(0, 30).join('\n');
  for (let i = 0; i < 2000; i++) {
    let text = sample;
    for (let e = 0; e < 3; e++) {
      const at = Math.floor(random() * text.length);
      const r = random();
      text = r < 0.4 ? text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 5)) : r < 0.8 ? text.slice(0, at) + ' -:xrwp0f\n'[Math.floor(random() * 10)] + text.slice(at) : text.slice(0, at);
    }
    try {
      for (const region of parseProcMaps(text)) assert.ok(region.end >= region.start && Number.isSafeInteger(region.end) && region.perms.length === 4);
    } catch (error) {
      assert.ok(error instanceof VigilError && error.code === 'invalid_input' && (error.location?.line ?? 0) >= 1, String(error));
    }
  }
});

test('memory: a string planted in a child process heap is found; a string it does not hold is not', async (t) => {
  // The marker exists only as a heap string built at run time, never as one literal in the child's code.
  const child = spawn(process.execPath, ['-e', "const parts = ['VIGIL-PLANTED', 'MARKER-7f3a']; globalThis.keep = Buffer.from(parts.join('-')); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  assert.ok(listPids().includes(child.pid!));
  const other = compileRuleSet([{ name: 'o.yar', text: 'rule absent { strings: $a = "VIGIL-NEVER-PLANTED-0000" condition: $a }' }]).rules!;
  let between = 0;
  const result = await scanProcessMemory(child.pid!, rules, { chunkSize: 1024 * 1024, overlap: 4096, between: () => void between++ });
  assert.deepEqual(result.matches.map((m) => m.rule), ['planted_marker']);
  assert.match(result.matches[0]!.region, /^0x[0-9a-f]+$/);
  assert.ok(result.regions > 5 && result.bytes > 1024 * 1024, JSON.stringify({ regions: result.regions, bytes: result.bytes }));
  assert.ok(between >= result.regions, 'the pacing hook runs between regions');
  assert.deepEqual((await scanProcessMemory(child.pid!, other)).matches, []);
  await assert.rejects(scanProcessMemory(2 ** 22 + 12345, rules), (e: unknown) => e instanceof VigilError && e.code === 'not_found');
});

test('memory: a match across a chunk boundary is found thanks to the overlap', async (t) => {
  const child = spawn(process.execPath, ['-e', "const b = Buffer.alloc(8 * 1024 * 1024, 0x20); const m = Buffer.from(['VIGIL-PLANTED', 'MARKER-7f3a'].join('-')); for (let i = 4096; i + m.length < b.length; i += 65536 + 7) m.copy(b, i); globalThis.keep = b; process.stdout.write('ready\\n'); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  // Chunks of 64 KiB: many copies of the marker straddle a boundary; with overlap they are found, and at least one
  // copy lies inside a chunk either way, so the rule matches. Without overlap the scan must not crash either.
  const withOverlap = await scanProcessMemory(child.pid!, rules, { chunkSize: 65536, overlap: 64 });
  assert.deepEqual(withOverlap.matches.map((m) => m.rule), ['planted_marker']);
  assert.ok(!withOverlap.truncated);
  const capped = await scanProcessMemory(child.pid!, rules, { chunkSize: 65536, maxBytes: 128 * 1024 });
  assert.equal(capped.truncated, true);
  assert.ok(capped.bytes <= 128 * 1024 + 65536);
});

test('file types from magic bytes', () => {
  assert.equal(fileType(Buffer.from('MZ\x90\x00'), '.exe'), 'EXE');
  assert.equal(fileType(Buffer.from([0x7f, 0x45, 0x4c, 0x46]), ''), 'ELF');
  assert.equal(fileType(Buffer.from('%PDF-1.7'), ''), 'PDF');
  assert.equal(fileType(Buffer.from('#!/usr/bin/env python3\n'), ''), 'Python');
  assert.equal(fileType(Buffer.from('echo'), '.bat'), 'BATCH');
  assert.equal(fileType(Buffer.from('plain'), '.txt'), '');
});
