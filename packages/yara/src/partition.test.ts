// Rule-set partitioning by file-type and size preconditions must never change a result: the analysis of conditions
// (unit cases), random rule sets against random files, and signature-base against PE, ELF and script files that carry
// its own strings — each file scanned with the full set and with the partitioned sets, compared match for match.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { compileRuleSet } from './compile.js';
import type { RuleFile } from './core.js';
import { createFileScanner, toMatches } from './file-scanner.js';
import { splitRuleSource, tokenize } from './internal/rule-source.js';
import { signatureBase } from './internal/test-support.js';
import { compilePartitioned, planPartitions, precondition } from './partition.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-yara-part-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function pre(condition: string): ReturnType<typeof precondition> {
  return precondition(tokenize(condition));
}

test('preconditions: only top-level conjuncts count; or, not and unknown forms require nothing', () => {
  assert.deepEqual(pre('uint16(0) == 0x5a4d and filesize < 2MB and 2 of ($s*)'), { prefixes: ['4d5a'], maxSize: 2 * 1024 * 1024 });
  assert.deepEqual(pre('( uint32(0) == 0x464c457f ) and ($a or $b)'), { prefixes: ['7f454c46'] });
  assert.deepEqual(pre('0x7f454c46 == uint32be(0) and filesize <= 100'), { prefixes: ['7f454c46'], maxSize: 101 });
  assert.deepEqual(pre('$a and (uint16(0) == 0x5a4d or uint16(0) == 0x457f) and filesize > 10KB'), { prefixes: ['4d5a', '7f45'], minSize: 10 * 1024 + 1 });
  assert.deepEqual(pre('($a and uint16(0) == 23117) and pe.is_pe'), { prefixes: ['4d5a'] });
  assert.deepEqual(pre('pe.imphash() == "abc" and $a'), { prefixes: ['4d5a'] });
  assert.deepEqual(pre('pe.number_of_sections > 3'), { prefixes: ['4d5a'] });
  assert.deepEqual(pre('uint16(0) == 0x5a4d and $a or $b'), {}, 'a top-level or: nothing can be split');
  assert.deepEqual(pre('not uint16(0) == 0x5a4d and $a'), {});
  assert.deepEqual(pre('uint16(0) != 0x5a4d and $a'), {});
  assert.deepEqual(pre('uint16(1) == 0x5a4d and $a'), {});
  assert.deepEqual(pre('uint16(0) == 0x5a4d4d and $a'), {}, 'a value wider than the read never holds: left alone');
  assert.deepEqual(pre('pe.number_of_sections < 3 and $a'), {}, '< is true for an undefined-as-zero reading: not trusted');
  assert.deepEqual(pre('not pe.is_pe and $a'), {});
  assert.deepEqual(pre('(uint16(0) == 0x5a4d or $a) and $b'), {});
});

test('rule source: hex strings with commented braces, regexes with slashes and braces, escaped quotes', () => {
  const text = `import "pe"
// rule commented_out { condition: true }
private rule helper { condition: uint16(0) == 0x5a4d }
rule a : t1 t2 {
  meta: d = "a \\" } quote"
  strings:
    $h = { 6A 00 // push }
           ?? [2-4] ( AA | BB ) /* } */ }
    $r = /ab[\\/}]c\\/d{2}/ nocase
  condition: helper and $h and $r and filesize / 2 < 100
}`;
  const split = splitRuleSource(text);
  assert.deepEqual(split.imports, ['pe']);
  assert.deepEqual(split.rules.map((r) => [r.name, r.isPrivate]), [['helper', true], ['a', false]]);
  assert.deepEqual(split.rules[1]!.condition.map((t) => t.text).join(' '), 'helper and $h and $r and filesize / 2 < 100');
  assert.ok(split.rules[1]!.text.endsWith('< 100\n}'));
  const plans = planPartitions([{ name: 'x.yar', text: `${text}\nrule b { condition: uint16(0) == 0x5a4d and a }` }], { minClassRules: 1 });
  assert.deepEqual(plans.map((p) => [p.key, p.rules]), [['base', ['a']], ['4d5a', ['helper', 'a', 'b']]]);
});

