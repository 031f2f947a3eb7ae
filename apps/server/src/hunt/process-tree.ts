// Process trees from stored events: a process (by entity id), its ancestors, its descendants, and what each did
// (events of any category carrying its entity id). Parameterised SQL only; bounded in depth and size.

import { VigilError } from '@vigil/common';
import type { EventStore } from '@vigil/store';
import { CHANGE_RECORD_CATEGORIES, attachActingProcess } from '../inventory/host-changes.js';

export interface ProcessNode {
  entityId: string;
  parentEntityId: string | null;
  pid: number | null;
  ppid: number | null;
  executable: string | null;
  commandLine: string | null;
  user: string | null;
  start: string | null;
  end: string | null;
  exitCode: number | null;
  /** `category/action` → number of events this process produced (files, connections, DNS, ...). */
  activity: Record<string, number>;
}

export interface ProcessTree {
  hostId: string;
  rootEntityId: string;
  /** Nearest first. */
  ancestors: ProcessNode[];
  /** The process itself and its descendants, breadth first. */
  nodes: ProcessNode[];
  edges: { parent: string; child: string }[];
  truncated: boolean;
}

const MAX_ANCESTORS = 32;
const MAX_DEPTH = 10;
const MAX_NODES = 2000;
const CHUNK = 500;

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);

export async function processTree(store: EventStore, hostId: string, entityId: string): Promise<ProcessTree> {
  const nodes = new Map<string, ProcessNode>();

  /** Start and exit events of these processes, folded into nodes. */
  async function load(entityIds: readonly string[]): Promise<void> {
    for (let i = 0; i < entityIds.length; i += CHUNK) {
      const chunk = entityIds.slice(i, i + CHUNK);
      const placeholders = chunk.map((_, k) => `$${k + 2}`).join(', ');
      const rows = await store.search({
        sql: `SELECT "process.entity_id", "process.parent.entity_id", "process.pid", "process.parent.pid", "process.executable", "process.command_line",
                     "user.name", "event.action", "@timestamp", "process.exit_code"
              FROM events_process WHERE "host.id" = $1 AND "process.entity_id" IN (${placeholders}) ORDER BY "@timestamp"`,
        params: [hostId, ...chunk],
      });
      for (const row of rows) {
        const id = String(row['process.entity_id']);
        const node = nodes.get(id) ?? {
          entityId: id, parentEntityId: null, pid: null, ppid: null, executable: null, commandLine: null, user: null, start: null, end: null, exitCode: null, activity: {},
        };
        node.parentEntityId ??= str(row['process.parent.entity_id']);
        node.pid ??= num(row['process.pid']);
        node.ppid ??= num(row['process.parent.pid']);
        if (row['event.action'] === 'start') {
          // The last exec of a process names what it runs now; the first one is when it started.
          node.executable = str(row['process.executable']) ?? node.executable;
          node.commandLine = str(row['process.command_line']) ?? node.commandLine;
          node.user = str(row['user.name']) ?? node.user;
          node.start ??= str(row['@timestamp']);
        } else if (row['event.action'] === 'exit') {
          node.end = str(row['@timestamp']);
          node.exitCode = num(row['process.exit_code']);
          node.executable ??= str(row['process.executable']);
        }
        nodes.set(id, node);
      }
    }
  }

  async function activity(entityIds: readonly string[]): Promise<void> {
    for (let i = 0; i < entityIds.length; i += CHUNK) {
      const chunk = entityIds.slice(i, i + CHUNK);
      const placeholders = chunk.map((_, k) => `$${k + 2}`).join(', ');
      const rows = await store.search({
        sql: `SELECT "process.entity_id" AS id, "event.category" || '/' || "event.action" AS kind, count(*) AS n
              FROM events WHERE "host.id" = $1 AND "process.entity_id" IN (${placeholders}) AND "event.category" <> 'process' GROUP BY 1, 2`,
        params: [hostId, ...chunk],
      });
      for (const row of rows) {
        const node = nodes.get(String(row.id));
        if (node) node.activity[String(row.kind)] = Number(row.n);
      }
    }
  }

  await load([entityId]);
  const root = nodes.get(entityId);
  if (!root) throw new VigilError('not_found', `no process ${entityId} on host ${hostId}`, { location: { path: 'entity_id' } });

  const ancestors: ProcessNode[] = [];
  const seen = new Set([entityId]);
  let parent = root.parentEntityId;
  while (parent && ancestors.length < MAX_ANCESTORS && !seen.has(parent)) {
    seen.add(parent);
    await load([parent]);
    const node = nodes.get(parent) ?? { entityId: parent, parentEntityId: null, pid: root.ppid, ppid: null, executable: null, commandLine: null, user: null, start: null, end: null, exitCode: null, activity: {} };
    nodes.set(parent, node);
    ancestors.push(node);
    parent = node.parentEntityId;
  }

  const tree: ProcessNode[] = [root];
  const edges: ProcessTree['edges'] = [];
  let frontier = [entityId];
  let truncated = false;
  for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
    const children: string[] = [];
    for (let i = 0; i < frontier.length; i += CHUNK) {
      const chunk = frontier.slice(i, i + CHUNK);
      const placeholders = chunk.map((_, k) => `$${k + 2}`).join(', ');
      // The store's edge index when it has one (a hop in memory), else SQL.
      const indexed = await store.processChildren?.(hostId, chunk);
      const rows = indexed
        ? indexed.sort((a, b) => (a.child < b.child ? -1 : a.child > b.child ? 1 : 0)).slice(0, MAX_NODES + 1)
        : await store.search({
            sql: `SELECT DISTINCT "process.entity_id" AS child, "process.parent.entity_id" AS parent FROM events_process
              WHERE "host.id" = $1 AND "process.parent.entity_id" IN (${placeholders}) AND "process.entity_id" IS NOT NULL LIMIT ${MAX_NODES + 1}`,
            params: [hostId, ...chunk],
          });
      for (const row of rows) {
        const child = String(row.child);
        if (seen.has(child)) continue;
        if (tree.length + children.length >= MAX_NODES) {
          truncated = true;
          break;
        }
        seen.add(child);
        children.push(child);
        edges.push({ parent: String(row.parent), child });
      }
    }
    await load(children);
    for (const child of children) {
      const node = nodes.get(child);
      if (node) tree.push(node);
    }
    frontier = children;
    if (depth === MAX_DEPTH - 1 && frontier.length) truncated = true;
  }
  await activity([...tree, ...ancestors].map((node) => node.entityId));
  return { hostId, rootEntityId: entityId, ancestors, nodes: tree, edges, truncated };
}

