// REST routes of response: the action catalog, tasks (create with two-step confirmation, list, get, cancel, redeliver),
// approvals, global response policies, the append-only audit log with chain verification, host tags, the signing key.
// Every route declares its permission; creating or cancelling a task also needs the permission its action declares.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VigilError } from '@vigil/common';
import type { ControlPlane } from '../control-plane/sqlite.js';
import { hasPermission } from './access.js';
import { errorResponse } from './errors.js';
import type { Actor, CreateTasksRequest, ResponseService } from '../response/task-service.js';
import type { PolicyEngine, PolicyInput } from '../response/policies.js';
import { levels } from '../response/policies.js';
import { taskStates, type ResponseDb, type TaskState } from '../response/response-db.js';

export interface ResponseRouteDeps {
  controlPlane: ControlPlane;
  db: ResponseDb;
  service: ResponseService;
  policies: PolicyEngine;
}

/** The caller as the response service sees it: its audit label and its permissions. */
export function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal;
  if (!principal) throw new VigilError('unauthenticated', 'log in or send an API token');
  return {
    label: principal.kind === 'user' ? `user:${principal.name}` : principal.name,
    can: (permission) => hasPermission(principal, permission),
  };
}

// ---- schemas and examples (OpenAPI; answers are never reshaped by them) ----

const exampleTime = '2026-12-05T09:30:00.000Z';
const exampleHost = '1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f';
const exampleTask = '6d0e8f6a-2b1c-4d3e-9f8a-7b6c5d4e3f2a';
const exampleBatch = '0b7c2e94-5a1f-4f0e-8c3d-2e1f0a9b8c7d';
const examplePolicy = '9c8b7a6f-5e4d-4c3b-8a1f-0e9d8c7b6a5f';
const nullable = (schema: Record<string, unknown>) => ({ ...schema, type: [schema.type as string, 'null'] });
const isoDate = { type: 'string', format: 'date-time' };
const uuid = { type: 'string', format: 'uuid' };
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } };
const hostParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } };
const stringList = (max: number, item: Record<string, unknown> = { type: 'string', minLength: 1, maxLength: 200 }) => ({ type: 'array', maxItems: max, items: item });
const tag = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$' };

const actionSchema = {
  type: 'object',
  required: ['name', 'title', 'description', 'permission', 'verification', 'args', 'reversed_by', 'destructive', 'platforms', 'timeout_s'],
  properties: {
    name: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    permission: { type: 'string', enum: ['response:collect', 'response:contain', 'response:remediate', 'response:power'] },
    verification: { type: 'string', description: 'How the agent checks that the action took effect before it reports it verified' },
    args: { type: 'object', additionalProperties: true, description: 'JSON Schema of the arguments' },
    reversed_by: { type: ['string', 'null'] },
    destructive: { type: 'boolean', description: 'Needs a two-step confirmation (and, when a policy says so, a second person)' },
    platforms: { type: 'array', items: { type: 'string' } },
    timeout_s: { type: 'integer' },
  },
};
const examplePing = {
  name: 'agent.ping',
  title: 'Ping agent',
  description: 'Checks that the agent receives and runs tasks.',
  permission: 'response:collect',
  verification: 'By construction: the answer (host name, agent id, process id) comes from the running agent.',
  args: { type: 'object', additionalProperties: false, properties: { echo: { type: 'string', maxLength: 200 } } },
  reversed_by: null,
  destructive: false,
  platforms: ['linux', 'win32', 'darwin'],
  timeout_s: 10,
};

