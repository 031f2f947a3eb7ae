// Server configuration: defaults, environment overrides and validation, in one place.
// Never starts anything; an invalid setting is an `invalid_config` error naming the setting.

import { availableParallelism, hostname } from 'node:os';
import { VigilError } from '@vigil/common';

export interface ServerConfig {
  dataDir: string;
  /** Address both listeners bind to. */
  listenHost: string;
  /** Console, REST API and enrollment (server TLS). */
  apiPort: number;
  /** Agent telemetry and heartbeats (mutual TLS, client certificate required). */
  agentPort: number;
  /** Extra DNS names or IP addresses for the server certificate (what agents and browsers connect to). */
  publicNames: string[];
  /** Name/address agents are told to use for the agent listener. */
  advertisedHost: string;
  heartbeatIntervalSeconds: number;
  sessionTtlSeconds: number;
  /**
   * When an event batch is acknowledged: `journal` (default) once fsynced to the event store's ingest journal,
   * loaded into DuckDB right after and replayed after a crash; `commit` only after the DuckDB transaction committed.
   */
  storeAck: 'journal' | 'commit';
  /**
   * DuckDB worker threads; default one less than the cores, so bulk loads never starve the thread that terminates
   * TLS, validates batches and acknowledges them (on 2 cores: 1 thread ingests ~13% faster than 2).
   */
  storeThreads: number;
  /**
   * Vigil's in-memory secondary indexes over the event store (exact values, substrings, fuzzy tokens, process edges,
   * time buckets): fast hunts for ~200 MB of heap per million events and CPU while ingesting; `VIGIL_STORE_INDEX=off`
   * leaves every hunt to DuckDB's scans.
   */
  storeIndex: boolean;
  /**
   * With the index, a row cache beside it (`rows.cache`, ~1.1 KB of disk per event, rebuilt at each start) that makes
   * event lists and sequences the index answers read rows by position: `VIGIL_STORE_ROW_CACHE=on`. Default off.
   */
  storeRowCache: boolean;
  /** Password for the first admin user; generated and printed once when unset. */
  adminPassword: string | undefined;
  /** Alerts of one host and process tree whose activity lies within this many minutes form one incident. */
  incidentWindowMinutes: number;
  /**
   * Whether the detection thread runs under the real-time round-robin policy (Linux, CAP_SYS_NICE), so a batch's alerts
   * never wait for a core behind ingest's work; off: a raised nice value only (docs/operations.md).
   */
  detectionRealtime: boolean;
}

export function defaultServerConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const env = process.env;
  const config: ServerConfig = {
    dataDir: env.VIGIL_DATA_DIR ?? '/var/lib/vigil/server',
    listenHost: env.VIGIL_LISTEN_HOST ?? '0.0.0.0',
    apiPort: port(env.VIGIL_API_PORT, 8443, 'VIGIL_API_PORT'),
    agentPort: port(env.VIGIL_AGENT_PORT, 8444, 'VIGIL_AGENT_PORT'),
    publicNames: (env.VIGIL_PUBLIC_NAMES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    advertisedHost: env.VIGIL_ADVERTISED_HOST ?? hostname(),
    heartbeatIntervalSeconds: positive(env.VIGIL_HEARTBEAT_SECONDS, 10, 'VIGIL_HEARTBEAT_SECONDS'),
    sessionTtlSeconds: 12 * 3600,
    storeAck: storeAck(env.VIGIL_STORE_ACK),
    storeThreads: positive(env.VIGIL_STORE_THREADS, Math.max(1, availableParallelism() - 1), 'VIGIL_STORE_THREADS'),
    storeIndex: onOff(env.VIGIL_STORE_INDEX, true, 'VIGIL_STORE_INDEX'),
    storeRowCache: onOff(env.VIGIL_STORE_ROW_CACHE, false, 'VIGIL_STORE_ROW_CACHE'),
    adminPassword: env.VIGIL_ADMIN_PASSWORD,
    incidentWindowMinutes: positive(env.VIGIL_INCIDENT_WINDOW_MINUTES, 30, 'VIGIL_INCIDENT_WINDOW_MINUTES'),
    detectionRealtime: onOff(env.VIGIL_DETECTION_REALTIME, true, 'VIGIL_DETECTION_REALTIME'),
    ...stripUndefined(overrides),
  };
  validate(config);
  return config;
}

function onOff(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new VigilError('invalid_config', `${name} must be on or off, not ${JSON.stringify(value)}`);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function port(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new VigilError('invalid_config', `${name} must be a port number, got ${JSON.stringify(raw)}`);
  return value;
}

function storeAck(raw: string | undefined): 'journal' | 'commit' {
  if (raw === undefined || raw === '' || raw === 'journal') return 'journal';
  if (raw === 'commit') return 'commit';
  throw new VigilError('invalid_config', `VIGIL_STORE_ACK must be journal or commit, got ${JSON.stringify(raw)}`);
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new VigilError('invalid_config', `${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

function validate(config: ServerConfig): void {
  if (!config.dataDir) throw new VigilError('invalid_config', 'data directory must be set');
  for (const [name, value] of [['apiPort', config.apiPort], ['agentPort', config.agentPort]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new VigilError('invalid_config', `${name} must be a port number`);
  }
  if (config.apiPort !== 0 && config.apiPort === config.agentPort) throw new VigilError('invalid_config', 'the API and agent ports must differ');
  if (!Number.isInteger(config.storeThreads)) throw new VigilError('invalid_config', 'VIGIL_STORE_THREADS must be a whole number');
  if (config.adminPassword !== undefined && config.adminPassword.length < 12) throw new VigilError('invalid_config', 'VIGIL_ADMIN_PASSWORD must be at least 12 characters');
}
