// REST routes of the exec blocklist (read with response:read, change with policies:manage, every change audited) and
// the agent listener's long-poll through which agents receive it. Never answers an agent with a policy for another.

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { blocklistLimits, blocklistPaths, type BlocklistPoll, type BlocklistPollReply } from '@vigil/protocol/blocklist';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { BlocklistStore, EntryInput } from '../response/blocklist.js';
import { errorResponse } from './errors.js';

export interface BlocklistRouteDeps {
  controlPlane: ControlPlane;
  blocklist: BlocklistStore;
}

const BASE = '/api/v1/blocklist';
const exampleTime = '2026-12-05T10:15:00.000Z';
const exampleEntry = {
  id: '0d4b9f5e-8c1a-4e55-9a37-2f1c6e7b9a10',
  kind: 'sha256',
  value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  description: 'coin miner dropped in incident 42',
  created_at: exampleTime,
  created_by: 'admin',
};
const kind = { type: 'string', enum: ['sha256', 'path', 'cmdline'], description: 'sha256 of the executable (or script) file; absolute path glob (`*` one segment, `**` any depth, `?`, `[abc]`); or a JavaScript regular expression tested against the command line' };
const entryInput = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'value'],
  properties: {
    kind,
    value: { type: 'string', minLength: 1, maxLength: blocklistLimits.maxPathLength, description: 'sha256: 64 hex characters; path: absolute glob; cmdline: regular expression without nested quantifiers that does not match an empty command line' },
    description: { type: 'string', maxLength: blocklistLimits.maxDescriptionLength },
  },
};
const entryRecord = {
  type: 'object',
  required: ['id', 'kind', 'value', 'description', 'created_at', 'created_by'],
  properties: { id: { type: 'string' }, kind, value: { type: 'string' }, description: { type: 'string' }, created_at: { type: 'string', format: 'date-time' }, created_by: { type: 'string' } },
};
const view = {
  type: 'object',
  required: ['version', 'updated_at', 'updated_by', 'entries'],
  properties: {
    version: { type: 'integer', minimum: 0, description: 'Increases with every change; agents report the version they enforce' },
    updated_at: { type: 'string', format: 'date-time' },
    updated_by: { type: 'string' },
    entries: { type: 'array', items: entryRecord },
  },
};
const exampleView = { version: 7, updated_at: exampleTime, updated_by: 'admin', entries: [exampleEntry, { ...exampleEntry, id: '6a1f0c3e-2b4d-4f7a-8e9c-1d2b3c4d5e6f', kind: 'path', value: '/dev/shm/**', description: 'nothing runs from shared memory' }] };
const hostState = {
  type: 'object',
  required: ['agent_id', 'applied_version', 'state', 'kernel_paths', 'userspace_entries', 'blocked', 'error', 'seen_at', 'current'],
  properties: {
    agent_id: { type: 'string' },
    applied_version: { type: 'integer', description: 'Version the agent enforces' },
    state: { type: 'string', enum: ['running', 'idle', 'failed'], description: 'running: enforcing; idle: empty list; failed: could not start the exec monitor (see error)' },
    kernel_paths: { type: 'integer', description: 'Exact paths killed in the kernel at exec, before they run' },
    userspace_entries: { type: 'integer', description: 'Entries checked in user space right after exec' },
    blocked: { type: 'integer', description: 'Processes stopped since the agent started' },
    error: { type: 'string', nullable: true },
    seen_at: { type: 'string', format: 'date-time', description: 'Last poll of the agent' },
    current: { type: 'boolean', description: 'Enforces the current version' },
  },
};

