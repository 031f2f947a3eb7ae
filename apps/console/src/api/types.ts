// Shapes of the REST API answers the console reads (see GET /api/v1/openapi.json); answers are never reshaped.
// Only what the console uses is typed; unknown extra properties are allowed everywhere. Answers the server sends as
// its own exported types are imported from it with `import type` (erased at build: no server code in the bundle).

import type { AlertRecord } from '@vigil/server/detection/detection-db';
import type { AgentIsolation } from '../lib/isolation.js';

export type { IngestCounters } from '@vigil/server/http/agent-routes';
export type { SavedHunt } from '@vigil/server/hunt/hunt-service';
export type { ProcessNode, ProcessTree, Storyline } from '@vigil/server/hunt/process-tree';
export type { AlertComment } from '@vigil/server/detection/alert-comments';
export type { IncidentView as Incident } from '@vigil/server/detection/incidents';
export type Alert = AlertRecord;

export type Role = 'admin' | 'analyst' | 'viewer' | 'integration' | (string & {});
export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const levels: readonly Level[] = ['critical', 'high', 'medium', 'low', 'informational'];
export type AlertStatus = 'new' | 'acknowledged' | 'in_progress' | 'resolved' | 'false_positive';
export const alertStatuses: readonly AlertStatus[] = ['new', 'acknowledged', 'in_progress', 'resolved', 'false_positive'];
/** Statuses that end triage; the others are open. */
export const closedStatuses: ReadonlySet<string> = new Set(['resolved', 'false_positive']);

/** GET /api/v1/auth/permissions: the role table, the caller's permissions and every route's permission. */
export interface PermissionsAnswer {
  roles: Record<string, string[]>;
  api_token_permissions: string[];
  you: { name: string; role: Role; permissions: string[] };
  routes: { method: string; url: string; permission: string | null }[];
}

export interface SessionInfo {
  name: string;
  role: Role;
  permissions: string[];
  /** `METHOD url` of every API route the server has (pages for APIs that do not exist stay hidden). */
  routes: Set<string>;
}

export interface LoginAnswer {
  token: string;
  expires_at: string;
  user: { username: string; role: Role };
}

export interface Host {
  id: string;
  hostname: string;
  state: 'online' | 'offline' | 'revoked' | (string & {});
  enrolled_at: string;
  last_seen: string | null;
  address: string | null;
  revoked_at: string | null;
  version: string | null;
  os: Record<string, string> | null;
  uptime_s: number | null;
  counters: Record<string, number> | null;
  /** Source name → its counters (lost, filtered, ...), as the agent's heartbeat sent them. */
  sources: Record<string, Record<string, number>> | Record<string, unknown>[] | null;
  isolated?: boolean | null;
  /** Network isolation as the agent checked it at its last heartbeat (null until an agent reports it). */
  isolation?: AgentIsolation | null;
  [extra: string]: unknown;
}

export type HuntEvent = Record<string, unknown>;

export interface EventPage {
  events: HuntEvent[];
  count: number;
  next_cursor: string | null;
}

export interface Rule {
  id: string;
  title: string;
  kind: 'detection' | 'correlation';
  level: string;
  status: string | null;
  tags: string[];
  pack: string;
  file: string;
  enabled: boolean;
  logsource: Record<string, string> | null;
  supported: boolean;
  description: string | null;
}

export interface RuleDetail extends Rule {
  text: string;
}

export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  rule_id: string | null;
}

export interface RulePack {
  name: string;
  version: string;
  description: string;
  importedAt: string;
  importedBy: string;
  files: number;
}

export interface HuntColumn {
  name: string;
  type: string;
}

export interface HuntResult {
  kind: 'events' | 'stats' | 'top' | 'timechart' | 'sequence';
  columns: HuntColumn[];
  rows: Record<string, unknown>[];
  took_ms: number;
  truncated: boolean;
}

export interface HuntFieldInfo {
  name: string;
  type: string;
  categories: string[];
  description: string;
}

export const indicatorTypes = ['md5', 'sha1', 'sha256', 'ip', 'cidr', 'domain', 'port', 'process_name', 'path'] as const;
export type IndicatorType = (typeof indicatorTypes)[number];

export interface Sweep {
  id: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  trigger: { kind: string; ref?: string | null };
  requested_by?: string;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  error?: string | null;
  indicator_count: number;
  matched_count: number;
}

export interface SweepDetail extends Sweep {
  indicators: {
    indicator_id: string;
    type: IndicatorType;
    value: string;
    count: number;
    hosts: string[];
    first_seen?: string | null;
    last_seen?: string | null;
    first_host_id?: string | null;
    first_event_id?: string | null;
  }[];
}

export interface DestinationStatus {
  pending: number;
  sent: number;
  failed_attempts: number;
  consecutive_failures: number;
  dead: number;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  next_attempt_at: string | null;
}

export interface Destination {
  id: string;
  name: string;
  kind: 'syslog' | 'webhook' | 'http-ndjson';
  stream: 'alerts' | 'events';
  enabled: boolean;
  settings: Record<string, unknown>;
  filters: { min_level?: string; tags_any?: string[]; categories?: string[] };
  retry: Record<string, number>;
  batch_size: number;
  created_at: string;
  updated_at: string;
  status?: DestinationStatus;
}

export interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
}

export interface EnrollmentToken {
  id: string;
  description: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  revokedAt?: string | null;
}

export interface AuditEntry {
  id: number;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: 'success' | 'failure';
  detail: string | null;
}

export interface DetectionMetrics {
  rulesActive: number;
  eventsEvaluated: number;
  detections: number;
  alertsCreated: number;
  alertsGrouped: number;
  alertLatencyP50Ms?: number | null;
  alertLatencyP99Ms?: number | null;
}
