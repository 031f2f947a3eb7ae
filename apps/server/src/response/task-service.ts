// The server side of the task channel: validates and signs tasks, keeps their states, holds agents' long-polls and
// answers them as soon as a task is queued, applies agents' reports, and audits every step. Signs only arguments
// that passed the action's schema; never lets a task skip its confirmation or approval.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { VigilError, createLogger } from '@vigil/common';
import {
  CANCEL_ACTION,
  actionCatalog,
  canonicalJson,
  taskLimits,
  type ActionRegistry,
  type ActionSpec,
  type ResponsePermission,
  type SignedTask,
  type TaskBody,
  type TaskKeyOffer,
  type TaskPollReply,
  type TaskPollRequest,
  type TaskReport,
} from '@vigil/response';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { AuditInput } from './audit-log.js';
import type { ResponseDb, TaskRow, TaskState } from './response-db.js';
import type { TaskSigner } from './signing-key.js';

/** Who asks: `label` is what the audit log and envelopes carry (`user:alice`, `token:soar`, `policy:isolate-c2`). */
export interface Actor {
  label: string;
  /** May this actor use an action needing `permission`? */
  can(permission: ResponsePermission): boolean;
}

export interface CreateTasksRequest {
  action: string;
  args?: Record<string, unknown>;
  hosts?: string[];
  host_tags?: string[];
  reason: string;
  expires_in_s?: number;
  /** From the first call's answer, for destructive actions. */
  confirmation_token?: string;
  /** Ask a second person (approvals:grant) to approve before the task is signed and queued. */
  require_approval?: boolean;
}

export interface TaskView {
  id: string;
  batch_id: string;
  host_id: string;
  action: string;
  args: Record<string, unknown>;
  reason: string;
  issued_by: string;
  policy_id: string | null;
  alert_id: string | null;
  state: TaskState;
  created_at: string;
  updated_at: string;
  expires_at: string;
  approval: { required: boolean; approved_by: string | null; approved_at: string | null; comment: string | null };
  queued_at: string | null;
  delivered_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  progress: { message: string; fraction?: number } | null;
  outcome: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  refusal: { reason: string; message: string } | null;
  cancel_requested_by: string | null;
  deliveries: number;
  envelope?: SignedTask | null;
}

export type CreateResult =
  | { status: 'created'; batch_id: string; tasks: TaskView[] }
  | { status: 'confirmation_required'; confirmation_token: string; expires_at: string; action: string; args: Record<string, unknown>; hosts: string[]; message: string };

/** Internal: a task a policy (or the API) wants queued after its checks. */
export interface EnqueueRequest {
  action: string;
  /** Already validated (defaults filled) by registry.validateArgs. */
  args: Record<string, unknown>;
  hosts: readonly string[];
  reason: string;
  issuedBy: string;
  /** Whoever a second approver must differ from. */
  requestedBy: string;
  policyId?: string;
  alertId?: string;
  needsApproval: boolean;
  ttlSeconds: number;
  approvalTimeoutSeconds?: number;
}

export interface ResponseService {
  readonly registry: ActionRegistry;
  keyOffer(): TaskKeyOffer;
  rotateKey(actor: Actor): TaskKeyOffer;
  createTasks(request: CreateTasksRequest, actor: Actor): CreateResult;
  enqueue(request: EnqueueRequest): { batchId: string; tasks: TaskView[] };
  listTasks(filter: { state?: TaskState; hostId?: string; action?: string; batchId?: string; policyId?: string; before?: string; limit?: number }): TaskView[];
  getTask(id: string): TaskView | undefined;
  cancelTask(id: string, actor: Actor): TaskView;
  redeliverTask(id: string, actor: Actor): TaskView;
  approveTask(id: string, actor: Actor, comment?: string): TaskView;
  rejectTask(id: string, actor: Actor, comment?: string): TaskView;
  /** Agent long-poll: resolves at once when something is pending, else when a task is queued or `waitSeconds` pass. */
  poll(agentId: string, request: TaskPollRequest, aborted: AbortSignal): Promise<TaskPollReply>;
  /** An agent's report about one of its tasks. */
  report(agentId: string, report: TaskReport): void;
  /** Marks due tasks expired or lost; runs every second on its own. */
  tick(): void;
  audit(entry: AuditInput): void;
  stateCounts(): Record<string, number>;
  close(): void;
}

