// Wire messages between agents, servers and API clients: paths, limits and body shapes.
// Changing a shape here is a protocol change: the server must keep accepting what released agents send.

export const paths = {
  enroll: '/api/v1/enroll',
  events: '/agent/v1/events',
  heartbeat: '/agent/v1/heartbeat',
} as const;

export const limits = {
  /** Largest event batch body in bytes; larger bodies are refused with 413 before parsing. */
  maxBatchBytes: 8 * 1024 * 1024,
  /** Most events in one batch. */
  maxBatchEvents: 5000,
} as const;

export interface EventBatchBody {
  /** Agent id; must equal the client certificate's common name and every event's host.id. */
  host_id: string;
  events: unknown[];
}

export interface EventBatchAck {
  /** Events newly stored by this request. */
  accepted: number;
  /** Events already stored before (by event.sequence or event.id), not stored again. */
  duplicates: number;
  /** Every event of this host with event.sequence at or below this number is durably stored. */
  acked_through: number;
}

export interface AgentCounters {
  collected: number;
  sent: number;
  spooled: number;
  dropped: number;
  [name: string]: number;
}

export interface HeartbeatBody {
  host_id: string;
  version: string;
  hostname: string;
  os: { platform: string; name: string; version: string; kernel: string; arch: string };
  uptime_s: number;
  agent_uptime_s: number;
  counters: AgentCounters;
  sources: Record<string, Record<string, number>>;
  /** The host's network isolation as the agent found it when sending (absent from agents without the handlers). */
  isolation?: IsolationReport;
}

/**
 * Network isolation as checked on the host: `isolated` when the saved isolation plan is in force and the firewall
 * table matches it, `released` when no isolation is saved, `unverified` when one is saved but the table is missing,
 * differs or could not be listed (`problem` says why).
 */
export interface IsolationReport {
  state: 'isolated' | 'released' | 'unverified';
  /** When the isolation in force was applied; null when released. */
  since: string | null;
  /** When the agent checked. */
  checked_at: string;
  problem?: string;
}

export interface EnrollRequest {
  token: string;
  hostname: string;
  /** SPKI PEM of the key the agent generated; the private key never leaves the endpoint. */
  public_key_pem: string;
  os?: { platform?: string; name?: string; version?: string; kernel?: string; arch?: string };
}

export interface EnrollResponse {
  agent_id: string;
  certificate_pem: string;
  ca_certificate_pem: string;
  /** host:port of the agent (mTLS) listener. */
  agent_endpoint: string;
}
