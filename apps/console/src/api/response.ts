// Response API shapes (tasks, actions, policies, audit, blocklist, evidence) and the hooks pages share: the action
// catalog and the isolation state of hosts, derived from their latest finished isolate or release task.

import { useMemo } from 'react';
import { useResource } from './use-resource.js';
import { useSession } from '../session.js';
import { isolationFrom } from '../lib/isolation.js';
import type { JsonSchema } from '../lib/schema-args.js';

export type { JsonSchema } from '../lib/schema-args.js';
export type { IsolationState } from '../lib/isolation.js';

import type { TaskState } from '@vigil/server/response/response-db';
import type { TaskView } from '@vigil/server/response/task-service';
import type { AuditEntry } from '@vigil/server/response/audit-log';
export type { TaskState };
export { terminalStates } from '../lib/isolation.js';
export const taskStates: readonly TaskState[] = ['awaiting_approval', 'queued', 'delivered', 'running', 'succeeded', 'failed', 'expired', 'cancelled'];

export interface ResponseAction {
  name: string;
  title: string;
  description: string;
  permission: string;
  /** How the agent checks that the action took effect before it reports it verified. */
  verification: string;
  args: JsonSchema;
  reversed_by: string | null;
  destructive: boolean;
  platforms: string[];
  timeout_s: number;
}

/** A task as the API answers it (the server's own type, imported for its shape only). */
export type Task = TaskView;

export interface CreateTasksAnswer {
  status: 'created';
  batch_id: string;
  tasks: Task[];
}

export interface ConfirmationAnswer {
  status: 'confirmation_required';
  confirmation_token: string;
  expires_at: string;
  action: string;
  args: Record<string, unknown>;
  hosts: string[];
  message: string;
}

export interface Policy {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  dry_run: boolean;
  match: { rule_ids?: string[]; rule_names?: string[]; tags?: string[]; min_level?: string; host_ids?: string[]; host_tags?: string[] };
  actions: { action: string; args?: Record<string, unknown> }[];
  blast_radius: { max_hosts: number; window_s: number; hosts_in_window?: number };
  approval: 'none' | 'destructive' | 'always';
  task_ttl_s: number;
  approval_timeout_s: number;
  paused: { at?: string; reason?: string } | null;
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
}

export type ResponseAuditEntry = AuditEntry;

export interface Blocklist {
  version: number;
  updated_at: string;
  updated_by: string;
  entries: { id: string; kind: 'sha256' | 'path' | 'cmdline'; value: string; description: string; created_at: string; created_by: string }[];
}

export interface BlocklistHosts {
  version: number;
  hosts: { agent_id: string; applied_version: number; state: string; kernel_paths: number; userspace_entries: number; blocked: number; error: string | null; seen_at: string; current: boolean }[];
}

export interface Evidence {
  id: string;
  agent_id: string;
  task_id: string | null;
  source_path: string;
  sha256: string;
  size: number;
  received_at: string;
}

export const RESPONSE_TASKS = 'GET /api/v1/response/tasks';

/** The action catalog, when the server has a response API and the caller may read it. */
export function useActions() {
  const { can, hasRoute } = useSession();
  const allowed = can('response:read') && hasRoute('GET', '/api/v1/response/actions');
  const actions = useResource<ResponseAction[]>(allowed ? '/api/v1/response/actions' : null);
  return { ...actions, available: allowed };
}

/** Isolation of every host (or one), refreshed; empty when the response API is missing or not readable. */
export function useIsolation(hostId?: string, refreshMs = 5_000) {
  const { can, hasRoute } = useSession();
  const allowed = can('response:read') && hasRoute('GET', '/api/v1/response/tasks');
  const host = hostId ? `&host_id=${encodeURIComponent(hostId)}` : '';
  const isolate = useResource<Task[]>(allowed ? `/api/v1/response/tasks?action=host.isolate&limit=1000${host}` : null, { refreshMs });
  const release = useResource<Task[]>(allowed ? `/api/v1/response/tasks?action=host.release&limit=1000${host}` : null, { refreshMs });
  const map = useMemo(() => isolationFrom([...(isolate.data ?? []), ...(release.data ?? [])]), [isolate.data, release.data]);
  return { map, available: allowed, reload: () => (isolate.reload(), release.reload()) };
}