/** A minimal valid PE32 image (DOS header, PE header, one section) followed by `body`. */
function buildPe(body: Buffer): Buffer {
  const image = Buffer.alloc(0x400);
  image.write('MZ', 0, 'latin1');
  image.writeUInt32LE(0x40, 0x3c);
  image.write('PE\0\0', 0x40, 'latin1');
  const coff = 0x44;
  image.writeUInt16LE(0x14c, coff);
  image.writeUInt16LE(1, coff + 2);
  image.writeUInt16LE(0xe0, coff + 16);
  image.writeUInt16LE(0x0102, coff + 18);
  const opt = coff + 20;
  image.writeUInt16LE(0x10b, opt);
  image.writeUInt32LE(0x200, opt + 4);
  image.writeUInt32LE(0x1000, opt + 16);
  image.writeUInt32LE(0x1000, opt + 20);
  image.writeUInt32LE(0x400000, opt + 28);
  image.writeUInt32LE(0x1000, opt + 32);
  image.writeUInt32LE(0x200, opt + 36);
  image.writeUInt16LE(4, opt + 40);
  image.writeUInt16LE(4, opt + 48);
  image.writeUInt32LE(0x2000, opt + 56);
  image.writeUInt32LE(0x200, opt + 60);
  image.writeUInt16LE(2, opt + 68);
  image.writeUInt32LE(16, opt + 92);
  const section = opt + 0xe0;
  image.write('.text', section, 'latin1');
  image.writeUInt32LE(0x1000, section + 8);
  image.writeUInt32LE(0x1000, section + 12);
  image.writeUInt32LE(0x200, section + 16);
  image.writeUInt32LE(0x200, section + 20);
  image.writeUInt32LE(0x60000020, section + 36);
  image.fill(0x90, 0x200, 0x210);
  return Buffer.concat([image, body]);
}

test('a built PE is a PE to the engine; pe.* is false without the MZ head', () => {
  const rules = compileRuleSet([{ name: 'pe.yar', text: 'import "pe"\nrule is_pe { condition: pe.is_pe }\nrule sections { condition: pe.number_of_sections > 0 }\nrule dll { condition: pe.is_dll() or pe.is_32bit() }' }]).rules;
  assert.ok(rules);
  const pe = buildPe(Buffer.from('x'));
  assert.deepEqual(toMatches(rules.scan(pe)).map((m) => m.rule), ['is_pe', 'sections', 'dll']);
  const headless = Buffer.from(pe);
  headless.write('ZM', 0, 'latin1');
  assert.deepEqual(toMatches(rules.scan(headless)).map((m) => m.rule), []);
});

const HEADS: Record<string, Buffer> = {
  mz: Buffer.from('4d5a9000', 'hex'),
  elf: Buffer.from('7f454c46020101', 'hex'),
  zip: Buffer.from('504b0304', 'hex'),
  text: Buffer.from('#!/bin/sh\n'),
};

