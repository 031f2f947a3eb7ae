// The signed task envelope between server and agent: canonical JSON, Ed25519 signatures, key rotation statements and
// the wire shapes of the task channel. Verification never trusts an unverified field: a refusal always names why.

import { createHash, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { compile } from './internal/validate.js';
import type { ActionOutcome, ActionProgress } from './core.js';

/** Agent-listener routes of the task channel (mutual TLS). */
export const taskPaths = {
  /** Long-poll: held open until a task is queued for the agent or the wait ends. */
  poll: '/agent/v1/tasks/poll',
  /** Acceptance, progress, results and refusals. */
  result: '/agent/v1/tasks/result',
} as const;

export const taskLimits = {
  /** Longest a task may stay valid (expires_at - issued_at); bounds the agent's nonce store. */
  maxLifetimeSeconds: 86_400,
  /** Tolerated clock difference between server and agent when checking issued_at. */
  clockSkewSeconds: 60,
  /** Longest the server holds a poll open. */
  pollWaitSeconds: 25,
  /** Largest task result body an agent may post. */
  maxReportBytes: 1024 * 1024,
} as const;

/** The runner's own action: stops a running task (args `{ task_id }`). Signed like any task; not in the catalog. */
export const CANCEL_ACTION = 'task.cancel';

/** What the server signs. The field set is fixed: adding one is a protocol change. */
export interface TaskBody {
  task_id: string;
  agent_id: string;
  action: string;
  args: Record<string, unknown>;
  /** ISO 8601 UTC. */
  issued_at: string;
  /** ISO 8601 UTC; the agent refuses to start the task at or after this time. */
  expires_at: string;
  /** Random, unique per task; the agent refuses a nonce it has seen (replay). */
  nonce: string;
  /** `user:<name>`, `token:<name>` or `policy:<name>`. */
  issued_by: string;
  reason: string;
}

export interface SignedTask {
  task: TaskBody;
  /** Id of the signing key (see publicKeyId). */
  key_id: string;
  /** Base64 Ed25519 signature over TASK_DOMAIN + canonicalJson(task). */
  signature: string;
}

/** Why an agent refused a task; each is reported to the server, which audits it. */
export type RefusalReason =
  | 'unsigned' // no signature or key id
  | 'malformed' // not an envelope, or task fields of the wrong shape
  | 'no_key' // the agent has no pinned task-signing key yet
  | 'unknown_key' // signed with a key other than the pinned one
  | 'bad_signature' // the signature does not match: altered, or a forged key id
  | 'misaddressed' // for another agent
  | 'not_yet_valid' // issued in the future (beyond the clock skew)
  | 'expired'
  | 'replayed' // the nonce was seen before
  | 'unknown_action' // the action is not in this agent's catalog
  | 'invalid_args' // the arguments do not match the action's schema
  | 'unsupported'; // no handler for the action on this platform

export type TaskVerdict = { ok: true; task: TaskBody } | { ok: false; reason: RefusalReason; message: string; taskId?: string };

const TASK_DOMAIN = 'vigil-task-v1\n';
const ROTATION_DOMAIN = 'vigil-task-key-rotation-v1\n';

/**
 * Canonical JSON (RFC 8785 style): object keys sorted by UTF-16 code units, no whitespace, numbers in ECMAScript's
 * shortest form. Refuses what JSON cannot carry exactly (undefined, NaN, Infinity, functions, class instances).
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > 64) throw new VigilError('invalid_input', 'value nests deeper than 64 levels');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new VigilError('invalid_input', `${value} cannot be represented in JSON`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new VigilError('invalid_input', 'only plain objects can be signed');
      const entries = Object.keys(value).sort().map((key) => {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) throw new VigilError('invalid_input', `key ${JSON.stringify(key)} has no value`);
        return `${JSON.stringify(key)}:${canonicalJson(item, depth + 1)}`;
      });
      return `{${entries.join(',')}}`;
    }
    default:
      throw new VigilError('invalid_input', `a ${typeof value} cannot be represented in JSON`);
  }
}

function toKey(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') return key;
  try {
    return createPublicKey(key);
  } catch (error) {
    throw new VigilError('invalid_config', `task-signing public key is not a PEM public key: ${(error as Error).message}`);
  }
}

/** First 32 hex digits of the SHA-256 of the public key's SPKI DER. */
export function publicKeyId(publicKey: KeyObject | string): string {
  const key = toKey(publicKey);
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

function checkEd25519(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ed25519') throw new VigilError('invalid_config', `${what} must be an Ed25519 key, got ${String(key.asymmetricKeyType)}`);
}

// ---- shapes ----

const isoTime = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$';
export const actionNamePattern = '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$';

export const taskBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task_id', 'agent_id', 'action', 'args', 'issued_at', 'expires_at', 'nonce', 'issued_by', 'reason'],
  properties: {
    task_id: { type: 'string', format: 'uuid' },
    agent_id: { type: 'string', minLength: 1, maxLength: 128 },
    action: { type: 'string', maxLength: 100, pattern: actionNamePattern },
    args: { type: 'object' },
    issued_at: { type: 'string', pattern: isoTime },
    expires_at: { type: 'string', pattern: isoTime },
    nonce: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,64}$' },
    issued_by: { type: 'string', minLength: 1, maxLength: 200 },
    reason: { type: 'string', maxLength: 2000 },
  },
} as const;

