// IOC sweep form parsing: typed and bare indicators, duplicates, refused lines with their numbers; fuzzed: any text
// gives well-formed indicators and problems, never an exception.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { guessType, indicatorTypes, parseIndicators, MAX_VALUE } from './indicators.js';

test('bare values get their type; "type value" and "type:value" set it', () => {
  assert.equal(guessType('d41d8cd98f00b204e9800998ecf8427e'), 'md5');
  assert.equal(guessType('da39a3ee5e6b4b0d3255bfef95601890afd80709'), 'sha1');
  assert.equal(guessType('E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'), 'sha256');
  assert.equal(guessType('203.0.113.7'), 'ip');
  assert.equal(guessType('2001:db8::1'), 'ip');
  assert.equal(guessType('10.0.0.0/8'), 'cidr');
  assert.equal(guessType('4444'), 'port');
  assert.equal(guessType('/tmp/dropper'), 'path');
  assert.equal(guessType('evil.example.com'), 'domain');
  assert.equal(guessType('mimikatz.exe'), 'domain', 'a name with a dot reads as a domain; type it as process_name');
  assert.equal(guessType('xmrig'), 'process_name');
  const parsed = parseIndicators('# a comment\n203.0.113.7\nprocess_name mimikatz.exe\ndomain:evil.example.com\n203.0.113.7\n\nsha256 xyz\nport 70000\nport:\n');
  assert.deepEqual(parsed.indicators, [
    { type: 'ip', value: '203.0.113.7' },
    { type: 'process_name', value: 'mimikatz.exe' },
    { type: 'domain', value: 'evil.example.com' },
  ]);
  assert.deepEqual(parsed.problems.map((p) => p.line), [7, 8, 9]);
});

test('fuzz: any text parses into valid indicators and located problems', () => {
  const random = seededRandom(7);
  const pieces = ['sha256 ', 'ip ', 'port:', 'abc', 'ff', '10.0.0.', '1', '/', '.', 'com', ' ', '\n', '\r\n', '\t', '\u0001', '#', ':', 'é', 'x'.repeat(5000)];
  for (let i = 0; i < 2000; i++) {
    const text = Array.from({ length: Math.floor(random() * 20) }, () => pieces[Math.floor(random() * pieces.length)]!).join('');
    const lines = text.split(/\r?\n/).length;
    const parsed = parseIndicators(text);
    for (const indicator of parsed.indicators) {
      assert.ok((indicatorTypes as readonly string[]).includes(indicator.type));
      assert.ok(indicator.value.length >= 1 && indicator.value.length <= MAX_VALUE);
      assert.ok(!/[\u0000-\u001f\u007f]/.test(indicator.value), JSON.stringify(indicator));
      if (indicator.type === 'port') assert.ok(Number(indicator.value) >= 1 && Number(indicator.value) <= 65535);
    }
    for (const problem of parsed.problems) assert.ok(problem.line >= 1 && problem.line <= lines && problem.message.length > 0);
    assert.equal(new Set(parsed.indicators.map((x) => `${x.type} ${x.value.toLowerCase()}`)).size, parsed.indicators.length, 'no duplicates');
  }
});
