// Golden test of the live collector's parsing: recorded wevtutil-style event XML (testdata/*.xml, written for these tests
// with invented hosts and accounts) → WindowsEventRecord → Vigil event, against testdata/*.out.json.
// VIGIL_UPDATE_GOLDEN=1 rewrites the .out.json files; without it a missing or different file fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { mapWindowsEvent, recordFromEventXml } from '@vigil/windows';
import { createEventXmlSplitter } from './xml-stream.js';

const dir = join(repoRoot(), 'packages', 'sources', 'src', 'windows-eventlog', 'testdata');
const update = process.env.VIGIL_UPDATE_GOLDEN === '1';
const names = readdirSync(dir).filter((name) => name.endsWith('.xml')).sort();

test('the recorded events cover every channel the collector reads by default', () => {
  assert.ok(names.length >= 20, names.join(', '));
  for (const prefix of ['sysmon-', 'security-', 'system-', 'powershell-4104', 'powershell-800', 'defender-']) assert.ok(names.some((name) => name.startsWith(prefix)), prefix);
});

for (const name of names) {
  test(`golden ${name}: record and mapped event`, () => {
    const xml = readFileSync(join(dir, name), 'utf8');
    const record = recordFromEventXml(xml, name);
    const event = mapWindowsEvent(record) as unknown as Record<string, unknown>;
    const check = checkEvent({ ...event, 'event.id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'event.sequence': 1, 'host.id': 'golden-host' }, name);
    assert.deepEqual(check.problems, [], 'the mapped event passes the schema');
    const actual = JSON.stringify({ record, event }, null, 2) + '\n';
    const outPath = join(dir, name.replace(/\.xml$/, '.out.json'));
    if (update) writeFileSync(outPath, actual);
    assert.ok(existsSync(outPath), `${outPath} is missing; run with VIGIL_UPDATE_GOLDEN=1`);
    assert.equal(actual, readFileSync(outPath, 'utf8'));
  });
}

test('the recorded events written back to back, as wevtutil prints them, frame into the same events in any chunking', () => {
  const texts = names.map((name) => readFileSync(join(dir, name), 'utf8').trim());
  const stream = texts.join('\r\n') + '\r\n';
  for (const chunkSize of [1, 7, 64, 1000, stream.length]) {
    const splitter = createEventXmlSplitter(1 << 20);
    const framed: string[] = [];
    let skipped = 0;
    for (let at = 0; at < stream.length; at += chunkSize) {
      const result = splitter.push(stream.slice(at, at + chunkSize));
      framed.push(...result.events);
      skipped += result.skipped;
    }
    const last = splitter.end();
    framed.push(...last.events);
    skipped += last.skipped;
    assert.equal(skipped, 0, `chunk size ${chunkSize}`);
    assert.deepEqual(framed, texts, `chunk size ${chunkSize}`);
  }
});