export const signedTaskSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task', 'key_id', 'signature'],
  properties: {
    task: taskBodySchema,
    key_id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    signature: { type: 'string', pattern: '^[A-Za-z0-9+/]{86}==$' },
  },
} as const;

const checkTaskBody = compile<TaskBody>(taskBodySchema as unknown as Record<string, unknown>, 'task', 'task');

// ---- signing (server) ----

/** Signs `task` with the server's task-signing private key (Ed25519). Throws invalid_input for an invalid body. */
export function signTask(task: TaskBody, privateKey: KeyObject, keyId?: string): SignedTask {
  checkEd25519(privateKey, 'task-signing key');
  checkTaskBody(task);
  const canonical = canonicalJson(task);
  const signature = edSign(null, Buffer.from(TASK_DOMAIN + canonical), privateKey).toString('base64');
  return { task: JSON.parse(canonical) as TaskBody, key_id: keyId ?? publicKeyId(createPublicKey(privateKey)), signature };
}

// ---- verification (agent) ----

export interface VerifyOptions {
  /** The pinned task-signing public key; undefined when none is pinned yet (every task is refused: `no_key`). */
  publicKey: KeyObject | string | undefined;
  /** This agent's id. */
  agentId: string;
  /** Milliseconds since the epoch. */
  now: number;
  /** True when the nonce was seen before. The caller records accepted nonces. */
  seenNonce(nonce: string): boolean;
  clockSkewSeconds?: number;
}

function refuse(reason: RefusalReason, message: string, taskId?: unknown): TaskVerdict {
  return { ok: false, reason, message, ...(typeof taskId === 'string' && /^[0-9a-f-]{36}$/i.test(taskId) ? { taskId } : {}) };
}

/**
 * Checks, in this order: envelope shape, signature (pinned key id, then Ed25519 over the canonical task), target
 * agent, validity window, nonce. Never throws; a refusal names its reason and, when readable, the task id.
 */