test('property: random rule sets give the same matches partitioned and whole, on random files', () => {
  const random = seededRandom(8);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const atoms = ['$a', '$b', 'uint16(0) == 0x5a4d', 'uint16be(0) == 0x4d5a', 'uint32(0) == 0x464c457f', 'uint16(0) == 0x457f', 'uint16(0) == 0x4b50',
    'uint8(0) == 0x23', 'filesize < 64', 'filesize > 40', 'filesize <= 200', 'pe.is_pe', 'pe.number_of_sections > 0', 'not pe.is_pe',
    'not uint16(0) == 0x5a4d', 'uint16(0) != 0x457f', 'pe.number_of_sections < 2', '#a > 1', 'filetype == "EXE"'];
  let compared = 0;
  let matched = 0;
  for (let round = 0; round < 12; round++) {
    const lines = ['import "pe"'];
    const names: string[] = [];
    for (let r = 0; r < 25; r++) {
      const expr = (depth: number): string => {
        const roll = random();
        if (depth > 2 || roll < 0.4) return roll < 0.1 && names.length ? pick(names) : pick(atoms);
        return `(${expr(depth + 1)} ${random() < 0.7 ? 'and' : 'or'} ${expr(depth + 1)})`;
      };
      const parts = Array.from({ length: 1 + Math.floor(random() * 3) }, () => expr(1));
      const name = `r${round}_${r}`;
      lines.push(`${random() < 0.2 ? 'private ' : ''}rule ${name} { strings: $a = "AAAA" $b = { 42 42 ?? 42 } condition: ${parts.join(' and ')} and #a >= 0 and #b >= 0 }`);
      names.push(name);
    }
    const files: RuleFile[] = [{ name: 'random.yar', text: lines.join('\n') }];
    const full = compileRuleSet(files, { trusted: true });
    assert.ok(full.rules, JSON.stringify(full.problems));
    const parted = compilePartitioned(files, { minClassRules: 1, sizeTiers: [50, 100, 1100] });
    for (let f = 0; f < 40; f++) {
      const head = random() < 0.2 ? buildPe(Buffer.alloc(0)) : pick(Object.values(HEADS));
      const body = Buffer.from(Array.from({ length: Math.floor(random() * 120) }, () => pick(['A', 'B', 'x', 'AAAA', 'BB?B', '\0'])).join(''));
      const data = Buffer.concat([head, body]).subarray(0, random() < 0.1 ? 1 : undefined);
      const vars = { filetype: pick(['EXE', 'ELF', '']) };
      const expected = toMatches(full.rules.scan(data, vars));
      const before = parted.counters();
      assert.deepEqual(toMatches(parted.scan(data, vars)), expected, `round ${round}, file ${f}`);
      // setKey names the set the scan used, from the first two bytes and the size alone.
      const used = Object.entries(parted.counters()).filter(([key, count]) => count !== before[key]).map(([key]) => key);
      assert.deepEqual(used, [parted.setKey(data.subarray(0, 2), data.length)], `round ${round}, file ${f}: set used`);
      compared++;
      matched += expected.length;
    }
  }
  assert.equal(compared, 480);
  assert.ok(matched > 200, `the random sets must match often enough to compare (${matched})`);
});