const taskSchema = {
  type: 'object',
  required: ['id', 'batch_id', 'host_id', 'action', 'args', 'reason', 'issued_by', 'policy_id', 'alert_id', 'state', 'created_at', 'updated_at', 'expires_at', 'approval', 'queued_at', 'delivered_at', 'started_at', 'finished_at', 'progress', 'outcome', 'error', 'refusal', 'cancel_requested_by', 'deliveries'],
  properties: {
    id: uuid,
    batch_id: { ...uuid, description: 'Tasks created by one call (one per host) share it' },
    host_id: { type: 'string' },
    action: { type: 'string' },
    args: { type: 'object', additionalProperties: true, description: 'As signed: with schema defaults filled in' },
    reason: { type: 'string' },
    issued_by: { type: 'string', description: 'user:<name>, token:<name> or policy:<name>' },
    policy_id: { type: ['string', 'null'] },
    alert_id: { type: ['string', 'null'] },
    state: { type: 'string', enum: taskStates },
    created_at: isoDate,
    updated_at: isoDate,
    expires_at: { ...isoDate, description: 'queued: the agent refuses to start it from then on; awaiting_approval: approval deadline' },
    approval: {
      type: 'object',
      required: ['required', 'approved_by', 'approved_at', 'comment'],
      properties: { required: { type: 'boolean' }, approved_by: { type: ['string', 'null'] }, approved_at: nullable(isoDate), comment: { type: ['string', 'null'] } },
    },
    queued_at: nullable(isoDate),
    delivered_at: nullable(isoDate),
    started_at: nullable(isoDate),
    finished_at: nullable(isoDate),
    progress: { type: ['object', 'null'], additionalProperties: true, properties: { message: { type: 'string' }, fraction: { type: 'number' } } },
    outcome: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'What the agent reported: ok, a summary, whether it verified the effect, details',
      properties: { ok: { type: 'boolean' }, summary: { type: 'string' }, verified: { type: 'boolean' }, details: { type: 'object', additionalProperties: true } },
    },
    error: { type: ['object', 'null'], additionalProperties: true, properties: { code: { type: 'string' }, message: { type: 'string' } } },
    refusal: { type: ['object', 'null'], additionalProperties: true, properties: { reason: { type: 'string' }, message: { type: 'string' } }, description: 'Why the agent refused the task (signature, expiry, replay, target, arguments)' },
    cancel_requested_by: { type: ['string', 'null'] },
    deliveries: { type: 'integer' },
    envelope: { type: ['object', 'null'], additionalProperties: true, description: 'The signed envelope sent to the agent (GET of one task only)' },
  },
};
const exampleTaskView = {
  id: exampleTask,
  batch_id: exampleBatch,
  host_id: exampleHost,
  action: 'agent.ping',
  args: { echo: 'hello' },
  reason: 'reachability check',
  issued_by: 'user:alice',
  policy_id: null,
  alert_id: null,
  state: 'succeeded',
  created_at: exampleTime,
  updated_at: exampleTime,
  expires_at: '2026-12-05T09:40:00.000Z',
  approval: { required: false, approved_by: null, approved_at: null, comment: null },
  queued_at: exampleTime,
  delivered_at: exampleTime,
  started_at: exampleTime,
  finished_at: exampleTime,
  progress: null,
  outcome: { ok: true, summary: 'agent answered', verified: true, details: { hostname: 'web-01', echo: 'hello' } },
  error: null,
  refusal: null,
  cancel_requested_by: null,
  deliveries: 1,
};

const createBody = {
  type: 'object',
  required: ['action', 'reason'],
  additionalProperties: false,
  properties: {
    action: { type: 'string', minLength: 1, maxLength: 100 },
    args: { type: 'object', additionalProperties: true, description: 'Checked against the action\'s schema (GET /api/v1/response/actions)' },
    hosts: stringList(1000, { type: 'string', minLength: 1, maxLength: 128 }),
    host_tags: stringList(100, tag),
    reason: { type: 'string', minLength: 1, maxLength: 2000, description: 'Why: recorded in the audit log and signed into the task' },
    expires_in_s: { type: 'integer', minimum: 10, maximum: 86400, default: 600, description: 'The agent refuses to start the task after this many seconds' },
    confirmation_token: { type: 'string', maxLength: 200, description: 'Destructive actions: the token the first call returned' },
    require_approval: { type: 'boolean', default: false, description: 'Hold the tasks until a second person with approvals:grant approves them' },
  },
  examples: [{ action: 'agent.ping', args: { echo: 'hello' }, hosts: [exampleHost], reason: 'reachability check' }],
};