export function registerBlocklistRoutes(app: FastifyInstance, deps: BlocklistRouteDeps): void {
  const { controlPlane, blocklist } = deps;
  const actor = (request: { principal?: { name: string } }) => request.principal?.name ?? 'unknown';

  app.get(
    BASE,
    {
      config: { permission: 'response:read' },
      schema: {
        tags: ['response'],
        summary: 'The exec blocklist: hashes, path globs and command-line patterns agents block at exec',
        description: 'Every entry with its id, the version (increases on every change) and who changed it last. Agents receive each version within a second (long-poll) and report what they enforce (GET /api/v1/blocklist/hosts).',
        response: { 200: { description: 'The blocklist', ...view, examples: [exampleView] } },
      },
    },
    async () => blocklist.view(),
  );

  app.put(
    BASE,
    {
      config: { permission: 'policies:manage' },
      schema: {
        tags: ['response'],
        summary: 'Replace the whole exec blocklist',
        description: 'Sets every entry at once (entries that stay keep their id). With expected_version the change is refused (409) unless the list is still at that version, so two operators cannot overwrite each other.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['entries'],
          properties: { entries: { type: 'array', maxItems: blocklistLimits.maxEntries, items: entryInput }, expected_version: { type: 'integer', minimum: 0 } },
          examples: [{ entries: [{ kind: 'path', value: '/tmp/.x/**', description: 'hidden drop folder' }, { kind: 'cmdline', value: 'xmrig.*--donate-level', description: 'miner' }] }],
        },
        response: { 200: { description: 'The new blocklist', ...view, examples: [exampleView] }, 409: errorResponse(409, { code: 'conflict', message: 'the blocklist is at version 8, not 7; reload it and apply your change again' }) },
      },
    },
    async (request) => {
      const body = request.body as { entries: EntryInput[]; expected_version?: number };
      try {
        const result = blocklist.replace(body.entries, actor(request), body.expected_version);
        controlPlane.audit(actor(request), 'blocklist.replace', null, 'success', { version: result.version, entries: result.entries.length });
        return result;
      } catch (error) {
        controlPlane.audit(actor(request), 'blocklist.replace', null, 'failure', { error: VigilError.wrap(error).message });
        throw error;
      }
    },
  );

  app.post(
    `${BASE}/entries`,
    {
      config: { permission: 'policies:manage' },
      schema: {
        tags: ['response'],
        summary: 'Add one entry to the exec blocklist',
        description: 'Adds a sha256, path glob or command-line pattern; the answer carries the new version. Refused (409) when the same kind and value is already listed.',
        body: { ...entryInput, examples: [{ kind: 'sha256', value: exampleEntry.value, description: exampleEntry.description }] },
        response: {
          201: { description: 'The entry and the new version', type: 'object', required: ['entry', 'version'], properties: { entry: entryRecord, version: { type: 'integer' } }, examples: [{ entry: exampleEntry, version: 8 }] },
          409: errorResponse(409, { code: 'conflict', message: 'sha256 "e3b0…" is already listed' }),
        },
      },
    },
    async (request, reply) => {
      const result = blocklist.add(request.body as EntryInput, actor(request));
      controlPlane.audit(actor(request), 'blocklist.add', result.entry.id, 'success', { kind: result.entry.kind, value: result.entry.value, version: result.version });
      return reply.status(201).send(result);
    },
  );

  app.delete(
    `${BASE}/entries/:id`,
    {
      config: { permission: 'policies:manage' },
      schema: {
        tags: ['response'],
        summary: 'Remove one entry from the exec blocklist',
        description: 'Agents stop blocking it within a second; the answer carries the new version.',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
        response: { 200: { description: 'Removed', type: 'object', required: ['deleted', 'version'], properties: { deleted: { type: 'string' }, version: { type: 'integer' } }, examples: [{ deleted: exampleEntry.id, version: 9 }] } },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const result = blocklist.remove(id, actor(request));
      controlPlane.audit(actor(request), 'blocklist.remove', id, 'success', { kind: result.entry.kind, value: result.entry.value, version: result.version });
      return { deleted: id, version: result.version };
    },
  );

  app.get(
    `${BASE}/hosts`,
    {
      config: { permission: 'response:read' },
      schema: {
        tags: ['response'],
        summary: 'Which version of the exec blocklist each host enforces, and how',
        description: 'One row per agent that has polled the blocklist: the version it enforces, whether its exec monitor runs, how many entries it kills in the kernel and how many processes it stopped.',
        response: {
          200: {
            description: 'Enforcement per host',
            type: 'object',
            required: ['version', 'hosts'],
            properties: { version: { type: 'integer' }, hosts: { type: 'array', items: hostState } },
            examples: [{ version: 7, hosts: [{ agent_id: '5b0c1f7e-3d2a-4c8b-9e1f-7a6b5c4d3e2f', applied_version: 7, state: 'running', kernel_paths: 1, userspace_entries: 2, blocked: 3, error: null, seen_at: exampleTime, current: true }] }],
          },
        },
      },
    },
    async () => ({ version: blocklist.view().version, hosts: blocklist.hosts() }),
  );
}

