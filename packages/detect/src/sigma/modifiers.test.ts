// Tests of modifier chains and value transformations: validation, base64offset, windash, placeholders, CIDR and regex.
// Never depends on the corpus.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Offsets, compileCidr, compileSigmaRegex, expandPlaceholders, expandStringValue, readModifierChain } from './modifiers.js';
import type { ModifierChain } from './modifiers.js';
import { plainText } from './wildcard.js';

function chainOf(...modifiers: string[]): ModifierChain {
  const read = readModifierChain(modifiers);
  assert.ok('chain' in read, JSON.stringify(read));
  return read.chain;
}

test('modifier chains: unknown names and conflicting combinations are rejected', () => {
  assert.equal((readModifierChain(['contains', 'bogus']) as { code?: string }).code, 'unknown_modifier');
  for (const bad of [['contains', 'endswith'], ['re', 'contains'], ['cidr', 'base64'], ['gt', 'lt'], ['i'], ['exists', 're'], ['fieldref', 'base64']]) {
    assert.equal((readModifierChain(bad) as { code?: string }).code, 'invalid_modifier', bad.join('|'));
  }
  assert.equal(chainOf('re', 'i', 's').regexFlags, 'is');
  assert.deepEqual(chainOf('wide', 'base64offset', 'contains').encodings, ['wide', 'base64offset']);
});

test('base64offset: every rendering occurs in the base64 of the value at each byte offset', () => {
  for (const value of ['a', 'ab', 'abc', 'http://', 'Invoke-Mimikatz']) {
    const needles = base64Offsets(Buffer.from(value));
    for (let shift = 0; shift < 3; shift++) {
      for (const tail of ['', 'x', 'xy', 'xyz']) {
        const blob = Buffer.concat([Buffer.from('Q'.repeat(shift)), Buffer.from(value), Buffer.from(tail)]).toString('base64');
        assert.ok(needles.some((needle) => blob.includes(needle)), `${value} at ${shift} with tail ${tail}`);
      }
    }
  }
  assert.deepEqual(base64Offsets(Buffer.from('http://')), ['aHR0cDovL', 'h0dHA6Ly', 'odHRwOi8v']);
  assert.deepEqual(base64Offsets(Buffer.from('a')), ['Y', '', 'h'], 'a one-byte value at offset 1 constrains nothing');
});

test('windash: dashes and slashes starting a word, all permutations; wildcards refuse encodings', () => {
  const expanded = expandStringValue('-a /b c-d', chainOf('windash'));
  assert.ok('patterns' in expanded);
  assert.equal(expanded.patterns.length, 25);
  assert.ok(expanded.patterns.some((parts) => plainText(parts) === '\u2014a \u2013b c-d'));
  assert.ok(expanded.patterns.every((parts) => plainText(parts).endsWith(' c-d')));
  assert.deepEqual(expandStringValue('a*', chainOf('base64')), { message: 'base64 cannot encode a value containing wildcards' });
});

test('expand: every combination of placeholder values; unknown names are listed', () => {
  assert.deepEqual(expandPlaceholders('%a%\\%b%', { a: ['1', '2'], b: ['x'] }), { values: ['1\\x', '2\\x'] });
  assert.deepEqual(expandPlaceholders('%a% %zz%', { a: ['1'] }), { unknown: ['zz'] });
  assert.deepEqual(expandPlaceholders('%toString%', {}), { unknown: ['toString'] });
  assert.deepEqual(expandPlaceholders('no placeholder', undefined), { values: ['no placeholder'] });
});

test('cidr: IPv4, IPv6, mapped addresses, bad networks', () => {
  const v4 = compileCidr('192.168.0.0/16')!;
  assert.equal(v4('192.168.255.1'), true);
  assert.equal(v4('192.169.0.1'), false);
  assert.equal(v4('192.168.0'), false);
  assert.equal(compileCidr('0.0.0.0/0')!('8.8.8.8'), true);
  assert.equal(compileCidr('10.1.2.3')!('10.1.2.3'), true);
  const v6 = compileCidr('2001:db8::/32')!;
  assert.equal(v6('2001:DB8:1::5'), true);
  assert.equal(v6('2001:db9::1'), false);
  assert.equal(v6('fe80::1%eth0'), false);
  assert.equal(compileCidr('::1/128')!('0:0:0:0:0:0:0:1'), true);
  for (const bad of ['10.0.0.0/33', '10.0.0/8', '1.2.3.4/x', '2001:db8:::/32', 'fe80::/129', '256.0.0.0/8', 'nonsense']) assert.equal(compileCidr(bad), undefined, bad);
});

test('regex: leading inline flags become JavaScript flags; invalid patterns are messages', () => {
  const compiled = compileSigmaRegex('(?i)abc', '');
  assert.ok('regex' in compiled && compiled.regex.flags === 'i');
  assert.ok('message' in compileSigmaRegex('(?x)a b', ''));
  assert.ok('message' in compileSigmaRegex('a(', ''));
});
