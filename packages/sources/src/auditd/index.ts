// The auditd event source: process start and exit, file operations on watched paths, script execution, injection,
// kernel modules, logins, kernel and host changes and PAM account records from auditd's af_unix dispatcher socket.
// Never leaves rules, plugin config or a daemon behind after stop(), and never lets one bad record stop collection.

import { buildKernelModuleEvent } from './kernel-module-events.js';
import { buildLoginEvent } from './login-events.js';
import { buildAccountEvent } from './account-events.js';
import { createSystemEventBuilder, SENSITIVE_READ_KEY, SENSITIVE_READ_PATHS, systemAuditRules } from './system-events.js';
import { buildInjectionEvent, memfdExecution } from './injection-events.js';
import { createFileEventBuilder, type FileEventBuilder } from './file-events.js';
import { createFileInspector, type FileInspector } from './file-inspector.js';
import { FILE_RULE_KEY, fileAuditRules, fileWatchConfigFromEnv, resolveWatchSet, type FileWatchConfig } from './file-paths.js';
import { LD_SO_PRELOAD, ldPreloadEvents, ldSoPreloadEvents, parsePreloadList, preloadOfExec } from './ld-preload.js';
import { buildScriptEvent } from './script-events.js';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { VigilError } from '@vigil/common';
import type { CollectedEvent } from '@vigil/schema';
import type { EventSink, EventSource } from '../core.js';
import { createAssembler, type Assembler } from './assembler.js';
import { createAuditdControl, RULE_KEY, type AuditdControl } from './auditd-control.js';
import { createHashCache, DEFAULT_HASH_MAX_BYTES, type HashCache } from './hash-cache.js';
import type { ExecStarts } from '../internal/exec-starts.js';
import { createProcessEventBuilder, readProcExecutable, type ProcessEventBuilder } from './process-events.js';
import { parseRecord, type AuditRecord } from './record-parser.js';
import { createSerialGapCounter } from './serial-gaps.js';
import { createSocketReader, type SocketReader } from './socket-reader.js';
import { createUserNames } from './user-names.js';
import { startFailure } from '../internal/start-failure.js';

export { parseRecord, type AuditRecord } from './record-parser.js';
export { checkFileWatchConfig, DEFAULT_FILE_WATCH_PATHS, fileWatchConfigFromEnv, type FileWatchConfig } from './file-paths.js';
export { parseScriptInvocation, type ScriptInvocation } from './script-command.js';

export const DEFAULT_AUDITD_SOCKET = '/var/run/vigil-auditd.sock';

export interface AuditdSourceOptions {
  /** Socket auditd's af_unix plugin listens on while we run (default /var/run/vigil-auditd.sock). */
  socketPath?: string;
  /** Executables larger than this are not hashed (default 256 MiB). */
  hashMaxBytes?: number;
  /** How long an audit event without an end-of-event record waits for more records, in ms (default 200). */
  flushMs?: number;
  /** Most audit events assembled at once before the oldest is dropped (default 4096). */
  maxOpenEvents?: number;
  /** Most converted events waiting for a hash before new ones are dropped (default 10000). */
  maxPendingEvents?: number;
  /** The af_unix plugin config file (default /etc/audit/plugins.d/af_unix.conf). */
  pluginConfPath?: string;
  /**
   * File operations on watched paths (file-paths.ts; docs/telemetry-linux.md). Default: VIGIL_FILE_WATCH and
   * VIGIL_FILE_EXCLUDE from the environment over DEFAULT_FILE_WATCH_PATHS; false turns file events off.
   */
  files?: FileWatchConfig | false;
  /** Script execution events derived from process starts (default true). */
  scripts?: boolean;
  /** ld_preload events: LD_PRELOAD of new processes (read from /proc at exec, best-effort) and /etc/ld.so.preload (default true). */
  ldPreload?: boolean;
  /**
   * Kernel and host changes, process id/namespace/capability changes, raw sockets, credential-store reads, PAM account
   * records and audit configuration changes (system-events.ts, account-events.ts; default true).
   */
  system?: boolean;
  /** Start times of execs from another source (the bpftrace program), for processes gone before their exec was read. */
  execStarts?: ExecStarts;
}

/** Entity id fields of the events this source builds (see ProcessEventBuilder.canonicalEntity). */
const ENTITY_FIELDS = ['process.entity_id', 'process.parent.entity_id', 'target.process.entity_id'] as const;

