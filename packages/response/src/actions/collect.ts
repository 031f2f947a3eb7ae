// Declarations of the read-only actions: collecting a file into the server's evidence store and live queries
// (processes, connections, listening ports), plus the agent → server evidence upload protocol both sides share.

import type { ActionSpec, JsonSchema } from '../core.js';
import { absolutePath } from './file.js';

/** Largest file file.collect accepts when the task gives no `max_bytes` (the server has its own limit too). */
export const DEFAULT_COLLECT_MAX_BYTES = 100 * 1024 * 1024;
/** Upper bound of `max_bytes`. */
export const COLLECT_MAX_BYTES_LIMIT = 4 * 1024 * 1024 * 1024;

/**
 * Evidence upload on the agent listener (mutual TLS): `POST path` with an `application/octet-stream` body of exactly
 * `content-length` bytes and the headers below. The server streams it to disk, refuses it when the size or the
 * sha256 differ from what the headers declared or it exceeds its limit, and answers with an EvidenceUploadReceipt.
 */
export const evidenceUpload = {
  path: '/agent/v1/evidence',
  headers: {
    /** Lower-case hex SHA-256 of the body. */
    sha256: 'x-vigil-sha256',
    /** The task that collected it (the task id of the ActionContext). */
    taskId: 'x-vigil-task-id',
    /** The file's path on the endpoint, percent-encoded (encodeURIComponent). */
    path: 'x-vigil-source-path',
  },
} as const;

export interface EvidenceUploadReceipt {
  /** Evidence record id (one per upload; the content is stored once per sha256). */
  id: string;
  sha256: string;
  size: number;
}

const limit = (max: number, fallback: number): JsonSchema => ({ type: 'integer', minimum: 1, maximum: max, default: fallback, description: 'Most rows returned' });

export const specs: ActionSpec[] = [
  {
    name: 'file.collect',
    title: 'Collect file',
    description:
      'Streams a regular file to the server\'s evidence store over the agent\'s mutual-TLS channel with its sha256; refuses files larger than `max_bytes`. Verified by the server: it stores the file only when the size and the sha256 it computed match what the agent declared.',
    permission: 'response:collect',
    verification: 'By the server: it stores the upload only when the size and the sha256 it computed equal what the agent declared.',
    args: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: absolutePath,
        max_bytes: { type: 'integer', minimum: 1, maximum: COLLECT_MAX_BYTES_LIMIT, default: DEFAULT_COLLECT_MAX_BYTES, description: 'Refuse files larger than this' },
      },
    },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 3600,
  },
  {
    name: 'live.processes',
    title: 'Live query: processes',
    description:
      'Reads /proc now and returns one row per process in `details.rows`: pid, ppid, user, exe, cmdline, state, start time and start_ticks/entity_id (usable to pin a later process action). Verified by construction: the rows are what /proc showed.',
    permission: 'response:collect',
    verification: 'By construction: the rows are what /proc showed at the time of the query.',
    args: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: limit(50_000, 10_000),
        user: { type: 'string', maxLength: 64, description: 'Only processes of this user name' },
        name: { type: 'string', maxLength: 256, description: 'Only processes whose name or executable contains this text' },
      },
    },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 60,
  },
  {
    name: 'live.connections',
    title: 'Live query: network connections',
    description:
      'Reads /proc/net/{tcp,tcp6,udp,udp6} and maps each socket inode to its process through /proc/<pid>/fd; returns one row per socket in `details.rows` (protocol, local and remote address and port, state, pid, process).',
    permission: 'response:collect',
    verification: 'By construction: the rows are what /proc/net/{tcp,tcp6,udp,udp6} and /proc/<pid>/fd showed at the time of the query.',
    args: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: limit(50_000, 10_000),
        protocol: { type: 'string', enum: ['tcp', 'udp'], description: 'Only this protocol' },
        pid: { type: 'integer', minimum: 1, description: 'Only sockets of this process' },
      },
    },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 60,
  },
  {
    name: 'live.listening',
    title: 'Live query: listening ports',
    description: 'TCP sockets in LISTEN state and bound UDP sockets without a peer, with the owning process, in `details.rows`.',
    permission: 'response:collect',
    verification: 'By construction: the rows are what /proc/net and /proc/<pid>/fd showed at the time of the query.',
    args: { type: 'object', additionalProperties: false, properties: { limit: limit(50_000, 10_000), protocol: { type: 'string', enum: ['tcp', 'udp'] } } },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 60,
  },
];