export function verifyTask(envelope: unknown, options: VerifyOptions): TaskVerdict {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) return refuse('malformed', 'task envelope is not an object');
  const { task, key_id: keyId, signature } = envelope as Record<string, unknown>;
  const claimedId = typeof task === 'object' && task !== null ? (task as Record<string, unknown>).task_id : undefined;
  if (typeof task !== 'object' || task === null || Array.isArray(task)) return refuse('malformed', 'task envelope has no task object', claimedId);
  if (signature === undefined || signature === null || signature === '' || keyId === undefined || keyId === null || keyId === '') {
    return refuse('unsigned', 'task carries no signature or key id', claimedId);
  }
  if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(signature) || typeof keyId !== 'string') return refuse('malformed', 'signature or key id is not in the expected form', claimedId);
  for (const key of Object.keys(envelope)) if (key !== 'task' && key !== 'key_id' && key !== 'signature') return refuse('malformed', `unknown envelope field ${JSON.stringify(key.slice(0, 40))}`, claimedId);
  if (options.publicKey === undefined) return refuse('no_key', 'this agent has no pinned task-signing key yet (it is delivered at enrollment and with heartbeats)', claimedId);
  let publicKey: KeyObject;
  try {
    publicKey = toKey(options.publicKey);
    checkEd25519(publicKey, 'pinned task-signing key');
  } catch (error) {
    return refuse('no_key', VigilError.wrap(error).message, claimedId);
  }
  const pinnedId = publicKeyId(publicKey);
  if (keyId !== pinnedId) return refuse('unknown_key', `task is signed with key ${keyId.slice(0, 32)}, not the pinned key ${pinnedId}`, claimedId);
  let canonical: string;
  try {
    canonical = canonicalJson(task);
  } catch (error) {
    return refuse('malformed', VigilError.wrap(error).message, claimedId);
  }
  let valid = false;
  try {
    valid = edVerify(null, Buffer.from(TASK_DOMAIN + canonical), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return refuse('bad_signature', 'signature does not match the task: it was altered or signed by another key', claimedId);
  let body: TaskBody;
  try {
    body = checkTaskBody(task);
  } catch (error) {
    return refuse('malformed', VigilError.wrap(error).message, claimedId);
  }
  if (body.agent_id !== options.agentId) return refuse('misaddressed', `task is addressed to agent ${body.agent_id}, not to ${options.agentId}`, body.task_id);
  const issued = Date.parse(body.issued_at);
  const expires = Date.parse(body.expires_at);
  if (!Number.isFinite(issued) || !Number.isFinite(expires) || expires <= issued) return refuse('malformed', 'expires_at must be a valid time after issued_at', body.task_id);
  if (expires - issued > taskLimits.maxLifetimeSeconds * 1000) return refuse('malformed', `task is valid for longer than ${taskLimits.maxLifetimeSeconds} s`, body.task_id);
  const skew = (options.clockSkewSeconds ?? taskLimits.clockSkewSeconds) * 1000;
  if (issued - skew > options.now) return refuse('not_yet_valid', `task was issued at ${body.issued_at}, after this agent's clock (${new Date(options.now).toISOString()}) plus ${skew / 1000} s`, body.task_id);
  if (options.now >= expires) return refuse('expired', `task expired at ${body.expires_at}`, body.task_id);
  if (options.seenNonce(body.nonce)) return refuse('replayed', `task nonce ${body.nonce} was seen before: the task was already received`, body.task_id);
  return { ok: true, task: body };
}

// ---- key rotation ----

/** A statement, signed by the old key, that the new key replaces it. Agents follow a chain of these from their pin. */
export interface KeyRotation {
  type: 'vigil.task-key-rotation';
  old_key_id: string;
  new_key_id: string;
  new_public_key_pem: string;
  issued_at: string;
}

export interface SignedKeyRotation {
  rotation: KeyRotation;
  /** Base64 Ed25519 signature by the old key over ROTATION_DOMAIN + canonicalJson(rotation). */
  signature: string;
}

/** The task-signing key as the server delivers it (enrollment answer, heartbeat and poll replies). */
export interface TaskKeyOffer {
  key_id: string;
  public_key_pem: string;
  /** Every rotation since the first key, oldest first; an agent pinned to an older key follows them. */
  rotations: SignedKeyRotation[];
}

export function signKeyRotation(oldPrivateKey: KeyObject, newPublicKey: KeyObject, issuedAt: string): SignedKeyRotation {
  checkEd25519(oldPrivateKey, 'old task-signing key');
  checkEd25519(newPublicKey, 'new task-signing key');
  const rotation: KeyRotation = {
    type: 'vigil.task-key-rotation',
    old_key_id: publicKeyId(createPublicKey(oldPrivateKey)),
    new_key_id: publicKeyId(newPublicKey),
    new_public_key_pem: newPublicKey.export({ type: 'spki', format: 'pem' }).toString(),
    issued_at: issuedAt,
  };
  return { rotation, signature: edSign(null, Buffer.from(ROTATION_DOMAIN + canonicalJson(rotation)), oldPrivateKey).toString('base64') };
}

/**
 * Follows `offer.rotations` from the pinned key to the offered key, checking each statement's signature with the key
 * it replaces. Returns the PEM to pin next (the pinned one when the offer is the pinned key); throws `forbidden` when
 * the offered key is not reachable from the pin by validly signed rotations.
 */
export function followRotations(pinnedPem: string, offer: TaskKeyOffer): { pem: string; keyId: string; steps: number } {
  let currentKey = toKey(pinnedPem);
  let currentId = publicKeyId(currentKey);
  let pem = pinnedPem;
  let steps = 0;
  const chain = Array.isArray(offer.rotations) ? offer.rotations : [];
  for (let guard = 0; currentId !== offer.key_id && guard <= chain.length; guard++) {
    const next = chain.find((r) => r?.rotation?.old_key_id === currentId);
    if (!next) break;
    let ok = false;
    try {
      ok = next.rotation.type === 'vigil.task-key-rotation' && edVerify(null, Buffer.from(ROTATION_DOMAIN + canonicalJson(next.rotation)), currentKey, Buffer.from(String(next.signature), 'base64'));
    } catch {
      ok = false;
    }
    if (!ok) throw new VigilError('forbidden', `key rotation ${currentId} → ${String(next.rotation.new_key_id)} is not validly signed by the pinned key`);
    const nextKey = toKey(next.rotation.new_public_key_pem);
    if (publicKeyId(nextKey) !== next.rotation.new_key_id) throw new VigilError('forbidden', 'key rotation names a key id that does not match its key');
    currentKey = nextKey;
    currentId = next.rotation.new_key_id;
    pem = next.rotation.new_public_key_pem;
    steps++;
  }
  if (currentId !== offer.key_id) throw new VigilError('forbidden', `offered task-signing key ${String(offer.key_id)} is not reachable from the pinned key by signed rotations`);
  if (publicKeyId(toKey(offer.public_key_pem)) !== offer.key_id) throw new VigilError('forbidden', 'offered task-signing key does not match its key id');
  return { pem, keyId: currentId, steps };
}

// ---- wire messages of the task channel ----

export const keyOfferSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key_id', 'public_key_pem', 'rotations'],
  properties: {
    key_id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    public_key_pem: { type: 'string', maxLength: 1000 },
    rotations: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['rotation', 'signature'],
        properties: {
          rotation: {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'old_key_id', 'new_key_id', 'new_public_key_pem', 'issued_at'],
            properties: { type: { const: 'vigil.task-key-rotation' }, old_key_id: { type: 'string' }, new_key_id: { type: 'string' }, new_public_key_pem: { type: 'string', maxLength: 1000 }, issued_at: { type: 'string' } },
          },
          signature: { type: 'string', maxLength: 200 },
        },
      },
    },
  },
} as const;