export interface Storyline {
  alertId: string;
  hostId: string;
  window: { start: string; end: string };
  /** The events that made the alert. */
  alertEvents: Record<string, unknown>[];
  /** The tree around the acting process, when the events carry a process entity id. */
  tree: ProcessTree | null;
  /** Events of the tree's processes inside the window (files, connections, DNS, children...), oldest first. */
  events: Record<string, unknown>[];
  /**
   * Change records (autostart, accounts, services, drivers) inside the window whose `acting_process` — taken from the
   * file write just before each, as in "what changed since T" — is one of the tree's processes. Oldest first.
   */
  changes: Record<string, unknown>[];
  /** Other alerts of the host inside the window, with their rules' ATT&CK tags. */
  relatedAlerts: { id: string; ruleId: string; ruleTitle: string; level: string; tags: string[]; firstSeen: string; lastSeen: string }[];
  /** ATT&CK tags of every alert in the storyline. */
  tags: string[];
}

const MAX_STORY_EVENTS = 2000;

/** The connected events around an alert: its events, its acting process tree, their activity and other alerts in the window. */
export async function storyline(
  store: EventStore,
  alert: { id: string; hostId: string; eventIds: readonly string[]; firstSeen: string; lastSeen: string; tags: readonly string[] },
  relatedAlerts: Storyline['relatedAlerts'],
  windowMs: number,
): Promise<Storyline> {
  const start = new Date(Date.parse(alert.firstSeen) - windowMs).toISOString();
  const end = new Date(Date.parse(alert.lastSeen) + windowMs).toISOString();
  const ids = alert.eventIds.slice(0, 50);
  const alertEvents = ids.length
    ? await store.search({
        sql: `SELECT * FROM events WHERE "host.id" = $1 AND "event.id" IN (${ids.map((_, i) => `$${i + 2}`).join(', ')}) ORDER BY "@timestamp"`,
        params: [alert.hostId, ...ids],
      })
    : [];
  const entity = alertEvents.map((event) => event['process.entity_id']).find((value): value is string => typeof value === 'string');
  let tree: ProcessTree | null = null;
  let events: Record<string, unknown>[] = [];
  let changes: Record<string, unknown>[] = [];
  if (entity) {
    tree = await processTree(store, alert.hostId, entity);
    const entities = [...tree.ancestors, ...tree.nodes].map((node) => node.entityId).slice(0, CHUNK);
    events = await store.search({
      sql: `SELECT * FROM events WHERE "host.id" = $1 AND "@timestamp" >= CAST($2 AS TIMESTAMP) AND "@timestamp" <= CAST($3 AS TIMESTAMP)
            AND ("process.entity_id" IN (${entities.map((_, i) => `$${i + 4}`).join(', ')}) OR "process.parent.entity_id" IN (${entities.map((_, i) => `$${i + 4}`).join(', ')}))
            ORDER BY "@timestamp" LIMIT ${MAX_STORY_EVENTS}`,
      params: [alert.hostId, start, end, ...entities],
    });
    const inTree = new Set(entities);
    const records = await store.queryEvents({ hostId: alert.hostId, categories: [...CHANGE_RECORD_CATEGORIES], from: start, to: end, limit: MAX_STORY_EVENTS, order: 'asc' });
    for (const record of records) for (const key of Object.keys(record)) if (key.startsWith('vigil.')) delete record[key];
    attachActingProcess(records, events.filter((event) => event['event.category'] === 'file'));
    changes = records.filter((record) => {
      const own = record['process.entity_id'];
      const acting = (record.acting_process as { entity_id?: string } | undefined)?.entity_id;
      return (typeof own === 'string' && inTree.has(own)) || (acting !== undefined && inTree.has(acting));
    });
  }
  const inWindow = relatedAlerts.filter((other) => other.id !== alert.id && other.lastSeen >= start && other.firstSeen <= end);
  const tags = [...new Set([...alert.tags, ...inWindow.flatMap((other) => other.tags)])].filter((tag) => tag.startsWith('attack.')).sort();
  return { alertId: alert.id, hostId: alert.hostId, window: { start, end }, alertEvents, tree, events, changes, relatedAlerts: inWindow, tags };
}
