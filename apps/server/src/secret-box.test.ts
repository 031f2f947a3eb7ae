// Sealing secrets at rest: values round-trip, and a changed byte, another context or another key never opens.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { SecretBox } from './secret-box.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-secret-box-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('seal/open round-trips any text; the key file is created once with mode 0600 and reused', () => {
  const keyFile = join(dir, 'a.key');
  const box = new SecretBox(keyFile);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const key = readFileSync(keyFile, 'utf8');
  const random = seededRandom(7);
  for (let i = 0; i < 200; i++) {
    const text = Array.from({ length: Math.floor(random() * 80) }, () => String.fromCodePoint(Math.floor(random() * 0x2ffff) % 0xd800)).join('');
    const sealed = box.seal(text, `ctx ${i}`);
    assert.ok(SecretBox.isSealed(sealed));
    assert.equal(new SecretBox(keyFile).open(sealed, `ctx ${i}`), text);
  }
  assert.equal(readFileSync(keyFile, 'utf8'), key, 'the key is not replaced');
  assert.notEqual(box.seal('same', 'c'), box.seal('same', 'c'), 'a fresh IV each time');
});

test('a changed byte, another context or another key is refused with an error, never wrong plaintext', () => {
  const box = new SecretBox(join(dir, 'b.key'));
  const sealed = box.seal('webhook-secret-value', 'destination 1 settings');
  const body = Buffer.from(sealed.slice('sealed-v1.'.length), 'base64');
  for (let i = 0; i < body.length; i++) {
    const flipped = Buffer.from(body);
    flipped[i] = flipped[i]! ^ 0x01;
    assert.throws(() => box.open('sealed-v1.' + flipped.toString('base64'), 'destination 1 settings'), /cannot open|truncated/);
  }
  assert.throws(() => box.open(sealed, 'destination 2 settings'), /cannot open/);
  assert.throws(() => new SecretBox(join(dir, 'c.key')).open(sealed, 'destination 1 settings'), /c\.key/);
  assert.throws(() => box.open('sealed-v1.AAAA', 'x'), /truncated/);
});

test('a key file that does not hold a 32-byte key is refused with its path', () => {
  const keyFile = join(dir, 'bad.key');
  writeFileSync(keyFile, 'not-a-key\n', { mode: 0o600 });
  assert.throws(() => new SecretBox(keyFile), (error: Error & { code?: string }) => error.code === 'invalid_config' && error.message.includes(keyFile));
});