const log = createLogger('server.response');
const MAX_HOSTS_PER_CALL = 1000;
const CONFIRMATION_TTL_MS = 5 * 60_000;
/** A delivered task the agent never confirmed is failed this long after its expiry. */
const LOST_GRACE_MS = 60_000;
/** A running task whose agent has not polled for this long is failed as `agent_offline` (a late result still counts). */
const OFFLINE_AFTER_MS = 120_000;

const json = <T>(text: string | null): T | null => (text ? (JSON.parse(text) as T) : null);

export function toView(row: TaskRow, withEnvelope = false): TaskView {
  return {
    id: row.id,
    batch_id: row.batch_id,
    host_id: row.agent_id,
    action: row.action,
    args: JSON.parse(row.args) as Record<string, unknown>,
    reason: row.reason,
    issued_by: row.issued_by,
    policy_id: row.policy_id,
    alert_id: row.alert_id,
    state: row.state,
    created_at: row.created_at,
    updated_at: row.updated_at,
    expires_at: row.expires_at,
    approval: { required: row.needs_approval === 1, approved_by: row.approved_by, approved_at: row.approved_at, comment: row.approval_comment },
    queued_at: row.queued_at,
    delivered_at: row.delivered_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    progress: json(row.progress),
    outcome: json(row.outcome),
    error: json(row.error),
    refusal: json(row.refusal),
    cancel_requested_by: row.cancel_requested_by,
    deliveries: row.deliveries,
    ...(withEnvelope ? { envelope: json<SignedTask>(row.envelope) } : {}),
  };
}

