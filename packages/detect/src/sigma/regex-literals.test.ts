import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import { minimumRegexLength, requiredRegexLiteral } from './regex-literals.js';

test('literal runs that every match must contain', () => {
  const cases: [string, string | undefined][] = [
    ['foo.*bar', 'foo'],
    ['\\\\Windows\\\\System32\\\\cmd\\.exe', '\\windows\\system32\\cmd.exe'.replace(/windows/, 'Windows').replace(/system32/, 'System32')],
    ['(?i)invoke-expression', 'invoke-expression'],
    ['abc?de', 'ab'],
    ['a(bc)*defg', 'defg'],
    ['x{0,3}yz', 'yz'],
    ['x{2}yz', 'yz'],
    ['[a-z]+longliteral[0-9]', 'longliteral'],
    ['foo|barbaz', undefined],
    ['(foo|bar)quux', 'quux'],
    ['\\d+\\.\\d+', '.'],
    ['^\\s*$', undefined],
    ['(?=lookahead)abc', 'abc'],
  ];
  for (const [source, expected] of cases) assert.equal(requiredRegexLiteral(source), expected, source);
});

// Random regexes built together with a generator of strings they match: the literal must occur in every such string.
interface Piece { source: string; sample: (random: () => number) => string }

function randomPiece(random: () => number, depth: number): Piece {
  const pick = Math.floor(random() * (depth > 2 ? 5 : 7));
  const letters = 'abcXYZ-_';
  switch (pick) {
    case 0: {
      const char = letters[Math.floor(random() * letters.length)]!;
      return { source: char === '-' ? '\\-' : char, sample: () => char };
    }
    case 1:
      return { source: '.', sample: (r) => 'pq'[Math.floor(r() * 2)]! };
    case 2:
      return { source: '\\d', sample: (r) => String(Math.floor(r() * 10)) };
    case 3:
      return { source: '[a-c]', sample: (r) => 'abc'[Math.floor(r() * 3)]! };
    case 4: {
      const inner = randomPiece(random, depth + 1);
      const quantifier = ['*', '+', '?', '{0,2}', '{2}', '{1,3}'][Math.floor(random() * 6)]!;
      const [min, max] = ({ '*': [0, 3], '+': [1, 3], '?': [0, 1], '{0,2}': [0, 2], '{2}': [2, 2], '{1,3}': [1, 3] } as Record<string, [number, number]>)[quantifier]!;
      return { source: `(?:${inner.source})${quantifier}`, sample: (r) => Array.from({ length: min + Math.floor(r() * (max - min + 1)) }, () => inner.sample(r)).join('') };
    }
    case 5: {
      const left = sequence(random, depth + 1);
      const right = sequence(random, depth + 1);
      return { source: `(${left.source}|${right.source})`, sample: (r) => (r() < 0.5 ? left : right).sample(r) };
    }
    default: {
      const word = Array.from({ length: 2 + Math.floor(random() * 4) }, () => letters[Math.floor(random() * 6)]!).join('');
      return { source: word, sample: () => word };
    }
  }
}

function sequence(random: () => number, depth: number): Piece {
  const pieces = Array.from({ length: 1 + Math.floor(random() * 4) }, () => randomPiece(random, depth));
  return { source: pieces.map((p) => p.source).join(''), sample: (r) => pieces.map((p) => p.sample(r)).join('') };
}

test('property: every string a random regex matches contains its required literal (seeded, 3,000 regexes)', () => {
  const random = seededRandom(11);
  let withLiteral = 0;
  for (let n = 0; n < 3000; n++) {
    const piece = sequence(random, 0);
    const literal = requiredRegexLiteral(piece.source);
    if (literal === undefined) continue;
    withLiteral++;
    const regex = new RegExp(piece.source);
    for (let k = 0; k < 10; k++) {
      const text = piece.sample(random);
      assert.ok(regex.test(text), `generator broke: ${piece.source} ${text}`);
      assert.ok(text.toLowerCase().includes(literal.toLowerCase()), `regex ${piece.source} matched ${JSON.stringify(text)} without literal ${JSON.stringify(literal)}`);
    }
  }
  assert.ok(withLiteral > 1000, `only ${withLiteral} regexes had a literal`);
});

test('shortest match lengths of regexes (0 when unsure)', () => {
  const cases: [string, string, number][] = [
    ['.{1000,}', '', 1000],
    ['\\s[a-fA-F0-9]{64}\\s[a-fA-F0-9]{16}', '', 82],
    ['a|bc', '', 1],
    ['(?:ab)*c', '', 1],
    ['(?:ab)+c', '', 3],
    ['\\x41\\u0042\\012', '', 3],
    ['[]]x', '', 3], // an empty class, then ']' and 'x'
    ['a[^]]b', '', 4],
    ['(?=abc)d(?<!x)', '', 1],
    ['(?<name>ab)\\k<name>', '', 2],
    ['a{', '', 2],
    ['a{2,}?b', '', 3],
    ['(a)\\1', '', 1],
    ['\\u{1F600}', 'u', 1],
    ['\\p{L}{3}', 'u', 3],
    ['^$', '', 0],
    ['[a-z', '', 0],
  ];
  for (const [source, flags, expected] of cases) assert.equal(minimumRegexLength(source, flags), expected, `/${source}/${flags}`);
  for (const [source, flags] of cases.slice(0, -1)) assert.doesNotThrow(() => new RegExp(source, flags), source);
});

test('property: no string a random regex matches is shorter than its minimum length (seeded, 3,000 regexes)', () => {
  const random = seededRandom(12);
  let bounded = 0;
  for (let n = 0; n < 3000; n++) {
    const piece = sequence(random, 0);
    const min = minimumRegexLength(piece.source, '');
    if (min > 0) bounded++;
    for (let k = 0; k < 10; k++) {
      const text = piece.sample(random);
      assert.ok(text.length >= min, `regex ${piece.source} matched ${JSON.stringify(text)}, shorter than ${min}`);
    }
  }
  assert.ok(bounded > 2000, `only ${bounded} regexes had a bound`);
});
