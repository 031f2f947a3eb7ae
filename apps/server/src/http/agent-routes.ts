// Routes of the agent listener (mutual TLS): event batches and heartbeats.
// The caller's identity comes only from its verified client certificate, re-checked against revocation on every request.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { VigilError, createLogger } from '@vigil/common';
import { normalizeSerial } from '@vigil/pki';
import { decodeEventBatch, limits, paths, type EventBatchAck, type HeartbeatBody } from '@vigil/protocol';
import type { EventStore } from '@vigil/store';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { DetectEvent } from '@vigil/detect';
import type { DetectionService } from '../detection/detection-service.js';

export interface IngestCounters {
  batches: number;
  accepted: number;
  duplicates: number;
  rejectedBatches: number;
}

export interface AgentRouteDeps {
  controlPlane: ControlPlane;
  store: EventStore;
  detection: DetectionService;
  heartbeatIntervalSeconds: number;
  counters: IngestCounters;
  /** The task-signing key offered with every heartbeat reply (agents pin it, then follow rotations; docs/response.md). */
  taskKey?: () => unknown;
  /** More fields of the heartbeat reply for this agent (the YARA rule set digest and queued sweeps; docs/yara.md). */
  heartbeatExtras?: (agentId: string) => Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    agentId?: string;
  }
}

const log = createLogger('server.agents');

function agentIdentity(request: FastifyRequest, controlPlane: ControlPlane): string {
  const socket = request.raw.socket as TLSSocket;
  if (!socket.authorized) throw new VigilError('unauthenticated', `client certificate not accepted: ${String(socket.authorizationError ?? 'none sent')}`);
  const cert = socket.getPeerCertificate();
  const commonName = cert?.subject?.CN;
  if (!cert?.serialNumber || typeof commonName !== 'string') throw new VigilError('unauthenticated', 'client certificate has no serial number or common name');
  const verdict = controlPlane.agentForCertificate(normalizeSerial(cert.serialNumber), commonName);
  if ('refused' in verdict) throw new VigilError('forbidden', verdict.refused);
  return verdict.agentId;
}

export function registerAgentRoutes(app: FastifyInstance, deps: AgentRouteDeps): void {
  const { controlPlane, store, counters } = deps;
  // last_seen of agents sending events is written once a second for all of them together, never on a batch's path:
  // every control-plane commit is an fsync on this thread (one per agent and second stalled ingest; one per agent and
  // minute between a batch's acknowledgement and its hand-off to detection set the alert latency's p99). An agent is
  // shown online within that second (its heartbeats are written at once).
  const dueTouches = new Map<string, string>();
  const flushTouches = () => {
    if (!dueTouches.size) return;
    const entries = [...dueTouches].map(([id, address]) => ({ id, address }));
    dueTouches.clear();
    try {
      controlPlane.touchAgents(entries);
    } catch (error) {
      log.warn('recording agents as seen failed', { agents: entries.length, error: VigilError.wrap(error).message });
    }
  };
  const touchTimer = setInterval(flushTouches, 1000);
  touchTimer.unref();
  app.addHook('onClose', async () => {
    clearInterval(touchTimer);
    flushTouches();
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limits.maxBatchBytes + 1024 }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request) => {
    try {
      request.agentId = agentIdentity(request, controlPlane);
    } catch (error) {
      log.warn('agent refused', { address: request.ip, reason: (error as Error).message });
      throw error;
    }
  });

  app.post(paths.events, async (request, reply) => {
    const agentId = request.agentId!;
    if (!Buffer.isBuffer(request.body)) throw new VigilError('invalid_input', 'send the batch as application/json');
    let decoded;
    try {
      decoded = decodeEventBatch(request.body, { expectedHostId: agentId });
    } catch (error) {
      counters.rejectedBatches++;
      log.warn('batch rejected', { agent: agentId, error: (error as Error).message });
      throw error;
    }
    // Backpressure: while detection is behind by more than its queue limit, acknowledgements wait (agents slow down).
    const room = deps.detection.admit();
    if (room) await room;
    // The worker decodes and matches the batch while the append waits for durability; only the acknowledgement below
    // commits the accepted events' matches (a failed append discards them).
    const starts = decoded.slices?.starts;
    const allParse = starts !== undefined && starts.every((start) => start >= 0);
    const speculation = deps.detection.speculate({ hostId: agentId, body: request.body, parsesAsValidated: allParse, ...(allParse ? { slices: decoded.slices! } : {}) });
    let result;
    try {
      result = await store.append(agentId, decoded.events, decoded.slices);
    } catch (error) {
      if (speculation) deps.detection.discard(speculation);
      throw error;
    }
    const acceptedAt = performance.now();
    try {
      counters.batches++;
      counters.accepted += result.accepted;
      counters.duplicates += result.duplicates;
      dueTouches.set(agentId, request.ip);
      const ack: EventBatchAck = { accepted: result.accepted, duplicates: result.duplicates, acked_through: result.ackedThrough };
      // The reply goes out first; then the accepted events (the batch's tail: duplicates are the sequence numbers at or
      // below the host's watermark, and a batch's sequence numbers increase) go to the detection worker, in
      // acknowledgement order. Rules never run on this thread.
      reply.send(ack);
    } finally {
      // Stored events always reach detection, and a held speculative match is always committed or released, even if
      // recording the agent's contact failed above.
      if (result.accepted) {
        const accepted = result.accepted === decoded.events.length ? decoded.events : decoded.events.slice(decoded.events.length - result.accepted);
        let parsesAsValidated = starts !== undefined;
        for (let i = decoded.events.length - result.accepted; parsesAsValidated && i < decoded.events.length; i++) parsesAsValidated = starts![i]! >= 0;
        deps.detection.submitBatch({ hostId: agentId, body: request.body, parsesAsValidated, events: accepted as unknown as readonly DetectEvent[], ackedThrough: result.ackedThrough, acceptedAt, ...(speculation ? { speculation } : {}) });
      } else if (speculation) deps.detection.discard(speculation);
    }
    return reply;
  });

  app.post(paths.heartbeat, async (request) => {
    const agentId = request.agentId!;
    if (!Buffer.isBuffer(request.body)) throw new VigilError('invalid_input', 'send the heartbeat as application/json');
    if (request.body.length > 64 * 1024) throw new VigilError('payload_too_large', 'heartbeat larger than 64 KiB');
    let body: HeartbeatBody;
    try {
      body = JSON.parse(request.body.toString('utf8')) as HeartbeatBody;
    } catch (error) {
      throw new VigilError('invalid_input', `heartbeat is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || body.host_id !== agentId) throw new VigilError('invalid_input', 'heartbeat host_id must be the agent id', { location: { path: '$.host_id' } });
    if (typeof body.counters !== 'object' || body.counters === null) throw new VigilError('invalid_input', 'heartbeat counters missing', { location: { path: '$.counters' } });
    controlPlane.touchAgent(agentId, request.ip, body as unknown as Record<string, unknown>);
    return { acked_through: await store.watermark(agentId), heartbeat_interval_s: deps.heartbeatIntervalSeconds, server_time: new Date().toISOString(), ...(deps.taskKey ? { task_signing_key: deps.taskKey() } : {}), ...(deps.heartbeatExtras ? deps.heartbeatExtras(agentId) : {}) };
  });
}