export const parseKeyOffer = compile<TaskKeyOffer>(keyOfferSchema as unknown as Record<string, unknown>, 'task-signing key offer', 'task_signing_key');

export interface TaskPollRequest {
  host_id: string;
  /** Seconds the server may hold the poll (at most taskLimits.pollWaitSeconds); 0 answers at once. */
  wait_s?: number;
  /** Tasks the agent is running now (the server fails tasks it thinks are running that the agent does not know). */
  running?: string[];
}

export interface TaskPollReply {
  /** Signed envelopes (the agent verifies each; it never trusts this list). */
  tasks: unknown[];
  task_signing_key: TaskKeyOffer;
  server_time: string;
}

export const pollRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['host_id'],
  properties: {
    host_id: { type: 'string', minLength: 1, maxLength: 128 },
    wait_s: { type: 'integer', minimum: 0, maximum: taskLimits.pollWaitSeconds },
    running: { type: 'array', maxItems: 1000, items: { type: 'string', format: 'uuid' } },
  },
} as const;

export const parsePollRequest = compile<TaskPollRequest>(pollRequestSchema as unknown as Record<string, unknown>, 'task poll', '$');

export const pollReplySchema = {
  type: 'object',
  required: ['tasks', 'task_signing_key', 'server_time'],
  properties: { tasks: { type: 'array', maxItems: 1000 }, task_signing_key: { type: 'object' }, server_time: { type: 'string' } },
} as const;

