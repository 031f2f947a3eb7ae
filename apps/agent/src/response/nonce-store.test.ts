import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VigilError, seededRandom } from '@vigil/common';
import { publicKeyId, signKeyRotation, type TaskKeyOffer } from '@vigil/response';
import { openNonceStore } from './nonce-store.js';
import { KEY_PIN_FILE, openKeyPin, pinAtEnrollment } from './key-pin.js';

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-nonce-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('nonces survive a restart until their task expired (plus clock skew)', () => {
  const file = join(dir(), 'response', 'nonces.log');
  let now = Date.parse('2026-12-05T10:00:00Z');
  const store = openNonceStore(file, () => now);
  assert.equal(store.seen('n1'), false);
  store.record('n1', '2026-12-05T10:10:00.000Z', 't1');
  store.record('n2', '2026-12-05T12:00:00.000Z', 't2');
  assert.equal(store.seen('n1'), true);
  store.close();
  const reopened = openNonceStore(file, () => now);
  assert.equal(reopened.seen('n1'), true, 'replay after restart is still refused');
  assert.equal(reopened.seen('n2'), true);
  assert.equal(reopened.seen('n3'), false);
  reopened.close();
  now = Date.parse('2026-12-05T10:11:30Z');
  const later = openNonceStore(file, () => now);
  assert.equal(later.seen('n1'), false, 'expired tasks are forgotten (verification refuses them as expired anyway)');
  assert.equal(later.seen('n2'), true);
  assert.equal(later.size(), 1);
  later.close();
});

test('a torn last line (crash during a write) is tolerated; damage before it refuses to open', () => {
  const d = dir();
  const file = join(d, 'nonces.log');
  const store = openNonceStore(file);
  store.record('n1', new Date(Date.now() + 60_000).toISOString(), 't1');
  store.close();
  appendFileSync(file, '{"n":"n2","e":17');
  const reopened = openNonceStore(file);
  assert.equal(reopened.seen('n1'), true);
  reopened.close();
  writeFileSync(file, `garbage\n${readFileSync(file, 'utf8')}\n`);
  assert.throws(() => openNonceStore(file), (e: unknown) => e instanceof VigilError && e.code === 'system' && /damaged at line 1/.test(e.message));
});

test('compaction keeps every unexpired nonce', () => {
  const file = join(dir(), 'nonces.log');
  let now = 1_000_000;
  const store = openNonceStore(file, () => now);
  for (let i = 0; i < 3000; i++) store.record(`old${i}`, new Date(now + 1000).toISOString(), `t${i}`);
  store.record('keep', new Date(now + 10_000_000).toISOString(), 'tk');
  now += 120_000;
  for (let i = 0; i < 10; i++) store.record(`new${i}`, new Date(now + 60_000).toISOString(), `n${i}`);
  assert.equal(store.seen('keep'), true);
  assert.equal(store.seen('old1'), false);
  store.close();
  const lines = readFileSync(file, 'utf8').trim().split('\n').length;
  assert.ok(lines < 100, `compacted to ${lines} lines`);
  const reopened = openNonceStore(file, () => now);
  assert.equal(reopened.seen('keep'), true);
  assert.equal(reopened.seen('new9'), true);
  reopened.close();
});

function offerFor(key: ReturnType<typeof generateKeyPairSync>, rotations: TaskKeyOffer['rotations'] = []): TaskKeyOffer {
  return { key_id: publicKeyId(key.publicKey), public_key_pem: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(), rotations };
}

test('the task-signing key is pinned at first sight and replaced only through signed rotations', () => {
  const d = dir();
  const k1 = generateKeyPairSync('ed25519');
  const k2 = generateKeyPairSync('ed25519');
  const intruder = generateKeyPairSync('ed25519');
  const pin = openKeyPin(d);
  assert.equal(pin.current(), undefined);
  assert.equal(pin.offer(offerFor(k1)), 'pinned');
  assert.equal(pin.offer(offerFor(k1)), 'unchanged');
  assert.throws(() => pin.offer(offerFor(intruder)), (e: unknown) => e instanceof VigilError && e.code === 'forbidden');
  assert.equal(openKeyPin(d).current()?.keyId, publicKeyId(k1.publicKey), 'a refused offer keeps the pin, also on disk');
  const rotation = signKeyRotation(k1.privateKey, k2.publicKey, new Date().toISOString());
  assert.equal(pin.offer(offerFor(k2, [rotation])), 'rotated');
  assert.equal(openKeyPin(d).current()?.keyId, publicKeyId(k2.publicKey));
  assert.throws(() => pin.offer({ key_id: 'nope' }), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input');
  // Enrollment starts a new trust.
  pinAtEnrollment(d, offerFor(intruder));
  assert.equal(openKeyPin(d).current()?.keyId, publicKeyId(intruder.publicKey));
  // A damaged pin is never silently replaced.
  writeFileSync(join(d, KEY_PIN_FILE), '{"key_id":"00","public_key_pem":"x"}');
  assert.throws(() => openKeyPin(d), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config');
});

test('fuzz: any file content either opens (only valid lines kept) or is refused as damaged (seeded)', () => {
  const d = dir();
  const random = seededRandom(11);
  const good = JSON.stringify({ n: 'n1', e: Date.now() + 600_000, t: 't1' });
  const pieces = [good, '{', '}', '"n"', ':', ',', '\n', 'garbage', '{"n":1,"e":2,"t":3}', '\u0000', ' '];
  for (let i = 0; i < 300; i++) {
    const file = join(d, `fuzz-${i}.log`);
    writeFileSync(file, Array.from({ length: 1 + Math.floor(random() * 6) }, () => pieces[Math.floor(random() * pieces.length)]).join(random() < 0.5 ? '\n' : ''));
    try {
      openNonceStore(file).close();
    } catch (error) {
      assert.ok(error instanceof VigilError && error.code === 'system' && error.location?.line !== undefined, String(error));
    }
  }
});
