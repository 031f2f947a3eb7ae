// Turns decoded bpftrace records into network and DNS events: joins TCP connect outcomes by socket, DNS queries with
// their answers, buffer chunks with their headers and connects with the name their address was resolved from, and
// folds identical flows. Never emits a flow twice and never
// holds more than its bounded tables (open flows, connecting sockets, pending queries, partial buffers).

import type { CollectedEvent } from '@vigil/schema';
import { parseDnsMessage, type DnsMessage } from './dns-wire.js';
import { createFlowAggregator, type Flow } from './flow-aggregator.js';
import type { ProcessFields } from './process-info.js';
import { ANSWER_CHUNKS, CHUNK_BYTES, QUERY_CHUNKS } from './script.js';
import { TCP, type NetRecord, type SocketFields, type TaskFields } from './records.js';

type NetworkEvent = Extract<CollectedEvent, { 'event.category': 'network' }>;
type DnsEvent = Extract<CollectedEvent, { 'event.category': 'dns' }>;

export interface NetworkConverterOptions {
  /** Process fields of the acting task (process-info.ts). */
  describe(task: TaskFields): ProcessFields;
  emit(event: CollectedEvent): void;
  /** Window in which identical flows fold into one event, in ms (default 5000). */
  windowMs?: number;
  /** Most open flows (default 10000). */
  maxOpenFlows?: number;
  /** How long a DNS query waits for its answer before it is reported without one, in ms (default 1000). */
  dnsAnswerWaitMs?: number;
  /** Processes whose records are ignored (the agent itself and bpftrace). */
  excludePids?: ReadonlySet<number>;
}

export interface NetworkConverter {
  /** Handles one record that arrived at `atMs` (wall clock). Records must be pushed in output order. */
  push(record: NetRecord, atMs: number): void;
  /** Emits what is due at `nowMs`: ended flow windows, unanswered queries, stale partial buffers. */
  tick(nowMs: number): void;
  /** Emits everything held (on stop). */
  flush(nowMs: number): void;
  stats(): Record<string, number>;
}

interface FlowState {
  event: NetworkEvent | DnsEvent;
  successes: number;
  failures: number;
}

interface PendingQuery {
  record: Extract<NetRecord, { kind: 'dns_query' }>;
  message: DnsMessage;
  atMs: number;
}

interface Partial {
  record: Extract<NetRecord, { kind: 'dns_query' | 'dns_answer' }>;
  expected: number;
  chunks: Buffer[];
  received: number;
  atMs: number;
}

const MAX_CONNECTING = 65536;
const MAX_PENDING_QUERIES = 4096;
const MAX_PARTIALS = 1024;
const MAX_ANSWER_TEXT = 1024;
/** Addresses remembered from DNS answers, to name the destination of later connects. */
const MAX_RESOLVED = 8192;

/** `::ffff:a.b.c.d` (an IPv4 peer of an IPv6 socket) as the IPv4 address it is on the wire. */
export function normalizeAddress(address: string): { ip: string; type: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(address);
  if (mapped) return { ip: mapped[1]!, type: 'ipv4' };
  return { ip: address, type: address.includes(':') ? 'ipv6' : 'ipv4' };
}

const unspecified = (ip: string) => ip === '0.0.0.0' || ip === '::';

/** Drops the oldest entries of an insertion-ordered map beyond `max`. */
function bound<K, V>(map: Map<K, V>, max: number): number {
  let dropped = 0;
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
    dropped++;
  }
  return dropped;
}