const createdSchema = {
  description: 'Tasks created (queued, or awaiting_approval)',
  type: 'object',
  required: ['status', 'batch_id', 'tasks'],
  properties: { status: { type: 'string', enum: ['created'] }, batch_id: uuid, tasks: { type: 'array', items: taskSchema } },
  examples: [{ status: 'created', batch_id: exampleBatch, tasks: [{ ...exampleTaskView, state: 'queued', delivered_at: null, started_at: null, finished_at: null, outcome: null }] }],
};
const confirmationSchema = {
  description: 'The action is destructive: nothing was created. Repeat the same request with `confirmation_token` within 5 minutes.',
  type: 'object',
  required: ['status', 'confirmation_token', 'expires_at', 'action', 'args', 'hosts', 'message'],
  properties: {
    status: { type: 'string', enum: ['confirmation_required'] },
    confirmation_token: { type: 'string' },
    expires_at: isoDate,
    action: { type: 'string' },
    args: { type: 'object', additionalProperties: true },
    hosts: { type: 'array', items: { type: 'string' } },
    message: { type: 'string' },
  },
  examples: [
    {
      status: 'confirmation_required',
      confirmation_token: 'vgl_cnf_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      expires_at: exampleTime,
      action: 'host.shutdown',
      args: { delay_seconds: 5 },
      hosts: [exampleHost],
      message: 'Shut down host on 1 host(s) is destructive: repeat the same request with this confirmation_token within 5 minutes to run it',
    },
  ],
};

const commentBody = { type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 2000 } }, examples: [{ comment: 'checked with the host owner' }] };

const matchSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Alert criteria (all given ones must hold; any value of a list) and host scope',
  properties: {
    rule_ids: stringList(200),
    rule_names: stringList(200),
    tags: stringList(100),
    min_level: { type: 'string', enum: levels },
    host_ids: stringList(1000, { type: 'string', minLength: 1, maxLength: 128 }),
    host_tags: stringList(100, tag),
  },
};
const policyBody = {
  type: 'object',
  required: ['name', 'match', 'actions', 'blast_radius'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$' },
    description: { type: 'string', maxLength: 2000 },
    enabled: { type: 'boolean', default: true },
    dry_run: { type: 'boolean', default: false, description: 'Record in the audit log what the policy would do; run nothing' },
    match: matchSchema,
    actions: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['action'],
        properties: { action: { type: 'string', minLength: 1, maxLength: 100 }, args: { type: 'object', additionalProperties: true, default: {}, description: 'Values may template alert and event fields: "{{process.pid}}"' } },
      },
    },
    blast_radius: {
      type: 'object',
      additionalProperties: false,
      required: ['max_hosts', 'window_s'],
      description: 'At most max_hosts distinct hosts per window; the next host pauses the policy and raises an alert',
      properties: { max_hosts: { type: 'integer', minimum: 1, maximum: 100000 }, window_s: { type: 'integer', minimum: 1, maximum: 2592000 } },
    },
    approval: { type: 'string', enum: ['none', 'destructive', 'always'], default: 'none', description: 'Which of its tasks wait for a second person with approvals:grant' },
    task_ttl_s: { type: 'integer', minimum: 10, maximum: 86400, default: 600 },
    approval_timeout_s: { type: 'integer', minimum: 60, maximum: 604800, default: 3600 },
  },
  examples: [
    {
      name: 'ping-on-reverse-shell',
      description: 'Check the agent answers when a reverse shell is detected',
      dry_run: true,
      match: { tags: ['attack.execution'], min_level: 'high' },
      actions: [{ action: 'agent.ping', args: { echo: 'alert {{alert.id}} for pid {{process.pid}}' } }],
      blast_radius: { max_hosts: 5, window_s: 3600 },
    },
  ],
};
const policySchema = {
  type: 'object',
  required: ['id', 'name', 'description', 'enabled', 'dry_run', 'match', 'actions', 'blast_radius', 'approval', 'task_ttl_s', 'approval_timeout_s', 'paused', 'created_by', 'created_at', 'updated_by', 'updated_at'],
  properties: {
    id: uuid,
    name: { type: 'string' },
    description: { type: 'string' },
    enabled: { type: 'boolean' },
    dry_run: { type: 'boolean' },
    match: { type: 'object', additionalProperties: true },
    actions: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { action: { type: 'string' }, args: { type: 'object', additionalProperties: true } } } },
    blast_radius: {
      type: 'object',
      required: ['max_hosts', 'window_s', 'hosts_in_window'],
      properties: { max_hosts: { type: 'integer' }, window_s: { type: 'integer' }, hosts_in_window: { type: 'integer', description: 'Distinct hosts the policy fired on in the current window' } },
    },
    approval: { type: 'string', enum: ['none', 'destructive', 'always'] },
    task_ttl_s: { type: 'integer' },
    approval_timeout_s: { type: 'integer' },
    paused: { type: ['object', 'null'], additionalProperties: true, properties: { at: isoDate, reason: { type: 'string' } }, description: 'Set when the blast radius paused the policy; cleared by resume' },
    created_by: { type: 'string' },
    created_at: isoDate,
    updated_by: { type: 'string' },
    updated_at: isoDate,
  },
};
const examplePolicyView = {
  id: examplePolicy,
  ...policyBody.examples[0]!,
  enabled: true,
  blast_radius: { max_hosts: 5, window_s: 3600, hosts_in_window: 1 },
  approval: 'none',
  task_ttl_s: 600,
  approval_timeout_s: 3600,
  paused: null,
  created_by: 'user:admin',
  created_at: exampleTime,
  updated_by: 'user:admin',
  updated_at: exampleTime,
};

