// Unified diff: the same hunks as GNU `diff -u` on real files, and a property test (applying the diff to the
// before text gives the after text) over random edits, including missing final newlines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@vigil/common';
import { truncate, unifiedDiff } from './unified-diff.js';

/** Applies a unified diff produced by unifiedDiff (strict: context and deleted lines must match). */
function applyPatch(before: string, patch: string): string {
  if (patch === '') return before;
  const source = before === '' ? [] : before.split('\n');
  const sourceNewline = before === '' || before.endsWith('\n');
  if (sourceNewline && source.length) source.pop();
  const lines = patch.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  /** Output lines, each knowing whether it ends without a newline (only ever the last). */
  const out: { text: string; noNewline: boolean }[] = [];
  let at = 0;
  const copy = () => {
    out.push({ text: source[at]!, noNewline: at === source.length - 1 && !sourceNewline });
    at++;
  };
  let i = 2;
  while (i < lines.length) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$/.exec(lines[i]!);
    assert.ok(header, `hunk header expected: ${lines[i]}`);
    const start = Number(header[1]) - (header[2] === '0' ? 0 : 1);
    while (at < start) copy();
    i++;
    while (i < lines.length && !lines[i]!.startsWith('@@')) {
      const line = lines[i]!;
      const body = line.slice(1);
      const noNewline = lines[i + 1] === '\\ No newline at end of file';
      if (line[0] === ' ' || line[0] === '-') {
        assert.equal(source[at], body, 'context and deleted lines match the before text');
        at++;
      }
      if (line[0] === ' ' || line[0] === '+') out.push({ text: body, noNewline });
      i += noNewline ? 2 : 1;
    }
  }
  while (at < source.length) copy();
  if (out.length === 0) return '';
  return out.map((l) => l.text).join('\n') + (out[out.length - 1]!.noNewline ? '' : '\n');
}

test('golden: the same hunks as GNU diff -u', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-diff-'));
  try {
    const cases: [string, string][] = [
      ['a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n', 'a\nb\nX\nd\ne\nf\ng\nh\ni\nj\nk'],
      ['', 'root:x:0:0:root:/root:/bin/bash\n'],
      ['one\ntwo\n', ''],
      ['1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n', '1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\nthirteen\n14\n15\n'],
      ['x\ny', 'x\ny\n'],
      ['keep\nold line\nkeep\n', 'keep\nnew line 1\nnew line 2\nkeep\n'],
    ];
    for (const [before, after] of cases) {
      writeFileSync(join(dir, 'a'), before);
      writeFileSync(join(dir, 'b'), after);
      let gnu = '';
      try {
        execFileSync('diff', ['-u', '--label', 'before', '--label', 'after', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
      } catch (error) {
        gnu = (error as { stdout: string }).stdout;
      }
      assert.equal(unifiedDiff(before, after), gnu, JSON.stringify([before, after]));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('property: applying the diff of 3,000 random edits gives the after text', () => {
  const random = seededRandom(23);
  const words = ['alpha', 'beta', 'gamma', '', '# comment', '* * * * * root /tmp/x', 'ssh-ed25519 AAAA key', 'x'];
  const text = (n: number) => Array.from({ length: n }, () => words[Math.floor(random() * words.length)]!).join('\n');
  for (let i = 0; i < 3000; i++) {
    const before = text(Math.floor(random() * 30)) + (random() < 0.8 ? '\n' : '');
    const lines = before.split('\n');
    for (let e = 0; e < Math.floor(random() * 6); e++) {
      const at = Math.floor(random() * (lines.length + 1));
      const r = random();
      if (r < 0.4) lines.splice(at, 0, words[Math.floor(random() * words.length)]!);
      else if (r < 0.7) lines.splice(at, 1);
      else lines[at] = `changed ${i}`;
    }
    const after = lines.join('\n');
    const patch = unifiedDiff(before, after, { context: Math.floor(random() * 4) });
    assert.equal(patch === '', before === after);
    assert.equal(applyPatch(before, patch), after, JSON.stringify({ before, after, patch }));
  }
});

test('a large rewrite beyond maxEdits still yields a correct (if longer) diff', () => {
  const before = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const after = Array.from({ length: 3000 }, (_, i) => `other ${i}`).join('\n') + '\n';
  const patch = unifiedDiff(before, after, { maxEdits: 100 });
  assert.equal(applyPatch(before, patch), after);
});

test('truncate keeps the limit and says how much is left out', () => {
  assert.deepEqual(truncate('abc', 5), { text: 'abc', truncated: false });
  const cut = truncate('x'.repeat(100), 10);
  assert.ok(cut.truncated);
  assert.match(cut.text, /^x{10}\n… 90 more characters not shown$/);
});