export const parsePollReply = compile<TaskPollReply>(pollReplySchema as unknown as Record<string, unknown>, 'task poll reply', '$');

/** What the agent reports about a task. `refused` carries a refusal; `failed` an error; `succeeded` an outcome. */
export type TaskReportState = 'running' | 'progress' | 'succeeded' | 'failed' | 'refused';

export interface TaskReport {
  host_id: string;
  /** Absent only for a refused envelope whose task id could not be read. */
  task_id?: string;
  state: TaskReportState;
  progress?: ActionProgress;
  outcome?: ActionOutcome;
  error?: { code: string; message: string };
  refusal?: { reason: RefusalReason; message: string };
  /** Milliseconds the handler ran (succeeded and failed). */
  duration_ms?: number;
}

const refusalReasons: RefusalReason[] = ['unsigned', 'malformed', 'no_key', 'unknown_key', 'bad_signature', 'misaddressed', 'not_yet_valid', 'expired', 'replayed', 'unknown_action', 'invalid_args', 'unsupported'];

export const taskReportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['host_id', 'state'],
  properties: {
    host_id: { type: 'string', minLength: 1, maxLength: 128 },
    task_id: { type: 'string', format: 'uuid' },
    state: { enum: ['running', 'progress', 'succeeded', 'failed', 'refused'] },
    progress: {
      type: 'object',
      additionalProperties: false,
      required: ['message'],
      properties: { message: { type: 'string', maxLength: 2000 }, fraction: { type: 'number', minimum: 0, maximum: 1 } },
    },
    outcome: {
      type: 'object',
      additionalProperties: false,
      required: ['ok', 'summary', 'verified'],
      properties: { ok: { type: 'boolean' }, summary: { type: 'string', maxLength: 2000 }, verified: { type: 'boolean' }, details: { type: 'object' } },
    },
    error: { type: 'object', additionalProperties: false, required: ['code', 'message'], properties: { code: { type: 'string', maxLength: 64 }, message: { type: 'string', maxLength: 4000 } } },
    refusal: { type: 'object', additionalProperties: false, required: ['reason', 'message'], properties: { reason: { enum: refusalReasons }, message: { type: 'string', maxLength: 4000 } } },
    duration_ms: { type: 'number', minimum: 0 },
  },
  allOf: [
    { if: { properties: { state: { const: 'succeeded' } } }, then: { required: ['task_id', 'outcome'] } },
    { if: { properties: { state: { const: 'failed' } } }, then: { required: ['task_id', 'error'] } },
    { if: { properties: { state: { const: 'refused' } } }, then: { required: ['refusal'] } },
    { if: { properties: { state: { const: 'progress' } } }, then: { required: ['task_id', 'progress'] } },
    { if: { properties: { state: { const: 'running' } } }, then: { required: ['task_id'] } },
  ],
} as const;

export const parseTaskReport = compile<TaskReport>(taskReportSchema as unknown as Record<string, unknown>, 'task report', '$');