const auditEntrySchema = {
  type: 'object',
  required: ['seq', 'time', 'actor', 'event', 'outcome', 'task_id', 'batch_id', 'policy_id', 'action', 'hosts', 'reason', 'detail', 'prev_hash', 'hash'],
  properties: {
    seq: { type: 'integer' },
    time: isoDate,
    actor: { type: 'string', description: 'user:<name>, token:<name>, policy:<name>, agent:<id> or system' },
    event: { type: 'string', description: 'task.create, task.delivered, task.running, task.result, task.refused, task.cancel, task.approve, policy.fired, policy.dry_run, policy.paused ...' },
    outcome: { type: 'string', enum: ['success', 'failure', 'refused', 'dry_run', 'pending'] },
    task_id: { type: ['string', 'null'] },
    batch_id: { type: ['string', 'null'] },
    policy_id: { type: ['string', 'null'] },
    action: { type: ['string', 'null'] },
    hosts: { type: 'array', items: { type: 'string' } },
    reason: { type: ['string', 'null'] },
    detail: { type: ['object', 'null'], additionalProperties: true },
    prev_hash: { type: 'string' },
    hash: { type: 'string', description: 'HMAC-SHA256 over prev_hash and the entry' },
  },
};
const exampleAudit = {
  seq: 42,
  time: exampleTime,
  actor: 'user:alice',
  event: 'task.create',
  outcome: 'success',
  task_id: null,
  batch_id: exampleBatch,
  policy_id: null,
  action: 'agent.ping',
  hosts: [exampleHost],
  reason: 'reachability check',
  detail: { args: { echo: 'hello' }, state: 'queued' },
  prev_hash: '5d41402abc4b2a76b9719d911017c592ae5d0b8f0e6f1a2b3c4d5e6f7a8b9c0d',
  hash: '7c211433f02071597741e6ff5a8ea34789abbf43b1c2d3e4f5a6b7c8d9e0f1a2',
};

