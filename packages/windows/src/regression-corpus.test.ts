// Runs every SigmaHQ regression .json rendering in the shared corpus through parse, record and mapping, and validates the events.
// Never skips: a missing corpus fails the test (corpusPath throws), and the expected record counts pin the corpus snapshot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { mapWindowsEvent, parseConcatenatedJson, recordFromEvtxJson } from './index.js';

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsonFiles(path));
    else if (entry.name.endsWith('.json')) out.push(path);
  }
  return out.sort();
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

test('every sigma/regression_data .json record maps to a valid Vigil event of its table category', () => {
  const files = jsonFiles(corpusPath('sigma', 'regression_data'));
  const byEventId = new Map<string, number>();
  const byCategory = new Map<string, number>();
  let records = 0;
  let multiObjectFiles = 0;
  for (const file of files) {
    const values = parseConcatenatedJson(readFileSync(file, 'utf8'), file);
    assert.ok(values.length > 0, `${file} holds no JSON value`);
    if (values.length > 1) multiObjectFiles++;
    values.forEach((value, index) => {
      const record = recordFromEvtxJson(value, `${file}#${index}`);
      const event = mapWindowsEvent(record) as unknown as Record<string, unknown>;
      const candidate = { ...event, 'event.id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'event.sequence': records, 'host.id': 'regression-host' };
      const { problems } = checkEvent(candidate, `${file}#${index}`, 100);
      assert.deepEqual(problems, [], `${file}#${index}`);
      assert.deepEqual(event['winlog.event_data'], record.data);
      records++;
      increment(byEventId, `${record.channel} ${record.eventId}`);
      increment(byCategory, `${String(event['event.category'])}/${String(event['event.action'])}`);
    });
  }
  const sorted = (counts: Map<string, number>) => [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => `  ${key}: ${count}`).join('\n');
  console.log(`${files.length} files (${multiObjectFiles} with several objects), ${records} records\nby channel and event id:\n${sorted(byEventId)}\nby category/action:\n${sorted(byCategory)}`);

  // Counts of the corpus snapshot (SigmaHQ @ 8eaafff1): 202 renderings, 13 of them with several records, 238 records.
  assert.equal(files.length, 202);
  assert.equal(multiObjectFiles, 13);
  assert.equal(records, 238);
  // Every Sysmon record of a mapped event id lands in its table category, none falls back to a log record.
  assert.deepEqual(Object.fromEntries(byCategory), {
    'process/start': 151,
    'file/create': 35,
    'registry/value_set': 33,
    'registry/key_delete': 2,
    'registry/value_delete': 3,
    'library/load': 5,
    'injection/process_access': 2,
    'pipe/created': 1,
    'authentication/explicit_credentials': 1,
    'autostart/modified': 1,
    'log/windows_event': 4,
  });
});

test('Sysmon 1 records of the corpus carry the process fields Sigma process_creation rules need', () => {
  const argumentVectors: string[][] = [];
  const file = corpusPath('sigma', 'regression_data', 'rules', 'windows', 'process_creation', 'proc_creation_win_findstr_recon_everyone');
  for (const name of readdirSync(file).filter((entry) => entry.endsWith('.json'))) {
    for (const value of parseConcatenatedJson(readFileSync(join(file, name), 'utf8'), name)) {
      const event = mapWindowsEvent(recordFromEvtxJson(value)) as unknown as Record<string, unknown>;
      assert.equal(event['event.category'], 'process');
      for (const field of ['process.executable', 'process.name', 'process.command_line', 'process.args', 'process.pid', 'process.parent.executable', 'process.parent.pid', 'user.name', 'process.hash.sha256']) {
        assert.notEqual(event[field], undefined, `${name}: ${field}`);
      }
      argumentVectors.push(event['process.args'] as string[]);
    }
  }
  // The rule looks for `findstr ... Everyone`; the command line must have been split into those arguments.
  assert.ok(
    argumentVectors.some((args) => /findstr/i.test(args[0] ?? '') && args.some((arg) => /everyone/i.test(arg))),
    JSON.stringify(argumentVectors),
  );
});
