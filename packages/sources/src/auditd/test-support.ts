// Helpers shared by the auditd source's unit and golden tests: raw audit text in, process events out.
// Test support only; production code never imports it.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { checkEvent } from '@vigil/schema';
import { createAssembler } from './assembler.js';
import { createProcessEventBuilder, type ProcessCollectedEvent, type ProcessEventOptions } from './process-events.js';
import { parseRecord, type AuditRecord } from './record-parser.js';

/** Assembles raw audit lines into record groups (records without EOE are flushed at the end). */
export function groupsOf(text: string): AuditRecord[][] {
  const groups: AuditRecord[][] = [];
  const assembler = createAssembler({ onEvent: (records) => groups.push(records) });
  for (const line of text.split('\n')) if (line.trim()) assembler.push(parseRecord(line));
  assembler.close();
  return groups;
}

/** Converts every group of a raw log into process events, without reading executables from disk. */
export async function convertAuditText(text: string, options: ProcessEventOptions = {}): Promise<ProcessCollectedEvent[]> {
  const builder = createProcessEventBuilder({ readExecutable: () => undefined, readStartTicks: () => undefined, bootId: 'test-boot', ...options });
  const events: ProcessCollectedEvent[] = [];
  for (const group of groupsOf(text)) {
    const event = await builder.build(group);
    if (event) events.push(event);
  }
  return events;
}

/** Asserts that the event, completed with the fields the agent adds, passes the schema validator. */
export function assertValidProcessEvent(event: ProcessCollectedEvent): void {
  const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'test-host' };
  assert.deepEqual(checkEvent(full, 'event').problems, []);
}

/** The `name: |` blocks of go-libaudit's aucoalesce YAML test files, each a list of record lines. */
export function yamlCases(text: string): Map<string, string[]> {
  const cases = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const header = /^ {2}(\S.*?):\s*[|>]\s*$/.exec(line);
    if (header) {
      current = [];
      cases.set(header[1]!, current);
    } else if (current && /^ {4}\S/.test(line)) {
      current.push(line.slice(4));
    }
  }
  return cases;
}
