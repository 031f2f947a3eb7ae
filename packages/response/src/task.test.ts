import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { VigilError, seededRandom } from '@vigil/common';
import {
  canonicalJson,
  followRotations,
  parseTaskReport,
  publicKeyId,
  signKeyRotation,
  signTask,
  verifyTask,
  type SignedTask,
  type TaskBody,
  type VerifyOptions,
} from './task.js';

const serverKey = generateKeyPairSync('ed25519');
const otherKey = generateKeyPairSync('ed25519');
const pem = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) => key.export({ type: 'spki', format: 'pem' }).toString();
const NOW = Date.parse('2026-12-05T10:00:00.000Z');
const AGENT = 'agent-7f3a';

function body(extra: Partial<TaskBody> = {}): TaskBody {
  return {
    task_id: randomUUID(),
    agent_id: AGENT,
    action: 'process.kill',
    args: { pid: 4242, tree: true, note: 'ünïcödé ✓', nested: { b: [1, 2.5, null], a: 'x' } },
    issued_at: new Date(NOW - 1000).toISOString(),
    expires_at: new Date(NOW + 600_000).toISOString(),
    nonce: 'AAAAAAAAAAAAAAAAAAAAAAAA',
    issued_by: 'user:alice',
    reason: 'contain the reverse shell',
    ...extra,
  };
}

function options(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { publicKey: pem(serverKey.publicKey), agentId: AGENT, now: NOW, seenNonce: () => false, ...extra };
}

function refusal(envelope: unknown, extra: Partial<VerifyOptions> = {}): string {
  const verdict = verifyTask(envelope, options(extra));
  assert.equal(verdict.ok, false, 'expected a refusal');
  return (verdict as { reason: string }).reason;
}

test('a task signed by the server verifies and comes back unchanged', () => {
  const task = body();
  const envelope = signTask(task, serverKey.privateKey);
  assert.equal(envelope.key_id, publicKeyId(serverKey.publicKey));
  const verdict = verifyTask(JSON.parse(JSON.stringify(envelope)), options());
  assert.ok(verdict.ok, JSON.stringify(verdict));
  assert.deepEqual(verdict.task, task);
});

test('refusals name distinct reasons: other key, altered byte, expired, not yet valid, replayed, mis-addressed, unsigned', () => {
  const envelope = signTask(body(), serverKey.privateKey);
  // Signed by another key: its own key id, or ours forged.
  const foreign = signTask(body(), otherKey.privateKey);
  assert.equal(refusal(foreign), 'unknown_key');
  assert.equal(refusal({ ...foreign, key_id: envelope.key_id }), 'bad_signature');
  // One altered byte anywhere in the signed task.
  const text = JSON.stringify(envelope.task);
  const at = text.indexOf('4242');
  const altered = JSON.parse(text.slice(0, at) + '4243' + text.slice(at + 4)) as TaskBody;
  assert.equal(refusal({ ...envelope, task: altered }), 'bad_signature');
  assert.equal(refusal({ ...envelope, task: { ...envelope.task, agent_id: 'agent-other' } }), 'bad_signature');
  assert.equal(refusal({ ...envelope, task: { ...envelope.task, expires_at: new Date(NOW + 86_000_000).toISOString() } }), 'bad_signature');
  // Time.
  assert.equal(refusal(envelope, { now: NOW + 600_000 }), 'expired');
  assert.equal(refusal(envelope, { now: NOW - 120_000 }), 'not_yet_valid');
  assert.ok(verifyTask(envelope, options({ now: NOW - 30_000 })).ok, 'within the clock skew');
  // Replay, target, signature presence, key presence.
  assert.equal(refusal(envelope, { seenNonce: (n) => n === envelope.task.nonce }), 'replayed');
  assert.equal(refusal(signTask(body({ agent_id: 'agent-other' }), serverKey.privateKey)), 'misaddressed');
  assert.equal(refusal({ task: envelope.task, key_id: envelope.key_id }), 'unsigned');
  assert.equal(refusal({ ...envelope, signature: '' }), 'unsigned');
  assert.equal(refusal(envelope, { publicKey: undefined }), 'no_key');
  // Shapes.
  assert.equal(refusal(null), 'malformed');
  assert.equal(refusal('task'), 'malformed');
  assert.equal(refusal({ ...envelope, extra: 1 }), 'malformed');
  assert.equal(refusal({ ...envelope, signature: 'not base64!' }), 'malformed');
  // Too long a lifetime is refused even when signed (it would let the nonce store grow without bound).
  assert.equal(refusal(signTask(body({ expires_at: new Date(NOW + 2 * 86_400_000).toISOString() }), serverKey.privateKey)), 'malformed');
  assert.equal(refusal(signTask(body({ expires_at: new Date(NOW - 5000).toISOString() }), serverKey.privateKey)), 'malformed');
});