const keySchema = {
  description: 'The task-signing key agents pin',
  type: 'object',
  required: ['key_id', 'public_key_pem', 'rotations'],
  properties: { key_id: { type: 'string' }, public_key_pem: { type: 'string' }, rotations: { type: 'array', items: { type: 'object', additionalProperties: true } } },
  examples: [{ key_id: '3b8e4f2a9c1d7e6f5a4b3c2d1e0f9a8b', public_key_pem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA...\n-----END PUBLIC KEY-----\n', rotations: [] }],
};

const tasksQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: taskStates },
    host_id: { type: 'string', maxLength: 128 },
    action: { type: 'string', maxLength: 100 },
    batch_id: uuid,
    policy_id: uuid,
    before: { ...isoDate, description: 'Only tasks created before this time (paging: the last task\'s created_at)' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
};

const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    task_id: uuid,
    batch_id: uuid,
    policy_id: uuid,
    host_id: { type: 'string', maxLength: 128 },
    actor: { type: 'string', maxLength: 300 },
    event: { type: 'string', maxLength: 100 },
    action: { type: 'string', maxLength: 100 },
    since: isoDate,
    until: isoDate,
    before_seq: { type: 'integer', minimum: 1, description: 'Paging: entries older than this seq' },
    limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
  },
};