export function createNetworkConverter(options: NetworkConverterOptions): NetworkConverter {
  const windowMs = options.windowMs ?? 5000;
  const answerWaitMs = options.dnsAnswerWaitMs ?? 1000;
  const exclude = options.excludePids ?? new Set<number>();
  const counts = { records: 0, excluded: 0, skipped: 0, unmatchedAnswers: 0, undecodableDns: 0, truncatedDns: 0, tableOverflows: 0 };

  const aggregator = createFlowAggregator<FlowState>({
    windowMs,
    ...(options.maxOpenFlows !== undefined ? { maxOpen: options.maxOpenFlows } : {}),
    emit: (flow) => emitFlow(flow),
  });
  /** Kernel socket address of a TCP connect in progress → key of its flow. */
  const connecting = new Map<string, string>();
  const pendingQueries = new Map<string, PendingQuery>();
  const partials = new Map<number, Partial>();
  /** Resolved address → the name whose answer held it (most recent answer wins). */
  const resolvedNames = new Map<string, string>();

  const emitFlow = (flow: Flow<FlowState>) => {
    const event = flow.state.event as Record<string, unknown>;
    event['@timestamp'] = new Date(flow.firstMs).toISOString();
    event['network.connection_count'] = flow.count;
    event['network.first_seen'] = new Date(flow.firstMs).toISOString();
    event['network.last_seen'] = new Date(flow.lastMs).toISOString();
    if (flow.state.successes > 0) event['event.outcome'] = 'success';
    else if (flow.state.failures > 0) event['event.outcome'] = 'failure';
    options.emit(flow.state.event);
  };

  const networkFlow = (
    action: 'connect' | 'accept' | 'listen',
    transport: 'tcp' | 'udp',
    task: TaskFields,
    socket: SocketFields,
    atMs: number,
    succeeded: boolean,
  ): Flow<FlowState> | undefined => {
    const local = normalizeAddress(socket.localAddress);
    const remote = normalizeAddress(socket.remoteAddress);
    if (action !== 'listen' && (socket.remotePort === 0 || unspecified(remote.ip))) {
      counts.skipped++;
      return undefined;
    }
    const process = options.describe(task);
    const entity = String(process['process.entity_id']);
    const key =
      action === 'listen'
        ? `listen|${entity}|${transport}|${local.ip}|${socket.localPort}`
        : action === 'accept'
          ? `accept|${entity}|${transport}|${remote.ip}|${local.ip}|${socket.localPort}`
          : `connect|${entity}|${transport}|${remote.ip}|${socket.remotePort}`;
    const flow = aggregator.add(key, atMs, () => {
      const event = {
        '@timestamp': new Date(atMs).toISOString(),
        'event.category': 'network',
        'event.action': action,
        'event.type': action === 'listen' ? 'start' : 'connection',
        'event.provider': 'bpftrace',
        ...process,
        'network.transport': transport,
        'network.type': action === 'listen' ? local.type : remote.type,
        'network.direction': action === 'connect' ? 'egress' : action === 'accept' ? 'ingress' : 'listening',
      } as NetworkEvent;
      const e = event as Record<string, unknown>;
      if (action === 'accept') {
        e['source.ip'] = remote.ip;
        e['source.port'] = socket.remotePort;
        e['destination.ip'] = local.ip;
        e['destination.port'] = socket.localPort;
      } else {
        e['source.ip'] = local.ip;
        if (socket.localPort > 0) e['source.port'] = socket.localPort;
        if (action === 'connect') {
          e['destination.ip'] = remote.ip;
          e['destination.port'] = socket.remotePort;
          const domain = resolvedNames.get(remote.ip);
          if (domain) e['destination.domain'] = domain;
        }
      }
      return { event, successes: 0, failures: 0 };
    });
    if (succeeded) flow.state.successes++;
    return flow;
  };

  const tcpState = (record: Extract<NetRecord, { kind: 'tcp_state' }>, atMs: number) => {
    const { oldState, newState, sk } = record;
    if (oldState === TCP.CLOSE && newState === TCP.SYN_SENT) {
      if (exclude.has(record.task.pid)) return void counts.excluded++;
      const flow = networkFlow('connect', 'tcp', record.task, record.socket, atMs, false);
      if (!flow) return;
      connecting.delete(sk);
      connecting.set(sk, flow.key);
      counts.tableOverflows += bound(connecting, MAX_CONNECTING);
      return;
    }
    if (oldState === TCP.CLOSE && newState === TCP.LISTEN) {
      if (exclude.has(record.task.pid)) return void counts.excluded++;
      networkFlow('listen', 'tcp', record.task, record.socket, atMs, true);
      return;
    }
    if (oldState === TCP.SYN_SENT) {
      // The task running now is not necessarily the one that connected: only the socket address joins the two.
      const key = connecting.get(sk);
      connecting.delete(sk);
      const flow = key === undefined ? undefined : aggregator.get(key);
      if (!flow) return;
      if (newState === TCP.ESTABLISHED) {
        flow.state.successes++;
        const e = flow.state.event as Record<string, unknown>;
        if (e['source.port'] === undefined && record.socket.localPort > 0) {
          e['source.port'] = record.socket.localPort;
          e['source.ip'] = normalizeAddress(record.socket.localAddress).ip;
        }
      } else if (newState === TCP.CLOSE) {
        flow.state.failures++;
      }
    }
  };

  const dnsKey = (pid: number, message: DnsMessage) => `${pid}|${message.id}|${message.question?.name.toLowerCase() ?? ''}|${message.question?.type ?? ''}`;

  /** One DNS lookup (query, answer or both) into its flow. */
  const dnsFlow = (record: PendingQuery['record'] | Extract<NetRecord, { kind: 'dns_answer' }>, query: DnsMessage | undefined, answer: DnsMessage | undefined, atMs: number) => {
    const question = (answer ?? query)?.question;
    if (!question || question.name.length === 0) {
      counts.undecodableDns++;
      return;
    }
    if (query?.truncated || answer?.truncated) counts.truncatedDns++;
    const process = options.describe(record.task);
    const local = normalizeAddress(record.socket.localAddress);
    const server = normalizeAddress(record.socket.remoteAddress);
    const answers = (answer?.answers ?? []).map((a) => (a.data.length > MAX_ANSWER_TEXT ? a.data.slice(0, MAX_ANSWER_TEXT) : a.data));
    const resolved = (answer?.answers ?? []).filter((a) => a.type === 'A' || a.type === 'AAAA').map((a) => a.data);
    for (const ip of resolved) {
      resolvedNames.delete(ip);
      resolvedNames.set(ip, question.name);
    }
    bound(resolvedNames, MAX_RESOLVED);
    const key = ['dns', process['process.entity_id'], question.name.toLowerCase(), question.type, answer?.responseCode ?? '', [...answers].sort().join(','), server.ip].join('|');
    aggregator.add(key, atMs, () => {
      const event = {
        '@timestamp': new Date(atMs).toISOString(),
        'event.category': 'dns',
        'event.action': 'query',
        'event.type': 'protocol',
        'event.provider': 'bpftrace',
        ...process,
        'dns.question.name': question.name,
        'dns.question.type': question.type,
        'dns.question.class': question.class,
        'dns.id': String((query ?? answer)!.id),
        'network.transport': 'udp',
        'network.protocol': 'dns',
        'network.type': server.type,
        'network.direction': 'egress',
        'destination.ip': server.ip,
        'destination.port': record.socket.remotePort,
      } as DnsEvent;
      const e = event as Record<string, unknown>;
      if (!unspecified(local.ip)) e['source.ip'] = local.ip;
      if (record.socket.localPort > 0) e['source.port'] = record.socket.localPort;
      if (answer) {
        e['dns.response_code'] = answer.responseCode;
        if (answers.length > 0) e['dns.answers'] = answers;
        if (resolved.length > 0) e['dns.resolved_ip'] = resolved;
      }
      return { event, successes: answer ? 1 : 0, failures: 0 };
    });
  };

  const completePartial = (partial: Partial) => {
    const bytes = Buffer.concat(partial.chunks);
    const message = parseDnsMessage(bytes);
    const { record } = partial;
    if (!message) {
      counts.undecodableDns++;
      return;
    }
    if (record.kind === 'dns_query') {
      if (message.response) return void counts.undecodableDns++;
      if (record.explicitAddress) networkFlow('connect', 'udp', record.task, record.socket, partial.atMs, true);
      const key = dnsKey(record.task.pid, message);
      pendingQueries.delete(key);
      pendingQueries.set(key, { record, message, atMs: partial.atMs });
      if (pendingQueries.size > MAX_PENDING_QUERIES) {
        const oldest = pendingQueries.values().next();
        if (!oldest.done) expireQuery(oldest.value);
      }
      return;
    }
    if (!message.response) return void counts.undecodableDns++;
    const key = dnsKey(record.task.pid, message);
    const query = pendingQueries.get(key);
    if (query) {
      pendingQueries.delete(key);
      dnsFlow(query.record, query.message, message, query.atMs);
    } else {
      counts.unmatchedAnswers++;
      dnsFlow(record, undefined, message, partial.atMs);
    }
  };

  const expireQuery = (query: PendingQuery) => {
    pendingQueries.delete(dnsKey(query.record.task.pid, query.message));
    dnsFlow(query.record, query.message, undefined, query.atMs);
  };

  const startPartial = (record: Partial['record'], atMs: number) => {
    const earlier = partials.get(record.task.tid);
    if (earlier) {
      partials.delete(record.task.tid);
      completePartial(earlier);
    }
    const chunks = record.kind === 'dns_query' ? QUERY_CHUNKS : ANSWER_CHUNKS;
    const expected = Math.min(record.length, chunks * CHUNK_BYTES);
    partials.set(record.task.tid, { record, expected, chunks: [], received: 0, atMs });
    if (partials.size > MAX_PARTIALS) {
      const oldest = partials.entries().next();
      if (!oldest.done) {
        partials.delete(oldest.value[0]);
        completePartial(oldest.value[1]);
        counts.tableOverflows++;
      }
    }
  };

  const chunk = (record: Extract<NetRecord, { kind: 'chunk' }>) => {
    const partial = partials.get(record.tid);
    if (!partial || record.offset !== partial.received) return void counts.skipped++;
    partial.chunks.push(record.bytes);
    partial.received += record.bytes.length;
    if (partial.received >= partial.expected) {
      partials.delete(record.tid);
      completePartial(partial);
    }
  };

  return {
    push(record, atMs) {
      counts.records++;
      switch (record.kind) {
        case 'tcp_state':
          return tcpState(record, atMs);
        case 'chunk':
          return chunk(record);
        case 'exec':
          return;
        default:
          break;
      }
      if (exclude.has(record.task.pid)) return void counts.excluded++;
      switch (record.kind) {
        case 'accept':
          networkFlow('accept', 'tcp', record.task, record.socket, atMs, true);
          return;
        case 'udp_connect':
        case 'udp_send':
          networkFlow('connect', 'udp', record.task, record.socket, atMs, true);
          return;
        case 'udp_bind':
          networkFlow('listen', 'udp', record.task, record.socket, atMs, true);
          return;
        case 'dns_query':
        case 'dns_answer':
          startPartial(record, atMs);
          return;
      }
    },

    tick(nowMs) {
      for (const [tid, partial] of partials) {
        if (partial.atMs + 1000 > nowMs) continue;
        partials.delete(tid);
        completePartial(partial);
      }
      for (const query of pendingQueries.values()) {
        if (query.atMs + answerWaitMs > nowMs) break;
        expireQuery(query);
      }
      aggregator.flushDue(nowMs);
    },

    flush() {
      for (const [tid, partial] of partials) {
        partials.delete(tid);
        completePartial(partial);
      }
      for (const query of [...pendingQueries.values()]) expireQuery(query);
      aggregator.flushAll();
    },

    stats() {
      const a = aggregator.stats();
      return {
        ...counts,
        openFlows: a.open,
        flows: a.flows,
        sightings: a.sightings,
        flowsEmittedEarly: a.early,
        connecting: connecting.size,
        pendingQueries: pendingQueries.size,
      };
    },
  };
}
