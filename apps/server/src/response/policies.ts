// Global response policies: when a new alert matches a policy (rule, tags, level, host scope), create its actions as
// tasks (arguments may template alert and event fields), or only audit them in dry-run mode. A blast-radius limit
// pauses the policy and raises an alert instead of acting on more hosts than allowed. Never acts on a paused policy.

import { randomUUID } from 'node:crypto';
import { VigilError, createLogger } from '@vigil/common';
import type { ActionRegistry, ResponsePermission } from '@vigil/response';
import type { EventStore } from '@vigil/store';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { AlertRecord, DetectionDb } from '../detection/detection-db.js';
import type { PolicyRow, ResponseDb } from './response-db.js';
import type { Actor, ResponseService } from './task-service.js';

export const levels = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof levels)[number];
export type ApprovalMode = 'none' | 'destructive' | 'always';

export interface PolicyMatch {
  rule_ids?: string[];
  /** Rule titles (names), exact. */
  rule_names?: string[];
  /** The alert has at least one of these tags. */
  tags?: string[];
  min_level?: Level;
  /** Host scope: only these hosts ... */
  host_ids?: string[];
  /** ... or hosts with at least one of these tags (PUT /api/v1/hosts/{id}/tags). */
  host_tags?: string[];
}

export interface PolicyAction {
  action: string;
  /** Values may be templates: "{{process.pid}}" (the whole value keeps the field's type) or "kill {{process.name}}". */
  args: Record<string, unknown>;
}

export interface PolicyInput {
  name: string;
  description?: string;
  enabled?: boolean;
  dry_run?: boolean;
  match: PolicyMatch;
  actions: PolicyAction[];
  blast_radius: { max_hosts: number; window_s: number };
  /** `destructive`: tasks of destructive actions wait for a second person; `always`: every task does. */
  approval?: ApprovalMode;
  task_ttl_s?: number;
  approval_timeout_s?: number;
}

export interface PolicyView {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  dry_run: boolean;
  match: PolicyMatch;
  actions: PolicyAction[];
  blast_radius: { max_hosts: number; window_s: number; hosts_in_window: number };
  approval: ApprovalMode;
  task_ttl_s: number;
  approval_timeout_s: number;
  paused: { at: string; reason: string } | null;
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
}

export interface PolicyEngine {
  list(): PolicyView[];
  get(id: string): PolicyView | undefined;
  create(input: PolicyInput, actor: Actor): PolicyView;
  update(id: string, input: PolicyInput, actor: Actor): PolicyView;
  remove(id: string, actor: Actor): void;
  /** Clears a pause (blast radius) and forgets the hosts counted so far. */
  resume(id: string, actor: Actor): PolicyView;
  /** Subscribed to detection.onAlerts: queues the alerts; they are evaluated in order, off the caller's stack. */
  onAlerts(alerts: readonly AlertRecord[]): void;
  /** Resolves when every queued alert was evaluated. */
  idle(): Promise<void>;
  close(): void;
}

const log = createLogger('server.response.policies');
const TEMPLATE = /\{\{\s*([A-Za-z0-9_.@-]+)\s*\}\}/g;
const WHOLE_TEMPLATE = /^\{\{\s*([A-Za-z0-9_.@-]+)\s*\}\}$/;

function view(row: PolicyRow, hostsInWindow: number): PolicyView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    enabled: row.enabled === 1,
    dry_run: row.dry_run === 1,
    match: JSON.parse(row.match) as PolicyMatch,
    actions: JSON.parse(row.actions) as PolicyAction[],
    blast_radius: { max_hosts: row.max_hosts, window_s: row.window_s, hosts_in_window: hostsInWindow },
    approval: (['none', 'destructive', 'always'][row.require_approval] ?? 'none') as ApprovalMode,
    task_ttl_s: row.task_ttl_s,
    approval_timeout_s: row.approval_timeout_s,
    paused: row.paused_at ? { at: row.paused_at, reason: row.paused_reason ?? '' } : null,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_by: row.updated_by,
    updated_at: row.updated_at,
  };
}