const tagsSchema = {
  description: 'The host\'s tags',
  type: 'object',
  required: ['host_id', 'tags'],
  properties: { host_id: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
  examples: [{ host_id: exampleHost, tags: ['prod', 'web'] }],
};

function policyInput(body: unknown): PolicyInput {
  const input = body as PolicyInput;
  return { ...input, actions: input.actions.map((a) => ({ action: a.action, args: a.args ?? {} })) };
}

export function registerResponseRoutes(app: FastifyInstance, deps: ResponseRouteDeps): void {
  const { service, policies, db, controlPlane } = deps;
  const tags = ['response'];

  app.get(
    '/api/v1/response/actions',
    {
      config: { permission: 'response:read' },
      schema: {
        tags,
        summary: 'The action catalog with argument schemas',
        description: 'Every response action the server can sign: its permission, how the agent verifies its effect, JSON Schema of its arguments, whether it is destructive (two-step confirmation), which action reverses it, platforms and timeout.',
        response: { 200: { description: 'Actions, by name', type: 'array', items: actionSchema, examples: [[examplePing]] } },
      },
    },
    async () =>
      service.registry.list().map((spec) => ({
        name: spec.name,
        title: spec.title,
        description: spec.description,
        permission: spec.permission,
        verification: spec.verification,
        args: spec.args,
        reversed_by: spec.reversedBy ?? null,
        destructive: spec.destructive,
        platforms: spec.platforms,
        timeout_s: spec.timeoutSeconds ?? 60,
      })),
  );

  app.post(
    '/api/v1/response/tasks',
    {
      config: { permission: 'response:collect' },
      schema: {
        tags,
        summary: 'Run an action on hosts (destructive actions: two steps)',
        description:
          'Validates the arguments against the action\'s schema, resolves the hosts (ids and/or host tags), signs one task per host and queues it; an online agent receives it within a second. The caller needs the permission the action declares. A destructive action first answers 202 with a confirmation token and creates nothing; the same request with that token creates the tasks. With require_approval the tasks wait for a second person.',
        body: createBody,
        response: {
          201: createdSchema,
          202: confirmationSchema,
          404: errorResponse(404, { code: 'not_found', message: 'no host 1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f' }),
          409: errorResponse(409, { code: 'conflict', message: 'the request differs from the one that was confirmed (action, arguments, hosts, reason or expiry)' }),
        },
      },
    },
    async (request, reply) => {
      const result = service.createTasks(request.body as CreateTasksRequest, actorOf(request));
      return reply.status(result.status === 'created' ? 201 : 202).send(result);
    },
  );

  app.get(
    '/api/v1/response/tasks',
    {
      config: { permission: 'response:read' },
      schema: { tags, summary: 'List tasks, newest first', description: 'Tasks with their state, result and approval, filtered by state, host, action, batch or policy.', querystring: tasksQuery, response: { 200: { description: 'Tasks', type: 'array', items: taskSchema, examples: [[exampleTaskView]] } } },
    },
    async (request) => {
      const q = request.query as { state?: TaskState; host_id?: string; action?: string; batch_id?: string; policy_id?: string; before?: string; limit?: number };
      return service.listTasks({ ...(q.state ? { state: q.state } : {}), ...(q.host_id ? { hostId: q.host_id } : {}), ...(q.action ? { action: q.action } : {}), ...(q.batch_id ? { batchId: q.batch_id } : {}), ...(q.policy_id ? { policyId: q.policy_id } : {}), ...(q.before ? { before: q.before } : {}), limit: q.limit ?? 100 });
    },
  );

  app.get(
    '/api/v1/response/tasks/:id',
    {
      config: { permission: 'response:read' },
      schema: { tags, summary: 'One task with its signed envelope', description: 'A task\'s state, progress, outcome or refusal, and the signed envelope the agent received.', params: idParams, response: { 200: { description: 'The task', ...taskSchema, examples: [{ ...exampleTaskView, envelope: null }] } } },
    },
    async (request) => {
      const task = service.getTask((request.params as { id: string }).id);
      if (!task) throw new VigilError('not_found', `no task ${(request.params as { id: string }).id}`);
      return task;
    },
  );

  const taskAction = (path: string, summary: string, description: string, run: (id: string, request: FastifyRequest) => unknown, permission: 'response:collect' | 'approvals:grant', body?: Record<string, unknown>) =>
    app.post(
      path,
      {
        config: { permission },
        schema: {
          tags,
          summary,
          description,
          params: idParams,
          ...(body ? { body } : {}),
          response: { 200: { description: 'The task after the change', ...taskSchema, examples: [exampleTaskView] }, 409: errorResponse(409, { code: 'conflict', message: 'task is succeeded, not awaiting_approval' }) },
        },
      },
      async (request) => run((request.params as { id: string }).id, request),
    );

  taskAction(
    '/api/v1/response/tasks/:id/cancel',
    'Cancel a task',
    'A queued or awaiting task is cancelled at once; a delivered or running task is sent a signed cancellation and becomes cancelled when the agent aborts it. Needs the permission of the task\'s action.',
    (id, request) => service.cancelTask(id, actorOf(request)),
    'response:collect',
  );
  taskAction(
    '/api/v1/response/tasks/:id/redeliver',
    'Send a delivered task\'s envelope again',
    'For a delivery believed lost: the same signed envelope is sent again. An agent that received it before refuses it as replayed (reported and audited); it never runs a task twice.',
    (id, request) => service.redeliverTask(id, actorOf(request)),
    'response:collect',
  );
  taskAction(
    '/api/v1/response/tasks/:id/approve',
    'Approve a task awaiting approval (second person)',
    'Signs and queues a task in state awaiting_approval. The approver must be someone other than who requested it (for policy tasks: who last changed the policy) and must hold the action\'s permission.',
    (id, request) => service.approveTask(id, actorOf(request), (request.body as { comment?: string } | undefined)?.comment),
    'approvals:grant',
    commentBody,
  );
  taskAction(
    '/api/v1/response/tasks/:id/reject',
    'Reject a task awaiting approval',
    'Cancels a task in state awaiting_approval; the comment is kept with it and in the audit log.',
    (id, request) => service.rejectTask(id, actorOf(request), (request.body as { comment?: string } | undefined)?.comment),
    'approvals:grant',
    commentBody,
  );

  app.get(
    '/api/v1/response/approvals',
    {
      config: { permission: 'response:read' },
      schema: { tags, summary: 'Tasks awaiting approval', description: 'Every task waiting for a second person, oldest first.', response: { 200: { description: 'Tasks awaiting approval', type: 'array', items: taskSchema, examples: [[{ ...exampleTaskView, state: 'awaiting_approval', approval: { required: true, approved_by: null, approved_at: null, comment: null } }]] } } },
    },
    async () => service.listTasks({ state: 'awaiting_approval', limit: 1000 }).reverse(),
  );

  // ---- policies ----

  app.get(
    '/api/v1/response/policies',
    { config: { permission: 'response:read' }, schema: { tags, summary: 'List response policies', description: 'Every global response policy with its match, actions, blast radius (and hosts counted in the current window) and pause state.', response: { 200: { description: 'Policies', type: 'array', items: policySchema, examples: [[examplePolicyView]] } } } },
    async () => policies.list(),
  );
  app.post(
    '/api/v1/response/policies',
    {
      config: { permission: 'policies:manage' },
      schema: {
        tags,
        summary: 'Create a response policy',
        description: 'When a new alert matches (rule ids or names, tags, minimum level; scoped to hosts or host tags), the policy runs its actions on the alert\'s host. Arguments may template alert and event fields. The author must hold every action\'s permission.',
        body: policyBody,
        response: { 201: { description: 'Created', ...policySchema, examples: [examplePolicyView] }, 409: errorResponse(409, { code: 'conflict', message: 'a response policy named ping-on-reverse-shell exists already' }) },
      },
    },
    async (request, reply) => reply.status(201).send(policies.create(policyInput(request.body), actorOf(request))),
  );
  app.get(
    '/api/v1/response/policies/:id',
    { config: { permission: 'response:read' }, schema: { tags, summary: 'One response policy', description: 'A policy with its hosts counted in the current blast-radius window.', params: idParams, response: { 200: { description: 'The policy', ...policySchema, examples: [examplePolicyView] } } } },
    async (request) => {
      const policy = policies.get((request.params as { id: string }).id);
      if (!policy) throw new VigilError('not_found', `no response policy ${(request.params as { id: string }).id}`);
      return policy;
    },
  );
  app.put(
    '/api/v1/response/policies/:id',
    {
      config: { permission: 'policies:manage' },
      schema: { tags, summary: 'Replace a response policy', description: 'Replaces the policy\'s definition (a pause stays until resumed). Audited with before and after.', params: idParams, body: policyBody, response: { 200: { description: 'The policy', ...policySchema, examples: [examplePolicyView] }, 409: errorResponse(409) } },
    },
    async (request) => policies.update((request.params as { id: string }).id, policyInput(request.body), actorOf(request)),
  );
  app.delete(
    '/api/v1/response/policies/:id',
    { config: { permission: 'policies:manage' }, schema: { tags, summary: 'Delete a response policy', description: 'Deletes the policy; its tasks and audit entries stay.', params: idParams, response: { 200: { description: 'Deleted', type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } }, examples: [{ ok: true }] } } } },
    async (request) => {
      policies.remove((request.params as { id: string }).id, actorOf(request));
      return { ok: true };
    },
  );
  app.post(
    '/api/v1/response/policies/:id/resume',
    { config: { permission: 'policies:manage' }, schema: { tags, summary: 'Resume a paused policy', description: 'Clears a blast-radius pause and starts counting hosts afresh.', params: idParams, response: { 200: { description: 'The policy', ...policySchema, examples: [examplePolicyView] } } } },
    async (request) => policies.resume((request.params as { id: string }).id, actorOf(request)),
  );

  // ---- audit ----

  app.get(
    '/api/v1/response/audit',
    {
      config: { permission: 'response:read' },
      schema: { tags, summary: 'Response audit log, newest first', description: 'Append-only record of every task (who, when, why, what, which hosts), delivery, refusal, result, approval and policy decision, each chained to the previous by an HMAC.', querystring: auditQuery, response: { 200: { description: 'Entries', type: 'array', items: auditEntrySchema, examples: [[exampleAudit]] } } },
    },
    async (request) => {
      const q = request.query as { task_id?: string; batch_id?: string; policy_id?: string; host_id?: string; actor?: string; event?: string; action?: string; since?: string; until?: string; before_seq?: number; limit?: number };
      return db.audit.query({
        ...(q.task_id ? { taskId: q.task_id } : {}),
        ...(q.batch_id ? { batchId: q.batch_id } : {}),
        ...(q.policy_id ? { policyId: q.policy_id } : {}),
        ...(q.host_id ? { hostId: q.host_id } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.event ? { event: q.event } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.until ? { until: q.until } : {}),
        ...(q.before_seq ? { beforeSeq: q.before_seq } : {}),
        limit: q.limit ?? 200,
      });
    },
  );
  app.get(
    '/api/v1/response/audit/verify',
    {
      config: { permission: 'response:read' },
      schema: {
        tags,
        summary: 'Verify the audit log\'s hash chain',
        description: 'Recomputes every entry\'s HMAC and link: ok is false, with the first broken entry, when a row was altered, inserted or removed.',
        response: {
          200: {
            description: 'Verdict',
            type: 'object',
            required: ['ok', 'entries', 'head_seq', 'head_hash', 'broken'],
            properties: { ok: { type: 'boolean' }, entries: { type: 'integer' }, head_seq: { type: 'integer' }, head_hash: { type: 'string' }, broken: { type: ['object', 'null'], additionalProperties: true, properties: { seq: { type: 'integer' }, problem: { type: 'string' } } } },
            examples: [{ ok: false, entries: 41, head_seq: 41, head_hash: exampleAudit.prev_hash, broken: { seq: 42, problem: 'entry was altered: its hash does not match its content' } }],
          },
        },
      },
    },
    async () => db.audit.verify(),
  );

  // ---- signing key ----

  app.get(
    '/api/v1/response/signing-key',
    { config: { permission: 'response:read' }, schema: { tags, summary: 'The task-signing public key', description: 'The Ed25519 public key agents pin (at enrollment and from heartbeats) and the chain of rotations since the first key.', response: { 200: keySchema } } },
    async () => service.keyOffer(),
  );
  app.post(
    '/api/v1/response/signing-key/rotate',
    {
      config: { permission: 'response:keys' },
      schema: { tags, summary: 'Rotate the task-signing key', description: 'Creates a new key; the old key signs a rotation statement that agents verify before they pin the new key. Tasks queued before are still valid (agents follow the rotation with their next poll or heartbeat).', response: { 200: keySchema } },
    },
    async (request) => service.rotateKey(actorOf(request)),
  );

  // ---- host tags (policy scope and task targets) ----

  app.get(
    '/api/v1/hosts/:id/tags',
    { config: { permission: 'hosts:read' }, schema: { tags: ['hosts'], summary: 'A host\'s tags', description: 'Tags group hosts for tasks (host_tags) and policy scope (match.host_tags).', params: hostParams, response: { 200: tagsSchema } } },
    async (request) => {
      const id = (request.params as { id: string }).id;
      if (!controlPlane.getAgent(id)) throw new VigilError('not_found', `no host ${id}`);
      return { host_id: id, tags: db.hostTags(id) };
    },
  );
  app.put(
    '/api/v1/hosts/:id/tags',
    {
      config: { permission: 'hosts:manage' },
      schema: {
        tags: ['hosts'],
        summary: 'Set a host\'s tags',
        description: 'Replaces the host\'s tags (audited in the response audit log).',
        params: hostParams,
        body: { type: 'object', required: ['tags'], additionalProperties: false, properties: { tags: { type: 'array', maxItems: 50, uniqueItems: true, items: tag } }, examples: [{ tags: ['prod', 'web'] }] },
        response: { 200: tagsSchema },
      },
    },
    async (request) => {
      const id = (request.params as { id: string }).id;
      if (!controlPlane.getAgent(id)) throw new VigilError('not_found', `no host ${id}`);
      const next = [...new Set((request.body as { tags: string[] }).tags)].sort();
      const before = db.hostTags(id);
      db.transaction(() => {
        db.setHostTags(id, next);
        service.audit({ actor: actorOf(request).label, event: 'host_tags.set', outcome: 'success', hosts: [id], detail: { before, after: next } });
      });
      return { host_id: id, tags: next };
    },
  );
}
