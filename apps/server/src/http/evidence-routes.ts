// Evidence routes: the agent listener's upload (mutual TLS, streamed to disk, size and sha256 verified) and the API's
// list, metadata and download routes. Only a verified agent certificate can upload, only for its own collect task.

import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { evidenceUpload, type EvidenceUploadReceipt } from '@vigil/response/actions/collect';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { EvidenceRecord, EvidenceStore } from '../response/evidence.js';

/** What the upload route needs to know about the task an upload names (the response service's view of it). */
export interface EvidenceTaskLookup {
  (taskId: string): { host_id: string; action: string; state: string } | undefined;
}

export interface EvidenceAgentRouteDeps {
  evidence: EvidenceStore;
  /** When given, an upload must name a file.collect task of the uploading agent that is delivered or running. */
  taskOf?: EvidenceTaskLookup;
  /** Records every upload and refusal (the response audit log). */
  audit?: (entry: { actor: string; event: string; outcome: 'success' | 'failure'; taskId?: string | null; hosts?: readonly string[]; detail?: Record<string, unknown> }) => void;
}

export interface EvidenceApiRouteDeps {
  evidence: EvidenceStore;
  controlPlane: ControlPlane;
  audit?: EvidenceAgentRouteDeps['audit'];
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Registers POST /agent/v1/evidence on the agent listener, in its own scope (its body is a raw byte stream). */
export function registerEvidenceUploadRoute(agents: FastifyInstance, deps: EvidenceAgentRouteDeps): void {
  void agents.register(async (scope) => {
    // The body is handed over unread: the store streams it to disk and enforces the size itself.
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    scope.post(evidenceUpload.path, async (request): Promise<EvidenceUploadReceipt> => {
      const agentId = request.agentId;
      if (!agentId) throw new VigilError('unauthenticated', 'evidence uploads need a verified agent certificate');
      const declaredSha256 = header(request.headers[evidenceUpload.headers.sha256])?.toLowerCase();
      if (!declaredSha256 || !/^[0-9a-f]{64}$/.test(declaredSha256)) throw new VigilError('invalid_input', `header ${evidenceUpload.headers.sha256} must be the lower-case hex sha256 of the body`, { location: { path: `headers.${evidenceUpload.headers.sha256}` } });
      const lengthText = header(request.headers['content-length']);
      if (!lengthText || !/^\d{1,16}$/.test(lengthText)) throw new VigilError('invalid_input', 'send the file with a content-length (no chunked uploads)', { location: { path: 'headers.content-length' } });
      const declaredSize = Number(lengthText);
      const taskId = header(request.headers[evidenceUpload.headers.taskId]) ?? null;
      if (taskId !== null && !/^[A-Za-z0-9_.:-]{1,100}$/.test(taskId)) throw new VigilError('invalid_input', `header ${evidenceUpload.headers.taskId} is malformed`, { location: { path: `headers.${evidenceUpload.headers.taskId}` } });
      let sourcePath: string;
      try {
        sourcePath = decodeURIComponent(header(request.headers[evidenceUpload.headers.path]) ?? '');
      } catch {
        throw new VigilError('invalid_input', `header ${evidenceUpload.headers.path} is not percent-encoded`, { location: { path: `headers.${evidenceUpload.headers.path}` } });
      }
      if (!sourcePath.startsWith('/') || sourcePath.length > 4096 || sourcePath.includes('\0')) throw new VigilError('invalid_input', `header ${evidenceUpload.headers.path} must be the absolute path of the file on the endpoint`, { location: { path: `headers.${evidenceUpload.headers.path}` } });
      if (deps.taskOf) {
        const task = taskId === null ? undefined : deps.taskOf(taskId);
        if (!task || task.host_id !== agentId || task.action !== 'file.collect' || !['delivered', 'running'].includes(task.state)) {
          deps.audit?.({ actor: `agent:${agentId}`, event: 'evidence.upload', outcome: 'failure', taskId, hosts: [agentId], detail: { reason: 'no running file.collect task of this agent', source_path: sourcePath } });
          throw new VigilError('forbidden', `task ${String(taskId)} is not a running file.collect task of this agent`);
        }
      }
      try {
        const record = await deps.evidence.receive({ agentId, taskId, sourcePath, declaredSha256, declaredSize, body: request.body as Readable });
        deps.audit?.({ actor: `agent:${agentId}`, event: 'evidence.upload', outcome: 'success', taskId, hosts: [agentId], detail: { evidence_id: record.id, sha256: record.sha256, size: record.size, source_path: sourcePath } });
        return { id: record.id, sha256: record.sha256, size: record.size };
      } catch (error) {
        deps.audit?.({ actor: `agent:${agentId}`, event: 'evidence.upload', outcome: 'failure', taskId, hosts: [agentId], detail: { error: (error as Error).message, source_path: sourcePath, declared_sha256: declaredSha256, declared_size: declaredSize } });
        throw error;
      }
    });
  });
}

const exampleRecord: EvidenceRecord = {
  id: '5f0c6b1e-2a47-4c36-9d3e-8b1f7a2c9e40',
  agent_id: '0b7e3c1a-9d24-4f5b-8e61-2c4d8a9f1b73',
  task_id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  source_path: '/tmp/.x/payload.elf',
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  size: 18432,
  received_at: '2026-12-05T10:15:00.000Z',
};

const recordSchema = {
  type: 'object',
  required: ['id', 'agent_id', 'task_id', 'source_path', 'sha256', 'size', 'received_at'],
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Evidence record id (one per collection)' },
    agent_id: { type: 'string', description: 'Host the file came from' },
    task_id: { type: ['string', 'null'], description: 'The file.collect task that collected it' },
    source_path: { type: 'string', description: 'Path of the file on the endpoint' },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the content, verified by the server on upload' },
    size: { type: 'integer', minimum: 0 },
    received_at: { type: 'string', format: 'date-time' },
  },
};

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } };

/** Content-Disposition of a download: the endpoint file's base name, reduced to safe characters. */
export function dispositionFor(record: Pick<EvidenceRecord, 'source_path' | 'sha256'>): string {
  const name = basename(record.source_path).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || record.sha256;
  return `attachment; filename="${name}"`;
}

/** GET /api/v1/evidence, /api/v1/evidence/:id and /api/v1/evidence/:id/content on the API listener. */
export function registerEvidenceApiRoutes(app: FastifyInstance, deps: EvidenceApiRouteDeps): void {
  const { evidence } = deps;
  const find = (id: string): EvidenceRecord => {
    const record = evidence.get(id);
    if (!record) throw new VigilError('not_found', `no evidence ${id}`, { location: { path: 'params.id' } });
    return record;
  };

  app.get(
    '/api/v1/evidence',
    {
      config: { permission: 'response:read' },
      schema: {
        tags: ['response'],
        summary: 'List collected evidence',
        description: 'Files collected from endpoints by file.collect tasks, newest first. Each record names its host, task, original path, size and the sha256 the server verified on upload. Download the content with GET /api/v1/evidence/{id}/content (permission response:collect).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            host_id: { type: 'string', maxLength: 100, description: 'Only evidence from this host' },
            task_id: { type: 'string', maxLength: 100, description: 'Only evidence of this task' },
            sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'Only evidence with this content hash' },
            before: { type: 'string', format: 'date-time', description: 'Only evidence received before this time (paging: pass the last received_at)' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            description: 'Evidence records',
            type: 'object',
            required: ['evidence'],
            properties: { evidence: { type: 'array', items: recordSchema } },
            examples: [{ evidence: [exampleRecord] }],
          },
        },
      },
    },
    async (request) => {
      const query = request.query as { host_id?: string; task_id?: string; sha256?: string; before?: string; limit?: number };
      return {
        evidence: evidence.list({
          limit: query.limit ?? 100,
          ...(query.host_id !== undefined ? { agentId: query.host_id } : {}),
          ...(query.task_id !== undefined ? { taskId: query.task_id } : {}),
          ...(query.sha256 !== undefined ? { sha256: query.sha256 } : {}),
          ...(query.before !== undefined ? { before: query.before } : {}),
        }),
      };
    },
  );

  app.get(
    '/api/v1/evidence/:id',
    {
      config: { permission: 'response:read' },
      schema: {
        tags: ['response'],
        summary: 'One evidence record',
        description: 'The metadata of one collected file: host, task, original path, size and verified sha256.',
        params: idParams,
        response: { 200: { description: 'The evidence record', ...recordSchema, examples: [exampleRecord] } },
      },
    },
    async (request) => find((request.params as { id: string }).id),
  );

  app.get(
    '/api/v1/evidence/:id/content',
    {
      config: { permission: 'response:collect' },
      schema: {
        tags: ['response'],
        summary: 'Download collected evidence',
        description:
          'The collected file as it was on the endpoint, byte for byte (application/octet-stream). The x-vigil-sha256 header carries the sha256 the server verified on upload; compare it after downloading. Every download is written to the audit log.',
        params: idParams,
        response: {
          200: {
            description: 'The file content',
            headers: {
              'x-vigil-sha256': { type: 'string', description: 'SHA-256 of the content' },
              'content-disposition': { type: 'string', description: 'attachment; filename="<base name on the endpoint>"' },
            },
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary', example: '\u007fELF\u0002\u0001\u0001...' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const record = find((request.params as { id: string }).id);
      const stream = evidence.open(record);
      const actor = request.principal ? `${request.principal.kind === 'user' ? 'user' : 'token'}:${request.principal.name}` : 'unknown';
      // The response audit log when there is one (with the task's other entries), else the control plane's.
      if (deps.audit) deps.audit({ actor, event: 'evidence.download', outcome: 'success', taskId: record.task_id, hosts: [record.agent_id], detail: { evidence_id: record.id, sha256: record.sha256, source_path: record.source_path } });
      else deps.controlPlane.audit(request.principal?.name ?? 'unknown', 'evidence.download', record.id, 'success', { sha256: record.sha256, host_id: record.agent_id, source_path: record.source_path });
      return reply
        .type('application/octet-stream')
        .header('content-length', record.size)
        .header('x-vigil-sha256', record.sha256)
        .header('content-disposition', dispositionFor(record))
        .header('cache-control', 'no-store')
        .send(stream);
    },
  );
}
