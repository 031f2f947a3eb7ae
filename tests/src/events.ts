// Builders of schema-valid events for end-to-end tests that post batches as a simulated agent.

import { randomUUID } from 'node:crypto';

export function processEvent(hostId: string, sequence: number, marker: string): Record<string, unknown> {
  return {
    '@timestamp': new Date().toISOString(),
    'event.id': randomUUID(),
    'event.sequence': sequence,
    'event.category': 'process',
    'event.action': 'start',
    'host.id': hostId,
    'process.pid': 10_000 + (sequence % 50_000),
    'process.parent.pid': 1,
    'process.executable': '/usr/bin/true',
    'process.name': 'true',
    'process.args': ['true', marker],
    'process.command_line': `true ${marker}`,
    'user.id': '0',
    'user.name': 'root',
  };
}

export function batchBody(hostId: string, events: unknown[]): string {
  return JSON.stringify({ host_id: hostId, events });
}