/** Parse-error warnings sent to the sink: the first few, then one per this many. */
const WARN_EVERY = 1000;
const WARN_FIRST = 10;
const PROBE_PREFIX = 'vigil-probe-';
/** Keys of the rules this source installs: CONFIG_CHANGE records about them are its own doing. */
const OWN_KEYS = [RULE_KEY, FILE_RULE_KEY, SENSITIVE_READ_KEY];

export function createAuditdSource(options: AuditdSourceOptions = {}): EventSource {
  const socketPath = options.socketPath ?? DEFAULT_AUDITD_SOCKET;
  const maxPending = options.maxPendingEvents ?? 10000;
  const counts = { records: 0, events: 0, parseErrors: 0, dropped: 0, pendingDropped: 0, watchRules: 0, pendingPeak: 0 };
  const scripts = options.scripts !== false;
  const ldPreload = options.ldPreload !== false;
  const system = options.system !== false;
  let files: FileEventBuilder | undefined;
  let inspector: FileInspector | undefined;
  /** Events waiting for a written file to settle: emitted when ready, out of audit order. */
  const unordered = new Set<Promise<void>>();
  let sink: EventSink | undefined;
  let control: AuditdControl | undefined;
  let reader: SocketReader | undefined;
  let assembler: Assembler | undefined;
  let hashes: HashCache | undefined;
  let state: 'idle' | 'starting' | 'running' | 'stopped' = 'idle';
  const probes = new Map<string, () => void>();
  const serials = createSerialGapCounter();
  /** Events in assembly order; each is emitted once it and every event before it are ready. */
  const queue: Array<{ events: CollectedEvent[]; ready: boolean }> = [];
  let drained: (() => void) | undefined;

  const warn = (message: string, fields?: Record<string, unknown>) => {
    try {
      sink?.warn(`auditd: ${message}`, fields);
    } catch {
      // a sink's warn must not throw; ignore it if it does
    }
  };

  /** Set once stop() has flushed: events finishing later are discarded, never emitted after stop. */
  let sinkClosed = false;

  const emitAll = (events: readonly CollectedEvent[]) => {
    if (!sink || sinkClosed) return;
    for (const event of events) {
      const record = event as Record<string, unknown>;
      for (const field of ENTITY_FIELDS) {
        const id = record[field];
        if (typeof id === 'string' && build) record[field] = build.canonicalEntity(id);
      }
      try {
        sink.emit(event);
        counts.events++;
      } catch (error) {
        warn('the sink rejected an event', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  };

  const drain = () => {
    while (queue.length > 0 && queue[0]!.ready) emitAll(queue.shift()!.events);
    if (queue.length === 0 && unordered.size === 0) drained?.();
  };

  const emitLater = (later: Promise<CollectedEvent[]>) => {
    if (queue.length + unordered.size >= maxPending) {
      counts.pendingDropped++;
      return;
    }
    // Out of order: an event may be ready before the exec of its process has its final entity id.
    const settled = later.then((events) => {
      let pending: Promise<void>[] | undefined;
      for (const event of events) {
        for (const field of ENTITY_FIELDS) {
          const id = (event as Record<string, unknown>)[field];
          const waiting = typeof id === 'string' ? build?.entityPending(id) : undefined;
          if (waiting) (pending ??= []).push(waiting);
        }
      }
      return pending ? Promise.all(pending).then(() => events) : events;
    });
    const done: Promise<void> = settled
      .then(emitAll, (error: unknown) => warn('could not finish a file event', { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        unordered.delete(done);
        drain();
      });
    unordered.add(done);
    if (queue.length + unordered.size > counts.pendingPeak) counts.pendingPeak = queue.length + unordered.size;
  };

  let build: ProcessEventBuilder | undefined;
  let systemEvents: ReturnType<typeof createSystemEventBuilder> | undefined;

  const onEvent = (records: AuditRecord[]) => {
    let pending: Promise<CollectedEvent | CollectedEvent[]> | undefined;
    let later: Promise<CollectedEvent[]> | undefined;
    try {
      files?.noteExec(records);
      // Read while the new process lives: the environment is not in the audit records.
      const preload = ldPreload ? preloadOfExec(records) : undefined;
      // A process start also yields: fileless execution (memfd), LD_PRELOAD use, and a script event for interpreters.
      pending = build?.build(records)?.then(async (event) => {
        const derived: CollectedEvent[] = [event];
        const fileless = memfdExecution(event);
        if (fileless) derived.push(fileless);
        if (preload) derived.push(...ldPreloadEvents(event, preload));
        const script = scripts ? await buildScriptEvent(event, { hashFile: (path) => hashes!.sha256(path) }) : undefined;
        if (script) derived.push(script);
        return derived;
      });
      if (!pending && build) {
        const other =
          buildKernelModuleEvent(records, build.entityOf) ??
          buildInjectionEvent(records, { entityOf: build.entityOf, readExecutable: readProcExecutable }) ??
          buildLoginEvent(records) ??
          (system ? buildAccountEvent(records, { entityOf: build.entityOf, ownKeys: OWN_KEYS }) ?? systemEvents?.(records) : undefined);
        if (other) pending = Promise.resolve(other);
        else {
          const changed = files?.build(records);
          if (changed?.now.length) pending = Promise.resolve(changed.now);
          later = changed?.later;
        }
      }
    } catch (error) {
      warn('could not convert an audit event', { error: error instanceof Error ? error.message : String(error), serial: records[0]?.serial });
      return;
    }
    if (later) emitLater(later);
    if (!pending) return;
    if (queue.length >= maxPending) {
      counts.pendingDropped++;
      return;
    }
    const slot: { events: CollectedEvent[]; ready: boolean } = { events: [], ready: false };
    queue.push(slot);
    if (queue.length + unordered.size > counts.pendingPeak) counts.pendingPeak = queue.length + unordered.size;
    pending.then(
      (result) => {
        slot.events = Array.isArray(result) ? result : [result];
        slot.ready = true;
        drain();
      },
      () => {
        slot.ready = true;
        drain();
      },
    );
  };

  const onLine = (line: string) => {
    if (line.length === 0) return;
    let record: AuditRecord;
    try {
      record = parseRecord(line);
    } catch (error) {
      counts.parseErrors++;
      if (counts.parseErrors <= WARN_FIRST || counts.parseErrors % WARN_EVERY === 0) {
        const e = VigilError.wrap(error, 'invalid_input');
        warn(`unparseable audit record: ${e.message}`, { column: e.location?.column, line: line.slice(0, 200), parseErrors: counts.parseErrors });
      }
      return;
    }
    counts.records++;
    serials.observe(record);
    if (record.type === 'USER') {
      const text = record.fields.text;
      if (text?.startsWith(PROBE_PREFIX)) {
        probes.get(text)?.();
        return;
      }
    }
    assembler?.push(record);
  };

  /** Whether auditd accepted our connection: a message sent through the kernel comes back on the socket in time. */
  const handshake = async (c: AuditdControl, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      const text = PROBE_PREFIX + randomBytes(8).toString('hex');
      let timer: NodeJS.Timeout | undefined;
      const seen = new Promise<boolean>((resolve) => {
        probes.set(text, () => resolve(true));
        timer = setTimeout(() => resolve(false), Math.min(250 * attempt, 1000, Math.max(1, deadline - Date.now())));
      });
      await c.probe(text);
      const ok = await seen;
      clearTimeout(timer);
      probes.delete(text);
      if (ok) return true;
    }
    return false;
  };

  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  /** Closes the socket, flushes what is assembled (waiting up to 5 s for hashes), then restores the machine. */
  const shutdown = async () => {
    reader?.close();
    assembler?.close();
    if (queue.length > 0 || unordered.size > 0) {
      await new Promise<void>((resolve) => {
        // File events wait up to 5 s for their file to settle.
        const timer = setTimeout(resolve, 6000);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    drained = undefined;
    sinkClosed = true;
    await control?.restore();
  };

  const stop = async () => {
    if (starting) await starting.catch(() => undefined);
    if (state === 'idle' || state === 'stopped') {
      state = 'stopped';
      return stopping;
    }
    state = 'stopped';
    stopping = shutdown();
    return stopping;
  };

  const start = async (target: EventSink) => {
    sink = target;
    hashes = createHashCache({ maxBytes: options.hashMaxBytes ?? DEFAULT_HASH_MAX_BYTES });
    const users = createUserNames();
    build = createProcessEventBuilder({ hashFile: (path) => hashes!.sha256(path), users, execStarts: options.execStarts });
    systemEvents = createSystemEventBuilder({ entityOf: build.entityOf, users });
    let extraRules: string[][] = system ? systemAuditRules({ key: RULE_KEY, selfPid: process.pid, sensitivePaths: SENSITIVE_READ_PATHS.filter((path) => existsSync(path)) }) : [];
    if (options.files !== false) {
      const config = options.files ?? fileWatchConfigFromEnv();
      const set = resolveWatchSet(config);
      for (const skipped of set.skipped) {
        // The defaults name folders that may be missing or nested on purpose; configured paths are reported.
        if (config.paths !== undefined) warn(`file watch ${skipped.path} left out: ${skipped.reason}`);
      }
      extraRules.push(...fileAuditRules(set, { selfPid: process.pid, ...config }));
      counts.watchRules = set.watch.length;
      inspector = createFileInspector({ sha256: (path) => hashes!.sha256(path) });
      files = createFileEventBuilder({
        users,
        entityOf: build.entityOf,
        readExecutable: readProcExecutable,
        inspect: (path) => inspector!.inspect(path),
        selfPid: process.pid,
        exclude: set.exclude,
      });
    }
    assembler = createAssembler({
      onEvent,
      onDrop: () => {
        counts.dropped++;
        if (counts.dropped <= WARN_FIRST || counts.dropped % WARN_EVERY === 0) warn('dropped an incomplete audit event: too many open', { dropped: counts.dropped });
      },
      ...(options.flushMs !== undefined ? { flushMs: options.flushMs } : {}),
      ...(options.maxOpenEvents !== undefined ? { maxOpen: options.maxOpenEvents } : {}),
    });
    control = createAuditdControl({ socketPath, warn, extraRules, ...(options.pluginConfPath ? { pluginConfPath: options.pluginConfPath } : {}) });
    reader = createSocketReader({ path: socketPath, onLine, onProblem: warn });
    try {
      await control.setUp();
      await reader.connect();
      if (!(await handshake(control, 2000))) {
        reader.close();
        await control.restartDaemon();
        reader = createSocketReader({ path: socketPath, onLine, onProblem: warn });
        await reader.connect();
        if (!(await handshake(control, 10000))) {
          throw new VigilError('unavailable', `auditd delivered no records on ${socketPath}; another client may hold the af_unix plugin's single connection`);
        }
      }
      await control.installRules();
      state = 'running';
      if (ldPreload) await reportPreloadInUse();
    } catch (error) {
      state = 'stopped';
      stopping = shutdown();
      throw await startFailure(error, 'starting the auditd source', stopping);
    }
  };

  /** /etc/ld.so.preload in use when collection starts: one ld_preload event per library it lists. */
  const reportPreloadInUse = async () => {
    const text = await readFile(LD_SO_PRELOAD, 'utf8').catch(() => undefined);
    const libraries = text === undefined ? [] : parsePreloadList(text.slice(0, 65536), true);
    if (libraries.length > 0) emitAll(ldSoPreloadEvents(libraries));
  };

  return {
    name: 'auditd',
    platforms: ['linux'],

    start(target) {
      if (state !== 'idle') return Promise.reject(new VigilError('internal', 'the auditd source can be started only once'));
      state = 'starting';
      starting = start(target).finally(() => (starting = undefined));
      return starting;
    },

    stop,

    stats() {
      const a = assembler?.stats();
      const r = reader?.stats();
      const h = hashes?.stats();
      const fs = files?.stats();
      const fi = inspector?.stats();
      return {
        records: counts.records,
        events: counts.events,
        parseErrors: counts.parseErrors,
        dropped: counts.dropped + counts.pendingDropped,
        truncatedRecords: a?.truncatedRecords ?? 0,
        openEvents: a?.open ?? 0,
        openEventsPeak: a?.openPeak ?? 0,
        pendingEvents: queue.length,
        /** Most converted events waiting at once (for a hash, a file to settle, or an earlier event) since start. */
        pendingEventsPeak: counts.pendingPeak,
        reconnects: r ? Math.max(0, r.connects - 1) : 0,
        serialGaps: serials.gaps(),
        oversizeLines: r?.oversizeLines ?? 0,
        hashHits: h?.hits ?? 0,
        hashMisses: h?.misses ?? 0,
        watchRules: counts.watchRules,
        fileEvents: fs?.fileEvents ?? 0,
        procMemWrites: fs?.procMemWrites ?? 0,
        procWritesDropped: fs?.procOther ?? 0,
        unresolvedPaths: fs?.unresolved ?? 0,
        filesHashed: fi?.hashed ?? 0,
        filesNotInspected: fi?.skipped ?? 0,
        filesWaiting: fi?.pending ?? 0,
        /** Execs whose process was gone when read (provisional id), and of those the ones the exec start feed named. */
        execsGoneWhenRead: build?.stats().provisional ?? 0,
        execsIdFromFeed: build?.stats().fromFeed ?? 0,
      };
    },
  };
}