test('the refusal carries the task id when it is readable, so the server can fail the right task', () => {
  const envelope = signTask(body(), otherKey.privateKey);
  const verdict = verifyTask(envelope, options());
  assert.equal(verdict.ok, false);
  assert.equal((verdict as { taskId?: string }).taskId, envelope.task.task_id);
});

test('signTask refuses a body that does not match the envelope schema', () => {
  assert.throws(() => signTask({ ...body(), nonce: 'short' }, serverKey.privateKey), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input' && e.location?.path === 'task.nonce');
  assert.throws(() => signTask({ ...body(), action: 'Kill' }, serverKey.privateKey), VigilError);
  assert.throws(() => signTask(body(), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), /Ed25519/);
});

test('canonical JSON: key order does not matter, values that JSON cannot carry are refused', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 0.5, y: -0 } }), '{"a":[true,null,"x"],"b":1,"c":{"y":0,"z":0.5}}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  for (const bad of [Number.NaN, Infinity, undefined, () => 1, new Date(), { a: undefined }, 10n]) assert.throws(() => canonicalJson(bad), VigilError);
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.throws(() => canonicalJson(deep), /deeper/);
});

test('property: canonical JSON is stable through a JSON round trip (seeded random values)', () => {
  const random = seededRandom(7);
  const value = (depth: number): unknown => {
    const pick = Math.floor(random() * (depth > 3 ? 4 : 6));
    switch (pick) {
      case 0:
        return Math.floor(random() * 2e9) - 1e9 + (random() < 0.3 ? random() : 0);
      case 1:
        return String.fromCodePoint(...Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * 0x2ffff)).filter((c) => c < 0xd800 || c > 0xdfff));
      case 2:
        return random() < 0.5;
      case 3:
        return null;
      case 4:
        return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [String.fromCharCode(97 + Math.floor(random() * 26)) + Math.floor(random() * 100), value(depth + 1)]));
    }
  };
  for (let i = 0; i < 2000; i++) {
    const v = value(0);
    const text = canonicalJson(v);
    assert.equal(canonicalJson(JSON.parse(text)), text);
  }
});

test('fuzz: mutated envelopes never throw and are never accepted with different content (seeded)', () => {
  const random = seededRandom(0x7a5c);
  const envelope = signTask(body(), serverKey.privateKey);
  const original = canonicalJson(envelope.task);
  const text = JSON.stringify(envelope);
  const alphabet = '{}[]":,0123456789abcdefABCDEF-_+/= \\nutrfls';
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    const chars = text.split('');
    const edits = 1 + Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) chars[Math.floor(random() * chars.length)] = alphabet[Math.floor(random() * alphabet.length)]!;
    let parsed: unknown;
    try {
      parsed = JSON.parse(chars.join(''));
    } catch {
      continue;
    }
    const verdict = verifyTask(parsed, options());
    if (verdict.ok) {
      accepted++;
      assert.equal(canonicalJson(verdict.task), original, `case ${i} accepted altered content`);
    }
  }
  // Unchanged positions (a replaced char equal to the original, whitespace) may verify; content changes never do.
  assert.ok(accepted < 500, `${accepted} mutations accepted`);
});

test('key rotation: agents follow a chain signed by each old key, and refuse anything else', () => {
  const k1 = serverKey;
  const k2 = generateKeyPairSync('ed25519');
  const k3 = generateKeyPairSync('ed25519');
  const r12 = signKeyRotation(k1.privateKey, k2.publicKey, '2026-12-05T10:00:00.000Z');
  const r23 = signKeyRotation(k2.privateKey, k3.publicKey, '2026-12-05T11:00:00.000Z');
  const offer = { key_id: publicKeyId(k3.publicKey), public_key_pem: pem(k3.publicKey), rotations: [r12, r23] };
  const next = followRotations(pem(k1.publicKey), offer);
  assert.equal(next.keyId, offer.key_id);
  assert.equal(next.steps, 2);
  assert.equal(followRotations(pem(k2.publicKey), offer).steps, 1);
  // A key offered without a chain from the pin, or with a statement signed by another key, is refused.
  assert.throws(() => followRotations(pem(k1.publicKey), { ...offer, rotations: [r23] }), (e: unknown) => e instanceof VigilError && e.code === 'forbidden');
  const forged = signKeyRotation(otherKey.privateKey, k3.publicKey, '2026-12-05T10:00:00.000Z');
  forged.rotation.old_key_id = publicKeyId(k1.publicKey);
  assert.throws(() => followRotations(pem(k1.publicKey), { ...offer, rotations: [forged] }), /not validly signed/);
  const tampered = structuredClone(r12);
  tampered.rotation.new_public_key_pem = pem(otherKey.publicKey);
  tampered.rotation.new_key_id = publicKeyId(otherKey.publicKey);
  assert.throws(() => followRotations(pem(k1.publicKey), { key_id: publicKeyId(otherKey.publicKey), public_key_pem: pem(otherKey.publicKey), rotations: [tampered] }), /not validly signed/);
  // The offered key must match its id.
  assert.throws(() => followRotations(pem(k1.publicKey), { ...offer, public_key_pem: pem(k2.publicKey) }), /does not match/);
  assert.equal(publicKeyId(createPublicKey(k3.privateKey)), offer.key_id);
});