/** Paths (`args.pid`) of argument values that contain a template. */
function templatedPaths(value: unknown, path: string, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.match(TEMPLATE)) out.push(path);
  } else if (Array.isArray(value)) value.forEach((item, i) => templatedPaths(item, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) templatedPaths(item, `${path}.${key}`, out);
  return out;
}

/** Field names the templates of `value` refer to (`{{process.pid}}` → `process.pid`). */
export function templateFields(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const match of value.matchAll(TEMPLATE)) out.add(match[1]!);
  else if (Array.isArray(value)) value.forEach((item) => templateFields(item, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((item) => templateFields(item, out));
  return out;
}

/** Replaces templates with values from `lookup`; a whole-value template keeps the value's type. Throws for a missing field. */
export function renderArgs(value: unknown, lookup: (field: string) => unknown, path = 'args'): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_TEMPLATE.exec(value);
    if (whole) {
      const found = lookup(whole[1]!);
      if (found === undefined || found === null) throw new VigilError('invalid_input', `${path}: the alert has no field ${whole[1]}`, { location: { path } });
      return found;
    }
    return value.replace(TEMPLATE, (_, field: string) => {
      const found = lookup(field);
      if (found === undefined || found === null) throw new VigilError('invalid_input', `${path}: the alert has no field ${field}`, { location: { path } });
      return typeof found === 'string' ? found : JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => renderArgs(item, lookup, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderArgs(item, lookup, `${path}.${key}`)]));
  return value;
}

/**
 * Whether `alert` fires a policy with this match: every given criterion holds (rule id, rule title, one of the tags,
 * at least the level) and, when the policy is scoped, the alert's host is listed or has one of the host tags.
 * An alert without a host never matches (there is nothing to act on).
 */
export function policyMatches(m: PolicyMatch, alert: Pick<AlertRecord, 'hostId' | 'ruleId' | 'ruleTitle' | 'tags' | 'level'>, hostTags: (hostId: string) => readonly string[]): boolean {
  if (!alert.hostId) return false;
  if (m.rule_ids?.length && !m.rule_ids.includes(alert.ruleId)) return false;
  if (m.rule_names?.length && !m.rule_names.includes(alert.ruleTitle)) return false;
  if (m.tags?.length && !alert.tags.some((tag) => m.tags!.includes(tag))) return false;
  if (m.min_level && levels.indexOf(alert.level as Level) < levels.indexOf(m.min_level)) return false;
  if (m.host_ids?.length || m.host_tags?.length) {
    const byId = m.host_ids?.includes(alert.hostId) ?? false;
    const byTag = m.host_tags?.length ? hostTags(alert.hostId).some((tag) => m.host_tags!.includes(tag)) : false;
    if (!byId && !byTag) return false;
  }
  return true;
}

/** Whether a policy's task of an action waits for a second person's approval. */
export const policyNeedsApproval = (mode: ApprovalMode, destructive: boolean): boolean => mode === 'always' || (mode === 'destructive' && destructive);