/** Text patterns of a rule (`$x = "..."`), with `wide` ones also as UTF-16LE. */
function plantable(ruleText: string): Buffer[] {
  const tokens = tokenize(ruleText);
  const out: Buffer[] = [];
  tokens.forEach((t, i) => {
    if (t.kind !== 'string' || tokens[i - 1]?.text !== '=' || !tokens[i - 2]?.text.startsWith('$')) return;
    let value: string;
    try {
      value = JSON.parse(t.text.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string;
    } catch {
      return;
    }
    const modifiers: string[] = [];
    for (let j = i + 1; tokens[j]?.kind === 'ident' && ['ascii', 'wide', 'nocase', 'fullword', 'private'].includes(tokens[j]!.text); j++) modifiers.push(tokens[j]!.text);
    out.push(Buffer.from(` ${value} `, 'latin1'));
    if (modifiers.includes('wide')) out.push(Buffer.from(` ${value} `, 'utf16le'));
  });
  return out;
}

test('signature-base: partitioned scans equal full-set scans on PE, ELF, script and other files carrying its strings', () => {
  const files = signatureBase();
  const full = compileRuleSet(files, { trusted: true });
  assert.ok(full.rules);
  const parted = compilePartitioned(files);
  assert.deepEqual(parted.sets.map((s) => s.key), ['base', 'base@1048576', '4d5a', '4d5a@1048576', '7f45', '7f45@1048576']);
  const plans = planPartitions(files);
  const decls = new Map(files.flatMap((f) => splitRuleSource(f.text).rules).map((r) => [r.name, r]));
  const rulesOf = (key: string): string[] => plans.find((p) => p.key === key)!.rules;
  const baseOnly = rulesOf('base');
  const mzOnly = rulesOf('4d5a').filter((n) => !baseOnly.includes(n));
  const elfOnly = rulesOf('7f45').filter((n) => !baseOnly.includes(n));
  const random = seededRandom(42);
  const sample = (names: readonly string[], k: number): Buffer[] => Array.from({ length: k }, () => plantable(decls.get(names[Math.floor(random() * names.length)]!)!.text)).flat();
  const kinds: [string, (body: Buffer) => Buffer, readonly string[]][] = [
    ['pe', (b) => buildPe(b), mzOnly],
    ['mz', (b) => Buffer.concat([HEADS.mz!, b]), mzOnly],
    ['elf', (b) => Buffer.concat([HEADS.elf!, b]), elfOnly],
    ['php', (b) => Buffer.concat([Buffer.from('<?php '), b]), baseOnly],
    ['sh', (b) => Buffer.concat([HEADS.text!, b]), baseOnly],
    ['zip', (b) => Buffer.concat([HEADS.zip!, b]), baseOnly],
    ['elf-with-pe-strings', (b) => Buffer.concat([HEADS.elf!, b]), mzOnly],
  ];
  const paths: string[] = [];
  for (const [kind, build, names] of kinds) {
    for (let i = 0; i < 25; i++) {
      const path = join(dir, `${kind}-${i}${kind === 'php' ? '.php' : kind === 'sh' ? '.sh' : kind === 'pe' ? '.exe' : ''}`);
      writeFileSync(path, build(Buffer.concat(sample(names, 1 + (i % 4)))));
      paths.push(path);
    }
  }
  // Large files use the upper size tier: a big ELF, and big PE and text files carrying strings of rules without a size bound.
  const unbounded = (names: readonly string[]) => names.filter((n) => precondition(decls.get(n)!.condition).maxSize === undefined);
  const big = Buffer.alloc(1024 * 1024 + 10, 0x41);
  writeFileSync(join(dir, 'big-pe.exe'), buildPe(Buffer.concat([big, ...sample(unbounded(mzOnly), 6)])));
  writeFileSync(join(dir, 'big-text.txt'), Buffer.concat([Buffer.from('<?php '), big, ...sample(unbounded(baseOnly), 6)]));
  writeFileSync(join(dir, 'big-elf'), Buffer.concat([HEADS.elf!, big, ...sample(unbounded(elfOnly), 6)]));
  paths.push('/usr/bin/ls', '/usr/bin/env', '/etc/passwd', join(dir, 'big-pe.exe'), join(dir, 'big-text.txt'), join(dir, 'big-elf'));
  const a = createFileScanner({ rules: full.rules, rulesId: 'full', cacheEntries: 0 });
  const b = createFileScanner({ rules: parted, rulesId: 'parted', cacheEntries: 0 });
  const hitKinds = new Set<string>();
  let hits = 0;
  for (const path of paths) {
    const expected = a.scan(path);
    assert.equal(expected.error, undefined);
    assert.deepEqual(b.scan(path).matches, expected.matches, path);
    hits += expected.matches.length;
    if (expected.matches.length) hitKinds.add(path.replace(/^.*\/|-\d+(\.\w+)?$/g, ''));
  }
  const counters = parted.counters();
  assert.ok(Object.values(counters).every((n) => n > 0), `every scan set was used: ${JSON.stringify(counters)}`);
  assert.ok(hits >= 50, `planted strings must make rules match (${hits} matches)`);
  for (const kind of ['pe', 'mz', 'elf', 'php']) assert.ok(hitKinds.has(kind), `some ${kind} file matches (${[...hitKinds].join(', ')})`);
});