test('task reports are validated with located errors; fuzzed reports only ever fail with invalid_input', () => {
  const id = randomUUID();
  assert.equal(parseTaskReport({ host_id: AGENT, task_id: id, state: 'succeeded', outcome: { ok: true, summary: 'done', verified: true } }).state, 'succeeded');
  const located = (value: unknown, path: string) =>
    assert.throws(() => parseTaskReport(value), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input' && (e.location?.path === path || e.details.some((d) => d.location?.path === path)), path);
  located({ host_id: AGENT, task_id: id, state: 'succeeded' }, '$.outcome');
  located({ host_id: AGENT, task_id: 'x', state: 'running' }, '$.task_id');
  located({ host_id: AGENT, state: 'refused', refusal: { reason: 'bored', message: '' } }, '$.refusal.reason');
  located({ host_id: AGENT, task_id: id, state: 'failed' }, '$.error');
  located({ host_id: AGENT, task_id: id, state: 'progress', progress: { message: 'x', fraction: 2 } }, '$.progress.fraction');
  located({ host_id: AGENT, task_id: id, state: 'running', extra: true }, '$.extra');
  const random = seededRandom(99);
  const values = [null, 1, -1, 'x', '', [], {}, true, { ok: 1 }, 'running', id, 'x'.repeat(5000)];
  const keys = ['host_id', 'task_id', 'state', 'progress', 'outcome', 'error', 'refusal', 'duration_ms', 'other'];
  for (let i = 0; i < 3000; i++) {
    const report: Record<string, unknown> = {};
    for (const key of keys) if (random() < 0.5) report[key] = values[Math.floor(random() * values.length)];
    try {
      parseTaskReport(report);
    } catch (error) {
      assert.ok(error instanceof VigilError && error.code === 'invalid_input', String(error));
    }
  }
});

test('an envelope survives JSON transport byte-exactly in meaning (verification does not depend on key order)', () => {
  const envelope: SignedTask = signTask(body(), serverKey.privateKey);
  const reordered = JSON.parse(JSON.stringify({ signature: envelope.signature, task: Object.fromEntries(Object.entries(envelope.task).reverse()), key_id: envelope.key_id }));
  assert.ok(verifyTask(reordered, options()).ok);
});

test('fuzz: poll requests, poll replies and key offers only ever fail with invalid_input (seeded)', async () => {
  const { parsePollRequest, parsePollReply, parseKeyOffer } = await import('./task.js');
  const random = seededRandom(2026);
  const values = [null, 0, -1, 25, 26, 1.5, 'x', '', [], {}, true, [randomUUID()], ['nope'], 'a'.repeat(300), { key_id: 'ab' }];
  const keys = ['host_id', 'wait_s', 'running', 'tasks', 'task_signing_key', 'server_time', 'key_id', 'public_key_pem', 'rotations', 'extra'];
  for (let i = 0; i < 3000; i++) {
    const input: Record<string, unknown> = {};
    for (const key of keys) if (random() < 0.4) input[key] = values[Math.floor(random() * values.length)];
    for (const parse of [parsePollRequest, parsePollReply, parseKeyOffer] as ((v: unknown) => unknown)[]) {
      try {
        parse(random() < 0.05 ? values[Math.floor(random() * values.length)] : input);
      } catch (error) {
        assert.ok(error instanceof VigilError && error.code === 'invalid_input' && error.location?.path !== undefined, String(error));
      }
    }
  }
  assert.equal(parsePollRequest({ host_id: AGENT, wait_s: 25, running: [randomUUID()] }).wait_s, 25);
  assert.throws(() => parsePollRequest({ host_id: AGENT, wait_s: 26 }), (e: unknown) => e instanceof VigilError && e.location?.path === '$.wait_s');
});