function parsePoll(body: unknown, agentId: string): BlocklistPoll {
  if (!Buffer.isBuffer(body)) throw new VigilError('invalid_input', 'send the poll as application/json');
  if (body.length > 16 * 1024) throw new VigilError('payload_too_large', 'blocklist poll larger than 16 KiB');
  let poll: BlocklistPoll;
  try {
    poll = JSON.parse(body.toString('utf8')) as BlocklistPoll;
  } catch (error) {
    throw new VigilError('invalid_input', `blocklist poll is not valid JSON: ${(error as Error).message}`);
  }
  const fail = (message: string, path: string) => new VigilError('invalid_input', message, { location: { path } });
  if (typeof poll !== 'object' || poll === null) throw fail('poll must be an object', '$');
  if (poll.host_id !== agentId) throw fail('host_id must be the agent id', '$.host_id');
  if (!Number.isSafeInteger(poll.applied_version) || poll.applied_version < 0) throw fail('applied_version must be a non-negative integer', '$.applied_version');
  if (typeof poll.wait_s !== 'number' || !(poll.wait_s >= 0 && poll.wait_s <= blocklistLimits.maxWaitSeconds)) throw fail(`wait_s must be 0..${blocklistLimits.maxWaitSeconds}`, '$.wait_s');
  const status = poll.status;
  if (typeof status !== 'object' || status === null || !['running', 'idle', 'failed'].includes(status.state)) throw fail('status.state must be running, idle or failed', '$.status.state');
  for (const key of ['kernel_paths', 'userspace_entries', 'blocked'] as const) if (!Number.isSafeInteger(status[key]) || status[key] < 0) throw fail(`status.${key} must be a non-negative integer`, `$.status.${key}`);
  if (status.error !== undefined && (typeof status.error !== 'string' || status.error.length > 1000)) throw fail('status.error must be a string of at most 1000 characters', '$.status.error');
  return { host_id: poll.host_id, applied_version: poll.applied_version, wait_s: poll.wait_s, status: { state: status.state, kernel_paths: status.kernel_paths, userspace_entries: status.userspace_entries, blocked: status.blocked, ...(status.error !== undefined ? { error: status.error } : {}) } };
}

/**
 * The agent listener's long-poll (mutual TLS; the agent id comes from the client certificate, set by the agent
 * routes' onRequest hook). Answers at once when the agent's version differs, else when the list changes or after wait_s.
 */
export function registerBlocklistAgentRoutes(app: FastifyInstance, deps: { blocklist: BlocklistStore }): void {
  const { blocklist } = deps;
  app.addHook('preClose', (done) => {
    blocklist.wakeAll();
    done();
  });
  app.post(blocklistPaths.poll, async (request): Promise<BlocklistPollReply> => {
    const agentId = request.agentId;
    if (!agentId) throw new VigilError('unauthenticated', 'no agent identity');
    const poll = parsePoll(request.body, agentId);
    blocklist.recordPoll(agentId, poll);
    let version = blocklist.view().version;
    if (version === poll.applied_version) {
      // Stop holding the poll when the agent goes away (its socket closes), not only on a change or the timeout.
      const socket = request.raw.socket;
      let onClose: (() => void) | undefined;
      const closed = new Promise<void>((resolve) => socket.once('close', (onClose = resolve)));
      try {
        await Promise.race([blocklist.waitForChange(version, poll.wait_s * 1000), closed]);
      } finally {
        socket.off('close', onClose!);
      }
      version = blocklist.view().version;
    }
    return version === poll.applied_version ? { changed: false, version } : { changed: true, policy: blocklist.policy() };
  });
}
