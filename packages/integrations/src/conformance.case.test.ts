// The shared conformance suite every Exporter runs against a real local receiver (see */*-exporter.test.ts).
// It states the Exporter contract: delivery with identity and text intact, order kept, `unavailable` when unreachable.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VigilError } from '@vigil/common';
import type { Exporter, ExportRecord } from './core.js';
import { HOSTILE_TEXT, alertRecord, eventRecord } from './testing/samples.js';

/** What the receiver decoded from one record: its identity and its text (alert title or event command line). */
export interface ReceivedRecord {
  id: string;
  text: string;
}

export interface ConformanceSubject {
  exporter: Exporter;
  /** Records decoded so far, in arrival order; decoding also checks the wire format (it throws on a bad message). */
  received(): ReceivedRecord[];
  /** Stops the receiver for good. */
  stopReceiver(): Promise<void>;
  /** Closes the exporter and the receiver. */
  dispose(): Promise<void>;
}

export interface ExporterConformanceOptions {
  name: string;
  create(): Promise<ConformanceSubject>;
}

async function arrival(subject: ConformanceSubject, count: number): Promise<ReceivedRecord[]> {
  for (let i = 0; i < 200; i++) {
    const got = subject.received();
    if (got.length >= count) return got;
    await new Promise((r) => setTimeout(r, 10));
  }
  return subject.received();
}

const textOf = (record: ExportRecord) => (record.type === 'alert' ? record.alert.ruleTitle : String(record.event['process.command_line']));
const idOf = (record: ExportRecord) => (record.type === 'alert' ? record.alert.id : String(record.event['event.id']));

export function runExporterConformance(options: ExporterConformanceOptions): void {
  describe(`Exporter conformance: ${options.name}`, () => {
    test('an alert arrives with its id and its text intact, escaping included', async () => {
      const subject = await options.create();
      try {
        const record = alertRecord({ ruleTitle: HOSTILE_TEXT });
        await subject.exporter.send([record]);
        assert.deepEqual(await arrival(subject, 1), [{ id: idOf(record), text: HOSTILE_TEXT }]);
      } finally {
        await subject.dispose();
      }
    });

    test('a batch of alerts and raw events arrives complete and in order', async () => {
      const subject = await options.create();
      try {
        const records = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? eventRecord({ 'process.command_line': `${HOSTILE_TEXT} #${i}` }) : alertRecord({ ruleTitle: `rule ${i}` })));
        await subject.exporter.send(records.slice(0, 10));
        await subject.exporter.send(records.slice(10));
        assert.deepEqual(await arrival(subject, 20), records.map((r) => ({ id: idOf(r), text: textOf(r) })));
      } finally {
        await subject.dispose();
      }
    });

    test('an empty send resolves without contacting the destination', async () => {
      const subject = await options.create();
      try {
        await subject.stopReceiver();
        await subject.exporter.send([]);
      } finally {
        await subject.dispose();
      }
    });

    test('a receiver that is gone makes send fail with unavailable (at once, or on the next send for socket transports)', async () => {
      const subject = await options.create();
      try {
        await subject.exporter.send([alertRecord()]);
        await arrival(subject, 1);
        await subject.stopReceiver();
        let failure: unknown;
        // Syslog has no acknowledgement: a write can be accepted by a socket whose peer just left; the next one fails.
        for (let attempt = 0; attempt < 5 && failure === undefined; attempt++) {
          try {
            await subject.exporter.send([alertRecord()]);
            await new Promise((r) => setTimeout(r, 20));
          } catch (error) {
            failure = error;
          }
        }
        assert.ok(failure instanceof VigilError, `expected a VigilError, got ${String(failure)}`);
        assert.equal(failure.code, 'unavailable');
      } finally {
        await subject.dispose();
      }
    });

    test('send after close is refused with unavailable', async () => {
      const subject = await options.create();
      try {
        await subject.exporter.close();
        await assert.rejects(subject.exporter.send([alertRecord()]), (error: unknown) => error instanceof VigilError && error.code === 'unavailable');
      } finally {
        await subject.dispose();
      }
    });
  });
}