export function createPolicyEngine(deps: {
  db: ResponseDb;
  service: ResponseService;
  registry: ActionRegistry;
  store: EventStore;
  detectionDb: DetectionDb;
  controlPlane: ControlPlane;
  /** Alerts the engine raised itself (a policy paused by its blast radius), for exporters. */
  onAlertRaised?: (alerts: readonly AlertRecord[]) => void;
}): PolicyEngine {
  const { db, service, registry } = deps;
  let queue: Promise<void> = Promise.resolve();
  let closed = false;

  function hostsInWindow(row: PolicyRow): number {
    return db.policyHosts(row.id, Date.now() - row.window_s * 1000).length;
  }

  function mustPolicy(id: string): PolicyRow {
    const row = db.policy(id);
    if (!row) throw new VigilError('not_found', `no response policy ${id}`);
    return row;
  }

  /** Semantic checks the JSON schema cannot make: known actions, the author's permissions, arguments. */
  function check(input: PolicyInput, actor: Actor): void {
    const m = input.match;
    if (!m.rule_ids?.length && !m.rule_names?.length && !m.tags?.length && !m.min_level) {
      throw new VigilError('invalid_input', 'a policy must match alerts by at least one of rule_ids, rule_names, tags or min_level', { location: { path: 'match' } });
    }
    input.actions.forEach((entry, index) => {
      const spec = registry.get(entry.action);
      if (!spec) throw new VigilError('invalid_input', `unknown action ${JSON.stringify(entry.action)}`, { location: { path: `actions[${index}].action` } });
      if (!actor.can(spec.permission as ResponsePermission)) throw new VigilError('forbidden', `${actor.label} lacks permission ${spec.permission}, which ${spec.name} needs: a policy cannot grant more than its author holds`);
      const templated = templatedPaths(entry.args, 'args');
      try {
        registry.validateArgs(spec.name, entry.args);
      } catch (error) {
        const wrapped = VigilError.wrap(error);
        // Templated values are checked when the policy fires, with the alert's values in place.
        const problems = (wrapped.details.length ? wrapped.details : [{ message: wrapped.message, location: wrapped.location }]).filter(
          (d) => !templated.some((path) => d.location?.path === path || d.location?.path?.startsWith(`${path}.`) || d.location?.path?.startsWith(`${path}[`)),
        );
        if (problems.length) {
          throw new VigilError('invalid_input', `actions[${index}] ${problems[0]!.message}`, { location: { path: `actions[${index}].${problems[0]!.location?.path ?? 'args'}` }, details: problems });
        }
      }
    });
  }

  function toRow(input: PolicyInput, base: Pick<PolicyRow, 'id' | 'created_by' | 'created_at'>, actor: Actor): PolicyRow {
    const now = new Date().toISOString();
    return {
      ...base,
      name: input.name,
      description: input.description ?? '',
      enabled: input.enabled === false ? 0 : 1,
      dry_run: input.dry_run ? 1 : 0,
      match: JSON.stringify(input.match),
      actions: JSON.stringify(input.actions),
      max_hosts: input.blast_radius.max_hosts,
      window_s: input.blast_radius.window_s,
      require_approval: ['none', 'destructive', 'always'].indexOf(input.approval ?? 'none'),
      task_ttl_s: input.task_ttl_s ?? 600,
      approval_timeout_s: input.approval_timeout_s ?? 3600,
      paused_at: null,
      paused_reason: null,
      updated_by: actor.label,
      updated_at: now,
    };
  }

  const matches = (row: PolicyRow, alert: AlertRecord): boolean => policyMatches(JSON.parse(row.match) as PolicyMatch, alert, (hostId) => db.hostTags(hostId));

  /**
   * Template values for `alert`: its own fields, and the fields of its first event, which is read from the event store
   * only when a template of `actions` names a field the alert does not carry (the read costs time before acting).
   */
  async function lookupFor(alert: AlertRecord, actions: readonly PolicyAction[]): Promise<(field: string) => unknown> {
    const fixed: Record<string, unknown> = {
      'alert.id': alert.id,
      'alert.rule_id': alert.ruleId,
      'alert.rule_title': alert.ruleTitle,
      'alert.level': alert.level,
      'alert.kind': alert.kind,
      'host.id': alert.hostId,
    };
    for (const hit of alert.fields) if (!(hit.field in fixed)) fixed[hit.field] = hit.value;
    let event: Record<string, unknown> | undefined;
    const id = alert.eventIds[0];
    const needsEvent = [...templateFields(actions.map((entry) => entry.args))].some((field) => fixed[field] === undefined || fixed[field] === null);
    if (id && needsEvent) {
      try {
        event = (await deps.store.search({ sql: 'SELECT * FROM events WHERE "host.id" = $1 AND "event.id" = $2 LIMIT 1', params: [alert.hostId, id] }))[0];
      } catch (error) {
        log.warn('cannot read the alert event for policy templates', { alert: alert.id, error: VigilError.wrap(error).message });
      }
    }
    return (field) => fixed[field] ?? event?.[field] ?? undefined;
  }

  function pause(row: PolicyRow, alert: AlertRecord, hosts: number): void {
    const at = new Date().toISOString();
    const reason = `blast radius reached: ${hosts} host(s) in ${row.window_s} s (limit ${row.max_hosts}); host ${alert.hostId} not acted on`;
    db.transaction(() => {
      db.updatePolicy(row.id, { paused_at: at, paused_reason: reason });
      service.audit({ actor: `policy:${row.name}`, event: 'policy.paused', outcome: 'failure', policyId: row.id, hosts: [alert.hostId], reason, detail: { alert_id: alert.id, rule_id: alert.ruleId, hosts_in_window: hosts } });
    });
    log.warn('response policy paused', { policy: row.name, reason });
    try {
      const raised = deps.detectionDb.storeExternalAlert(
        {
          source: 'vigil-response',
          externalId: `policy-paused:${row.id}:${at}`,
          title: `Response policy "${row.name}" paused: blast radius reached`,
          level: 'high',
          description: reason,
          hostId: alert.hostId,
          time: at,
          tags: ['vigil.response', 'vigil.policy-paused'],
          fields: [
            { field: 'policy.id', value: row.id },
            { field: 'policy.name', value: row.name },
            { field: 'policy.max_hosts', value: row.max_hosts },
            { field: 'policy.window_s', value: row.window_s },
            { field: 'alert.id', value: alert.id },
          ],
        },
        () => null,
      );
      if (raised.created) deps.onAlertRaised?.([raised.alert]);
    } catch (error) {
      log.error('cannot raise the policy-paused alert', { policy: row.name, error: VigilError.wrap(error).message });
    }
  }

  async function evaluate(alert: AlertRecord): Promise<void> {
    for (const row of db.policies()) {
      if (closed) return;
      if (row.enabled !== 1 || row.paused_at || !matches(row, alert)) continue;
      const fresh = db.policy(row.id);
      if (!fresh || fresh.paused_at) continue;
      const hosts = db.policyHosts(row.id, Date.now() - row.window_s * 1000);
      if (!hosts.includes(alert.hostId) && hosts.length >= row.max_hosts) {
        pause(fresh, alert, hosts.length);
        continue;
      }
      db.recordPolicyHit(row.id, alert.hostId, alert.id, row.dry_run === 1);
      const actions = JSON.parse(row.actions) as PolicyAction[];
      const lookup = await lookupFor(alert, actions);
      const label = `policy:${row.name}`;
      for (const [index, entry] of actions.entries()) {
        try {
          const spec = registry.get(entry.action);
          if (!spec) throw new VigilError('invalid_input', `unknown action ${entry.action}`, { location: { path: `actions[${index}].action` } });
          const args = registry.validateArgs(spec.name, renderArgs(entry.args, lookup));
          const reason = `policy "${row.name}" on alert ${alert.id} (${alert.ruleTitle}, ${alert.level})`;
          if (row.dry_run === 1) {
            service.audit({ actor: label, event: 'policy.dry_run', outcome: 'dry_run', policyId: row.id, action: spec.name, hosts: [alert.hostId], reason, detail: { alert_id: alert.id, rule_id: alert.ruleId, args, would: 'create a task' } });
            continue;
          }
          const approval = (['none', 'destructive', 'always'][row.require_approval] ?? 'none') as ApprovalMode;
          const created = service.enqueue({
            action: spec.name,
            args,
            hosts: [alert.hostId],
            reason,
            issuedBy: label,
            requestedBy: row.updated_by,
            policyId: row.id,
            alertId: alert.id,
            needsApproval: policyNeedsApproval(approval, spec.destructive),
            ttlSeconds: row.task_ttl_s,
            approvalTimeoutSeconds: row.approval_timeout_s,
          });
          service.audit({ actor: label, event: 'policy.fired', outcome: 'success', policyId: row.id, batchId: created.batchId, action: spec.name, hosts: [alert.hostId], reason, detail: { alert_id: alert.id, rule_id: alert.ruleId, task_ids: created.tasks.map((t) => t.id), state: created.tasks[0]?.state ?? null } });
        } catch (error) {
          const wrapped = VigilError.wrap(error);
          service.audit({ actor: label, event: 'policy.error', outcome: 'failure', policyId: row.id, action: entry.action, hosts: [alert.hostId], reason: wrapped.message, detail: { alert_id: alert.id, rule_id: alert.ruleId, location: wrapped.location ?? null } });
          log.warn('response policy could not act', { policy: row.name, action: entry.action, error: wrapped.message });
        }
      }
    }
  }

  return {
    list: () => db.policies().map((row) => view(row, hostsInWindow(row))),
    get(id) {
      const row = db.policy(id);
      return row ? view(row, hostsInWindow(row)) : undefined;
    },
    create(input, actor) {
      check(input, actor);
      if (db.policyByName(input.name)) throw new VigilError('conflict', `a response policy named ${input.name} exists already`, { location: { path: 'name' } });
      const row = toRow(input, { id: randomUUID(), created_by: actor.label, created_at: new Date().toISOString() }, actor);
      db.transaction(() => {
        db.insertPolicy(row);
        service.audit({ actor: actor.label, event: 'policy.create', outcome: 'success', policyId: row.id, detail: { policy: view(row, 0) as unknown as Record<string, unknown> } });
      });
      return view(row, 0);
    },
    update(id, input, actor) {
      const existing = mustPolicy(id);
      check(input, actor);
      const other = db.policyByName(input.name);
      if (other && other.id !== id) throw new VigilError('conflict', `a response policy named ${input.name} exists already`, { location: { path: 'name' } });
      const row = toRow(input, { id, created_by: existing.created_by, created_at: existing.created_at }, actor);
      // An update keeps a pause: only resume clears it, so editing cannot silently re-arm a runaway policy.
      row.paused_at = existing.paused_at;
      row.paused_reason = existing.paused_reason;
      const { id: _id, created_by: _c, created_at: _a, ...change } = row;
      db.transaction(() => {
        db.updatePolicy(id, change);
        service.audit({ actor: actor.label, event: 'policy.update', outcome: 'success', policyId: id, detail: { before: view(existing, 0) as unknown as Record<string, unknown>, after: view(row, 0) as unknown as Record<string, unknown> } });
      });
      return view(row, hostsInWindow(row));
    },
    remove(id, actor) {
      const existing = mustPolicy(id);
      db.transaction(() => {
        db.deletePolicy(id);
        service.audit({ actor: actor.label, event: 'policy.delete', outcome: 'success', policyId: id, detail: { policy: view(existing, 0) as unknown as Record<string, unknown> } });
      });
    },
    resume(id, actor) {
      const existing = mustPolicy(id);
      db.transaction(() => {
        db.updatePolicy(id, { paused_at: null, paused_reason: null });
        db.file.statement('DELETE FROM policy_hits WHERE policy_id = ?').run(id);
        service.audit({ actor: actor.label, event: 'policy.resume', outcome: 'success', policyId: id, detail: { paused_at: existing.paused_at, paused_reason: existing.paused_reason } });
      });
      return view(mustPolicy(id), 0);
    },
    onAlerts(alerts) {
      if (closed || !alerts.length) return;
      const batch = [...alerts];
      queue = queue.then(async () => {
        for (const alert of batch) {
          try {
            await evaluate(alert);
          } catch (error) {
            log.error('response policy evaluation failed', { alert: alert.id, error: VigilError.wrap(error).message });
          }
        }
      });
    },
    idle: () => queue,
    close() {
      closed = true;
    },
  };
}
