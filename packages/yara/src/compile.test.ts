// The signature-base rule set compiles with the external variables it expects (and 13 files fail without them),
// problems carry file:line:column, cross-file clashes are attributed to the right file, the worker reports the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { signatureBase } from './internal/test-support.js';
import { compileRuleSet, parseDiagnostic, ruleSetDigest, safeExternal } from './compile.js';
import { checkRuleSetInWorker } from './compile-worker.js';
import type { RuleFile } from './core.js';

const NEEDS_EXTERNALS = [
  'configured_vulns_ext_vars', 'expl_citrix_netscaler_adc_exploitation_cve_2023_3519', 'expl_connectwise_screenconnect_vuln_feb24', 'gen_fake_amsi_dll', 'gen_mal_3cx_compromise_mar23',
  'gen_susp_obfuscation', 'gen_vcruntime140_dll_sideloading', 'gen_webshells_ext_vars', 'general_cloaking', 'generic_anomalies', 'thor_inverse_matches',
  'yara-rules_vuln_drivers_strict_renamed', 'yara_mixed_ext_vars',
];

test('signature-base: all 742 files compile together with filename, filepath, extension, filetype and owner defined', async () => {
  const files = signatureBase();
  assert.equal(files.length, 742);
  const result = compileRuleSet(files);
  const errors = result.problems.filter((p) => p.severity === 'error');
  assert.deepEqual(errors, []);
  assert.ok(result.rules, 'compiled');
  assert.equal(result.compiledFiles.length, 742);
  assert.ok(result.ruleCount >= 5900 && result.ruleCount <= 6000, `${result.ruleCount} rules`);
  const warnings = result.problems.filter((p) => p.severity === 'warning');
  assert.ok(warnings.length > 100, `${warnings.length} warnings`);
  for (const w of warnings) assert.ok(w.file && w.line && w.column && w.code && w.message, JSON.stringify(w));
  // The set still scans: a file without anything suspicious matches nothing.
  assert.deepEqual(result.rules.scan(Buffer.from('nothing to see here'), { filename: 'x.txt', filepath: '/tmp', extension: '.txt', filetype: '', owner: 'root' }), []);
});

test('signature-base without the external variables: exactly the 13 documented files fail, each with a location', () => {
  const result = compileRuleSet(signatureBase(), { externals: {}, skipInvalid: true });
  const failed = [...new Set(result.problems.filter((p) => p.severity === 'error').map((p) => p.file.replace(/^yara\/|\.yara?$/g, '')))].sort();
  assert.deepEqual(failed, [...NEEDS_EXTERNALS].sort());
  assert.ok(result.problems.filter((p) => p.severity === 'error').every((p) => p.code === 'E009' && p.line! > 0 && p.column! > 0 && /unknown identifier/.test(p.message)));
  assert.ok(result.rules, 'the other files still compile with skipInvalid');
  assert.equal(result.compiledFiles.length, 742 - 13);
});

test('problems carry file, line and column; a clash between files names the second file', () => {
  const files: RuleFile[] = [
    { name: 'a.yar', text: 'rule one { condition: true }\n' },
    { name: 'b.yar', text: 'rule two {\n  strings:\n    $x = "abc"\n  condition:\n    $x and nope\n}\n' },
    { name: 'c.yar', text: '// comment\n\nrule one { condition: false }\n' },
  ];
  const strict = compileRuleSet(files);
  assert.equal(strict.rules, undefined);
  const unknown = strict.problems.find((p) => p.file === 'b.yar')!;
  assert.deepEqual([unknown.severity, unknown.code, unknown.line, unknown.column], ['error', 'E009', 5, 12]);
  assert.match(unknown.message, /unknown identifier `nope`/);
  const lenient = compileRuleSet(files, { skipInvalid: true });
  assert.ok(lenient.rules);
  assert.deepEqual(lenient.compiledFiles, ['a.yar']);
  const clash = lenient.problems.find((p) => p.code === 'E012')!;
  assert.deepEqual([clash.file, clash.line, clash.column], ['c.yar', 3, 6]);
  assert.match(clash.message, /duplicate rule `one`.*when compiled with the other files/);
});

test('the worker compiles off the main thread and reports the same as an inline compile', async () => {
  const files = signatureBase().slice(0, 40);
  const inline = compileRuleSet(files);
  const report = await checkRuleSetInWorker(files);
  assert.equal(report.ok, true);
  assert.deepEqual(report.problems, inline.problems);
  assert.equal(report.ruleCount, inline.ruleCount);
  const bad = await checkRuleSetInWorker([{ name: 'x.yar', text: 'rule x { condition: ' }]);
  assert.equal(bad.ok, false);
  assert.equal(bad.problems[0]!.code, 'E001');
});

test('digests change with any file, name, external or option, and not otherwise', () => {
  const files = [{ name: 'a.yar', text: 'rule a { condition: true }' }];
  const base = ruleSetDigest(files);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(ruleSetDigest([{ ...files[0]! }]), base);
  assert.notEqual(ruleSetDigest([{ name: 'b.yar', text: files[0]!.text }]), base);
  assert.notEqual(ruleSetDigest([{ name: 'a.yar', text: `${files[0]!.text} ` }]), base);
  assert.notEqual(ruleSetDigest(files, { filename: '' }), base);
  assert.notEqual(ruleSetDigest(files, undefined, { quarantine: true }), base);
});

test('fuzz: diagnostics of random rule texts always parse into a code and a message', () => {
  const random = seededRandom(11);
  const pieces = ['rule', ' x', ' {', ' }', ' condition:', ' strings:', ' $a = "q"', ' $b = { 4? }', ' and', ' or', ' not', ' filesize > 1KB', ' pe.is_dll()', ' import "pe"', '\n', ' 1', ' $a', ' any of them', ' /re+/'];
  for (let i = 0; i < 300; i++) {
    const text = Array.from({ length: 3 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const result = compileRuleSet([{ name: 'fuzz.yar', text }]);
    for (const problem of result.problems) {
      assert.ok(problem.code && problem.message && !problem.message.includes('\n'), JSON.stringify(problem));
      if (problem.line !== undefined) assert.ok(problem.line >= 1 && problem.line <= text.split('\n').length + 1, `${text}: ${JSON.stringify(problem)}`);
    }
  }
  assert.deepEqual(parseDiagnostic('something odd', 'error', 'x'), { code: 'x', message: 'something odd' });
  assert.equal(safeExternal('true'), 'true ');
  assert.equal(safeExternal('123'), '123 ');
  assert.equal(safeExternal('bash'), 'bash');
});