export function createResponseService(deps: { db: ResponseDb; signer: TaskSigner; controlPlane: ControlPlane; registry?: ActionRegistry; tickMs?: number }): ResponseService {
  const { db, signer, controlPlane } = deps;
  const registry = deps.registry ?? actionCatalog();
  /** One held poll per agent; `take: false` answers it empty (a newer poll of the same agent replaced it). */
  const waiters = new Map<string, (take: boolean) => void>();
  const lastPoll = new Map<string, number>();
  const startedAt = Date.now();
  let closing = false;

  const audit = (entry: AuditInput) => db.audit.append(entry);
  const wake = (agentId: string) => waiters.get(agentId)?.(true);

  function sign(row: Pick<TaskRow, 'id' | 'agent_id' | 'action' | 'args' | 'issued_by' | 'reason' | 'ttl_s'>, nowMs: number): { envelope: SignedTask; expiresAt: string } {
    const body: TaskBody = {
      task_id: row.id,
      agent_id: row.agent_id,
      action: row.action,
      args: JSON.parse(row.args) as Record<string, unknown>,
      issued_at: new Date(nowMs).toISOString(),
      expires_at: new Date(nowMs + row.ttl_s * 1000).toISOString(),
      nonce: randomBytes(18).toString('base64url'),
      issued_by: row.issued_by,
      reason: row.reason,
    };
    return { envelope: signer.sign(body), expiresAt: body.expires_at };
  }

  function resolveHosts(request: Pick<CreateTasksRequest, 'hosts' | 'host_tags'>): string[] {
    const ids = new Set<string>();
    (request.hosts ?? []).forEach((id, index) => {
      const agent = controlPlane.getAgent(id);
      if (!agent) throw new VigilError('not_found', `no host ${id}`, { location: { path: `hosts[${index}]` } });
      if (agent.revokedAt) throw new VigilError('conflict', `host ${id} is revoked`, { location: { path: `hosts[${index}]` } });
      ids.add(id);
    });
    if (request.host_tags?.length) {
      for (const id of db.hostsWithTags(request.host_tags)) {
        const agent = controlPlane.getAgent(id);
        if (agent && !agent.revokedAt) ids.add(id);
      }
    }
    if (!ids.size) throw new VigilError('invalid_input', request.host_tags?.length ? `no enrolled host has any of the tags ${request.host_tags.join(', ')}` : 'name the hosts (hosts) or host tags (host_tags) to run the task on', { location: { path: request.host_tags?.length ? 'host_tags' : 'hosts' } });
    if (ids.size > MAX_HOSTS_PER_CALL) throw new VigilError('invalid_input', `${ids.size} hosts selected; at most ${MAX_HOSTS_PER_CALL} per call`, { location: { path: 'hosts' } });
    return [...ids].sort();
  }

  function checkPlatforms(spec: ActionSpec, hosts: readonly string[]): void {
    for (const id of hosts) {
      const platform = (controlPlane.getAgent(id)?.lastHeartbeat?.os as { platform?: unknown } | undefined)?.platform;
      if (typeof platform === 'string' && !spec.platforms.includes(platform as NodeJS.Platform)) {
        throw new VigilError('invalid_input', `${spec.name} is not available on host ${id} (${platform}); it runs on ${spec.platforms.join(', ')}`, { location: { path: 'hosts' } });
      }
    }
  }

  function specFor(action: string): ActionSpec {
    const spec = registry.get(action);
    if (!spec) throw new VigilError('invalid_input', `unknown action ${JSON.stringify(action)}; GET /api/v1/response/actions lists them`, { location: { path: 'action' } });
    return spec;
  }

  function enqueue(request: EnqueueRequest): { batchId: string; tasks: TaskView[] } {
    const batchId = randomUUID();
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const rows: TaskRow[] = [];
    db.transaction(() => {
      for (const hostId of request.hosts) {
        const base = {
          id: randomUUID(),
          agent_id: hostId,
          action: request.action,
          args: canonicalJson(request.args),
          issued_by: request.issuedBy,
          reason: request.reason,
          ttl_s: request.ttlSeconds,
        };
        const signed = request.needsApproval ? undefined : sign(base, nowMs);
        const row: TaskRow = {
          ...base,
          batch_id: batchId,
          requested_by: request.requestedBy,
          policy_id: request.policyId ?? null,
          alert_id: request.alertId ?? null,
          state: request.needsApproval ? 'awaiting_approval' : 'queued',
          created_at: now,
          updated_at: now,
          expires_at: signed ? signed.expiresAt : new Date(nowMs + (request.approvalTimeoutSeconds ?? 3600) * 1000).toISOString(),
          envelope: signed ? JSON.stringify(signed.envelope) : null,
          needs_approval: request.needsApproval ? 1 : 0,
          approved_by: null,
          approved_at: null,
          approval_comment: null,
          queued_at: signed ? now : null,
          delivered_at: null,
          started_at: null,
          finished_at: null,
          progress: null,
          outcome: null,
          error: null,
          refusal: null,
          cancel_requested_by: null,
          cancel_envelope: null,
          cancel_sent: 0,
          redeliver: 0,
          deliveries: 0,
        };
        db.insertTask(row);
        rows.push(row);
      }
      audit({
        actor: request.issuedBy,
        event: 'task.create',
        outcome: request.needsApproval ? 'pending' : 'success',
        batchId,
        policyId: request.policyId ?? null,
        action: request.action,
        hosts: request.hosts,
        reason: request.reason,
        detail: {
          args: request.args,
          tasks: Object.fromEntries(rows.map((r) => [r.agent_id, r.id])),
          state: request.needsApproval ? 'awaiting_approval' : 'queued',
          ...(request.alertId ? { alert_id: request.alertId } : {}),
          ttl_s: request.ttlSeconds,
        },
      });
    });
    if (!request.needsApproval) for (const row of rows) wake(row.agent_id);
    log.info('tasks created', { action: request.action, hosts: request.hosts.length, by: request.issuedBy, state: request.needsApproval ? 'awaiting_approval' : 'queued' });
    return { batchId, tasks: rows.map((r) => toView(r)) };
  }

  function mustTask(id: string): TaskRow {
    const row = db.task(id);
    if (!row) throw new VigilError('not_found', `no task ${id}`);
    return row;
  }

  function finish(row: TaskRow, state: TaskState, change: Partial<TaskRow>, actor: string, auditDetail: Record<string, unknown>, from: readonly TaskState[]): boolean {
    const now = new Date().toISOString();
    const moved = db.transaction(() => {
      if (!db.updateTask(row.id, { state, finished_at: now, ...change }, from)) return false;
      audit({ actor, event: 'task.result', outcome: state === 'succeeded' ? 'success' : 'failure', taskId: row.id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [row.agent_id], reason: row.reason, detail: { state, ...auditDetail } });
      return true;
    });
    if (moved) log.info('task finished', { task: row.id, action: row.action, host: row.agent_id, state });
    return moved;
  }

  /** Pending envelopes of one agent, marked delivered in one transaction. */
  function take(agentId: string): unknown[] {
    const out: unknown[] = [];
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    db.transaction(() => {
      for (const row of db.pendingFor(agentId)) {
        if (row.cancel_envelope && row.cancel_sent === 0) {
          db.updateTask(row.id, { cancel_sent: 1 });
          out.push(JSON.parse(row.cancel_envelope));
          continue;
        }
        if (row.state === 'queued') {
          if (Date.parse(row.expires_at) <= nowMs) continue; // the tick marks it expired
          db.updateTask(row.id, { state: 'delivered', delivered_at: now, deliveries: row.deliveries + 1, redeliver: 0 }, ['queued']);
          audit({ actor: `agent:${agentId}`, event: 'task.delivered', outcome: 'success', taskId: row.id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [agentId], detail: { queued_to_delivered_ms: row.queued_at ? nowMs - Date.parse(row.queued_at) : null } });
          out.push(JSON.parse(row.envelope!));
        } else if (row.redeliver === 1 && row.envelope) {
          db.updateTask(row.id, { redeliver: 0, deliveries: row.deliveries + 1 });
          audit({ actor: `agent:${agentId}`, event: 'task.delivered', outcome: 'success', taskId: row.id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [agentId], detail: { redelivery: true } });
          out.push(JSON.parse(row.envelope));
        }
      }
    });
    return out;
  }

  /** Running tasks the agent no longer lists (it restarted while running them) are failed. */
  function reconcile(agentId: string, running: readonly string[] | undefined): void {
    if (!running) return;
    const known = new Set(running);
    for (const row of db.tasksInStates(['running'], agentId)) {
      if (known.has(row.id) || !row.started_at || Date.now() - Date.parse(row.started_at) < 5000) continue;
      finish(row, 'failed', { error: JSON.stringify({ code: 'lost', message: 'the agent no longer runs this task (it restarted while running it); the effect is unknown' }) }, `agent:${agentId}`, { error: 'lost' }, ['running']);
    }
  }

  const timer = setInterval(() => {
    try {
      service.tick();
    } catch (error) {
      log.error('response tick failed', { error: VigilError.wrap(error).message });
    }
  }, deps.tickMs ?? 1000);
  timer.unref();

  const service: ResponseService = {
    registry,
    keyOffer: () => signer.offer(),

    rotateKey(actor) {
      const previous = signer.keyId();
      const offer = signer.rotate();
      audit({ actor: actor.label, event: 'signing_key.rotate', outcome: 'success', detail: { from: previous, to: offer.key_id } });
      return offer;
    },

    createTasks(request, actor) {
      const spec = specFor(request.action);
      if (!actor.can(spec.permission)) throw new VigilError('forbidden', `${actor.label} lacks permission ${spec.permission}, which ${spec.name} needs`);
      const args = registry.validateArgs(spec.name, request.args ?? {});
      const hosts = resolveHosts(request);
      checkPlatforms(spec, hosts);
      const ttl = request.expires_in_s ?? 600;
      if (spec.destructive) {
        const fingerprint = createHash('sha256').update(canonicalJson({ actor: actor.label, action: spec.name, args, hosts, reason: request.reason, ttl, approval: Boolean(request.require_approval) })).digest('hex');
        if (!request.confirmation_token) {
          const token = `vgl_cnf_${randomBytes(24).toString('base64url')}`;
          const expiresAt = new Date(Date.now() + CONFIRMATION_TTL_MS).toISOString();
          db.transaction(() => {
            db.insertConfirmation(createHash('sha256').update(token).digest('hex'), actor.label, fingerprint, expiresAt);
            audit({ actor: actor.label, event: 'task.confirmation_requested', outcome: 'pending', action: spec.name, hosts, reason: request.reason, detail: { args } });
          });
          return {
            status: 'confirmation_required',
            confirmation_token: token,
            expires_at: expiresAt,
            action: spec.name,
            args,
            hosts,
            message: `${spec.title} on ${hosts.length} host(s) is destructive: repeat the same request with this confirmation_token within 5 minutes to run it`,
          };
        }
        const tokenHash = createHash('sha256').update(request.confirmation_token).digest('hex');
        const stored = db.confirmation(tokenHash);
        if (!stored || stored.principal !== actor.label) throw new VigilError('conflict', 'confirmation token is unknown or belongs to someone else', { location: { path: 'confirmation_token' } });
        if (stored.used_at) throw new VigilError('conflict', 'confirmation token was used already', { location: { path: 'confirmation_token' } });
        if (stored.expires_at <= new Date().toISOString()) throw new VigilError('conflict', 'confirmation token expired; send the request without it to get a new one', { location: { path: 'confirmation_token' } });
        if (stored.fingerprint !== fingerprint) throw new VigilError('conflict', 'the request differs from the one that was confirmed (action, arguments, hosts, reason or expiry)', { location: { path: 'confirmation_token' } });
        if (!db.useConfirmation(tokenHash)) throw new VigilError('conflict', 'confirmation token was used already', { location: { path: 'confirmation_token' } });
      } else if (request.confirmation_token) {
        throw new VigilError('invalid_input', `${spec.name} is not destructive and takes no confirmation_token`, { location: { path: 'confirmation_token' } });
      }
      const created = enqueue({ action: spec.name, args, hosts, reason: request.reason, issuedBy: actor.label, requestedBy: actor.label, needsApproval: Boolean(request.require_approval), ttlSeconds: ttl });
      return { status: 'created', batch_id: created.batchId, tasks: created.tasks };
    },

    enqueue(request) {
      const spec = specFor(request.action);
      for (const id of request.hosts) {
        const agent = controlPlane.getAgent(id);
        if (!agent || agent.revokedAt) throw new VigilError('conflict', `host ${id} is ${agent ? 'revoked' : 'not enrolled'}; no task created`);
      }
      checkPlatforms(spec, request.hosts);
      return enqueue(request);
    },

    listTasks: (filter) => db.listTasks({ ...filter, limit: Math.min(filter.limit ?? 100, 1000) }).map((row) => toView(row)),
    getTask: (id) => {
      const row = db.task(id);
      return row ? toView(row, true) : undefined;
    },

    cancelTask(id, actor) {
      const row = mustTask(id);
      const spec = registry.get(row.action);
      if (spec && !actor.can(spec.permission)) throw new VigilError('forbidden', `${actor.label} lacks permission ${spec.permission}, which cancelling ${row.action} needs`);
      if (row.state === 'queued' || row.state === 'awaiting_approval') {
        const moved = db.transaction(() => {
          if (!db.updateTask(id, { state: 'cancelled', finished_at: new Date().toISOString(), cancel_requested_by: actor.label }, [row.state])) return false;
          audit({ actor: actor.label, event: 'task.cancel', outcome: 'success', taskId: id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [row.agent_id], detail: { from: row.state } });
          return true;
        });
        if (moved) return toView(mustTask(id));
        return service.cancelTask(id, actor); // it moved on meanwhile (delivered): cancel it on the agent
      }
      if (row.state === 'delivered' || row.state === 'running') {
        if (row.cancel_requested_by) return toView(row);
        const nowMs = Date.now();
        const cancel = sign({ id: randomUUID(), agent_id: row.agent_id, action: CANCEL_ACTION, args: canonicalJson({ task_id: id }), issued_by: actor.label, reason: `cancel task ${id}`, ttl_s: 600 }, nowMs);
        db.transaction(() => {
          db.updateTask(id, { cancel_requested_by: actor.label, cancel_envelope: JSON.stringify(cancel.envelope), cancel_sent: 0 });
          audit({ actor: actor.label, event: 'task.cancel', outcome: 'pending', taskId: id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [row.agent_id], detail: { from: row.state, cancel_task_id: cancel.envelope.task.task_id } });
        });
        wake(row.agent_id);
        return toView(mustTask(id));
      }
      throw new VigilError('conflict', `task ${id} is ${row.state}; only queued, awaiting_approval, delivered and running tasks can be cancelled`);
    },

    redeliverTask(id, actor) {
      const row = mustTask(id);
      const spec = registry.get(row.action);
      if (spec && !actor.can(spec.permission)) throw new VigilError('forbidden', `${actor.label} lacks permission ${spec.permission}, which ${row.action} needs`);
      if (!row.envelope || !['delivered', 'running', 'succeeded', 'failed'].includes(row.state)) {
        throw new VigilError('conflict', `task ${id} is ${row.state}; only a task that was delivered can be redelivered`);
      }
      db.transaction(() => {
        db.updateTask(id, { redeliver: 1 });
        audit({ actor: actor.label, event: 'task.redeliver', outcome: 'pending', taskId: id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [row.agent_id], detail: { state: row.state } });
      });
      wake(row.agent_id);
      return toView(mustTask(id));
    },

    approveTask(id, actor, comment) {
      const row = mustTask(id);
      if (row.state !== 'awaiting_approval') throw new VigilError('conflict', `task ${id} is ${row.state}, not awaiting_approval`);
      if (actor.label === row.requested_by || actor.label === row.issued_by) throw new VigilError('forbidden', `a second person must approve: ${actor.label} requested this task`);
      const spec = registry.get(row.action);
      if (spec && !actor.can(spec.permission)) throw new VigilError('forbidden', `${actor.label} lacks permission ${spec.permission}, which ${row.action} needs`);
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      const signed = sign(row, nowMs);
      const moved = db.transaction(() => {
        const change = { state: 'queued' as const, approved_by: actor.label, approved_at: now, approval_comment: comment ?? null, envelope: JSON.stringify(signed.envelope), expires_at: signed.expiresAt, queued_at: now };
        if (!db.updateTask(id, change, ['awaiting_approval'])) return false;
        audit({ actor: actor.label, event: 'task.approve', outcome: 'success', taskId: id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [row.agent_id], reason: comment ?? null, detail: { requested_by: row.requested_by } });
        return true;
      });
      if (!moved) throw new VigilError('conflict', `task ${id} changed state meanwhile`);
      wake(row.agent_id);
      return toView(mustTask(id));
    },

    rejectTask(id, actor, comment) {
      const row = mustTask(id);
      if (row.state !== 'awaiting_approval') throw new VigilError('conflict', `task ${id} is ${row.state}, not awaiting_approval`);
      const moved = db.transaction(() => {
        if (!db.updateTask(id, { state: 'cancelled', finished_at: new Date().toISOString(), approved_by: null, approval_comment: comment ?? null, cancel_requested_by: actor.label }, ['awaiting_approval'])) return false;
        audit({ actor: actor.label, event: 'task.reject', outcome: 'success', taskId: id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [row.agent_id], reason: comment ?? null, detail: { requested_by: row.requested_by } });
        return true;
      });
      if (!moved) throw new VigilError('conflict', `task ${id} changed state meanwhile`);
      return toView(mustTask(id));
    },

    async poll(agentId, request, aborted) {
      lastPoll.set(agentId, Date.now());
      reconcile(agentId, request.running);
      const reply = (tasks: unknown[]): TaskPollReply => ({ tasks, task_signing_key: signer.offer(), server_time: new Date().toISOString() });
      let tasks = take(agentId);
      const wait = Math.min(request.wait_s ?? taskLimits.pollWaitSeconds, taskLimits.pollWaitSeconds);
      if (tasks.length || wait === 0 || closing || aborted.aborted) return reply(tasks);
      waiters.get(agentId)?.(false);
      const takeNow = await new Promise<boolean>((resolve) => {
        let done = false;
        const finishWait = (value: boolean) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          aborted.removeEventListener('abort', onAbort);
          if (waiters.get(agentId) === finishWait) waiters.delete(agentId);
          resolve(value);
        };
        const onAbort = () => finishWait(false);
        const timer = setTimeout(() => finishWait(true), wait * 1000);
        aborted.addEventListener('abort', onAbort, { once: true });
        waiters.set(agentId, finishWait);
      });
      lastPoll.set(agentId, Date.now());
      tasks = takeNow && !aborted.aborted && !closing ? take(agentId) : [];
      return reply(tasks);
    },

    report(agentId, report) {
      lastPoll.set(agentId, Date.now());
      const actor = `agent:${agentId}`;
      if (!report.task_id) {
        audit({ actor, event: 'task.refused', outcome: 'refused', hosts: [agentId], reason: report.refusal?.message ?? null, detail: { reason: report.refusal?.reason ?? null, task_id: null } });
        return;
      }
      const row = db.task(report.task_id);
      if (!row || row.agent_id !== agentId) {
        // A refusal of an envelope this server never issued to this agent is still worth recording.
        if (report.state === 'refused') audit({ actor, event: 'task.refused', outcome: 'refused', hosts: [agentId], reason: report.refusal?.message ?? null, detail: { reason: report.refusal?.reason ?? null, task_id: report.task_id, known: Boolean(row) } });
        throw new VigilError(row ? 'forbidden' : 'not_found', row ? `task ${report.task_id} is not addressed to this agent` : `no task ${report.task_id}`);
      }
      const now = new Date().toISOString();
      switch (report.state) {
        case 'refused': {
          const refusal = report.refusal!;
          const moved = db.transaction(() => {
            const changed = db.updateTask(row.id, { state: 'failed', finished_at: now, refusal: JSON.stringify(refusal), error: JSON.stringify({ code: `refused:${refusal.reason}`, message: refusal.message }) }, ['delivered']);
            audit({ actor, event: 'task.refused', outcome: 'refused', taskId: row.id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [agentId], reason: refusal.message, detail: { reason: refusal.reason, state_before: row.state, task_failed: changed } });
            return changed;
          });
          log.warn('agent refused a task', { task: row.id, agent: agentId, reason: refusal.reason, failed: moved });
          return;
        }
        case 'running':
          db.transaction(() => {
            if (db.updateTask(row.id, { state: 'running', started_at: now }, ['delivered'])) {
              audit({ actor, event: 'task.running', outcome: 'pending', taskId: row.id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [agentId], detail: { queued_to_running_ms: row.queued_at ? Date.now() - Date.parse(row.queued_at) : null } });
            }
          });
          return;
        case 'progress':
          db.updateTask(row.id, { progress: JSON.stringify(report.progress) }, ['running']);
          return;
        case 'succeeded':
        case 'failed': {
          const cancelled = report.state === 'failed' && report.error?.code === 'cancelled' && row.cancel_requested_by !== null;
          const state: TaskState = cancelled ? 'cancelled' : report.state;
          const lateAfterLoss = row.state === 'failed' && ['lost', 'agent_offline'].includes(json<{ code: string }>(row.error)?.code ?? '');
          const from: TaskState[] = lateAfterLoss ? ['failed'] : ['delivered', 'running'];
          finish(
            row,
            state,
            { outcome: report.outcome ? JSON.stringify(report.outcome) : null, error: report.error ? JSON.stringify(report.error) : null, ...(row.started_at ? {} : { started_at: now }) },
            actor,
            {
              ...(report.outcome ? { ok: report.outcome.ok, verified: report.outcome.verified, summary: report.outcome.summary } : {}),
              ...(report.error ? { error: report.error } : {}),
              ...(report.duration_ms !== undefined ? { duration_ms: report.duration_ms } : {}),
              ...(lateAfterLoss ? { late: true } : {}),
            },
            from,
          );
          return;
        }
      }
    },

    tick() {
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      for (const row of db.dueTasks(now, new Date(nowMs - LOST_GRACE_MS).toISOString())) {
        if ((row.state === 'queued' || row.state === 'awaiting_approval') && Date.parse(row.expires_at) <= nowMs) {
          db.transaction(() => {
            if (!db.updateTask(row.id, { state: 'expired', finished_at: now }, [row.state])) return;
            audit({ actor: 'system', event: 'task.expired', outcome: 'failure', taskId: row.id, batchId: row.batch_id, policyId: row.policy_id, action: row.action, hosts: [row.agent_id], detail: { from: row.state, expires_at: row.expires_at } });
          });
        } else if (row.state === 'delivered' && Date.parse(row.expires_at) + LOST_GRACE_MS <= nowMs) {
          finish(row, 'failed', { error: JSON.stringify({ code: 'lost', message: 'delivered, but the agent never confirmed it before it expired' }) }, 'system', { error: 'lost' }, ['delivered']);
        } else if (row.state === 'running' && nowMs - startedAt > OFFLINE_AFTER_MS && nowMs - (lastPoll.get(row.agent_id) ?? 0) > OFFLINE_AFTER_MS) {
          finish(row, 'failed', { error: JSON.stringify({ code: 'agent_offline', message: `the agent has not polled for ${OFFLINE_AFTER_MS / 1000} s; a result that arrives later still counts` }) }, 'system', { error: 'agent_offline' }, ['running']);
        }
      }
    },

    audit: (entry) => void audit(entry),

    stateCounts() {
      const counts: Record<string, number> = {};
      for (const { state, count } of db.stateCounts()) counts[state] = count;
      return counts;
    },

    close() {
      closing = true;
      clearInterval(timer);
      for (const waiter of [...waiters.values()]) waiter(false);
      waiters.clear();
    },
  };
  return service;
}
