// The Windows event log source against a stand-in for wevtutil (a Node script answering the same queries from
// recorded XML): positioning, polling, bookmarks across restarts, missing channels, cleared logs, bad events, encodings.
// Windows is not available here; what wevtutil itself does is taken from its documentation, not tested.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, VigilError } from '@vigil/common';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import type { EventSink, EventSource } from '../core.js';
import { createWindowsEventLogSource, decodeCommandOutput, wevtutilCommand, type ChannelQuery } from './index.js';

const testdata = join(repoRoot(), 'packages', 'sources', 'src', 'windows-eventlog', 'testdata');
const work = mkdtempSync(join(tmpdir(), 'vigil-wevtutil-'));
/** Every source a test creates, stopped at the end even when an assertion failed first (a running poller would keep the test process alive). */
const started: EventSource[] = [];
after(async () => {
  await Promise.all(started.map((source) => source.stop()));
  rmSync(work, { recursive: true, force: true });
});
function tracked(source: EventSource): EventSource {
  started.push(source);
  return source;
}

/**
 * The stand-in: reads `log.json` ({channel: [event XML, ...]}) and answers one query given as JSON, like
 * `wevtutil qe` does: events with a larger record id, oldest first, at most `count`; or the newest one. A channel
 * missing from the log fails like wevtutil (exit 15, message on stderr).
 */
const fakeScript = join(work, 'fake-wevtutil.mjs');
writeFileSync(
  fakeScript,
  `import { readFileSync } from 'node:fs';
const [logFile, queryText] = process.argv.slice(2);
const query = JSON.parse(queryText);
const log = JSON.parse(readFileSync(logFile, 'utf8'));
const events = log[query.channel];
if (!events) { process.stderr.write('Failed to read events. The specified channel could not be found.\\r\\n'); process.exit(15); }
const id = (xml) => Number(/<EventRecordID>(\\d+)<\\/EventRecordID>/.exec(xml)?.[1] ?? -1);
let chosen = events.slice().sort((a, b) => id(a) - id(b));
if (query.newest) chosen = chosen.slice(-1);
else chosen = chosen.filter((xml) => id(xml) > query.afterRecordId).slice(0, query.count);
const text = chosen.join('\\r\\n') + (chosen.length ? '\\r\\n' : '');
process.stdout.write(log.utf16 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) : Buffer.from(text));
`,
);

const recorded = readdirSync(testdata)
  .filter((name) => name.endsWith('.xml'))
  .sort()
  .map((name) => readFileSync(join(testdata, name), 'utf8').trim());
const channelOf = (xml: string) => /<Channel>([^<]*)<\/Channel>/.exec(xml)?.[1] ?? '';
const withRecordId = (xml: string, id: number) => xml.replace(/<EventRecordID>\d+<\/EventRecordID>/, `<EventRecordID>${id}</EventRecordID>`);

function writeLog(file: string, log: Record<string, unknown>): void {
  writeFileSync(file, JSON.stringify(log));
}

function byChannel(events: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const xml of events) (out[channelOf(xml)] ??= []).push(xml);
  return out;
}

function collector(): EventSink & { events: Record<string, unknown>[]; warnings: string[] } {
  const events: Record<string, unknown>[] = [];
  const warnings: string[] = [];
  return { events, warnings, emit: (event: CollectedEvent) => events.push(event as unknown as Record<string, unknown>), warn: (message) => warnings.push(message) };
}

function fakeCommand(logFile: string) {
  return (query: ChannelQuery) => ({ file: process.execPath, args: [fakeScript, logFile, JSON.stringify(query)] });
}

async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function assertValid(event: Record<string, unknown>): void {
  const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'test-host' };
  assert.deepEqual(checkEvent(full, 'event').problems, []);
}

test('wevtutil arguments: records after a bookmark oldest first, or the newest record', () => {
  assert.deepEqual(wevtutilCommand({ channel: 'Security', afterRecordId: 41, count: 500 }), { file: 'wevtutil.exe', args: ['qe', 'Security', '/q:*[System[(EventRecordID>41)]]', '/c:500', '/f:xml'] });
  assert.deepEqual(wevtutilCommand({ channel: 'Windows PowerShell', newest: true }), { file: 'wevtutil.exe', args: ['qe', 'Windows PowerShell', '/c:1', '/rd:true', '/f:xml'] });
});

test('command output is decoded from UTF-8 or UTF-16LE, with or without a byte order mark', () => {
  const text = "<Event><Computer>Bürö-01</Computer></Event>";
  assert.equal(decodeCommandOutput(Buffer.from(text, 'utf8')), text);
  assert.equal(decodeCommandOutput(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])), text);
  assert.equal(decodeCommandOutput(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])), text);
  assert.equal(decodeCommandOutput(Buffer.from(text, 'utf16le')), text);
  assert.equal(decodeCommandOutput(Buffer.alloc(0)), '');
});

test('from the oldest record: every recorded event of every channel is emitted once, mapped and valid; a missing channel is reported', async () => {
  const logFile = join(work, 'all.json');
  writeLog(logFile, byChannel(recorded));
  const channels = [...new Set(recorded.map(channelOf))];
  const source = tracked(createWindowsEventLogSource({ channels: [...channels, 'Microsoft-Windows-Nothing/Operational'], startAt: 'oldest', pollMs: 20, batchSize: 3, command: fakeCommand(logFile) }));
  const sink = collector();
  await source.start(sink);
  await until('all recorded events', () => sink.events.length >= recorded.length);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await source.stop();
  assert.equal(sink.events.length, recorded.length, 'no event is emitted twice');
  for (const event of sink.events) assertValid(event);
  const ids = sink.events.map((event) => `${String(event['winlog.channel'])}#${String(event['winlog.record_id'])}`);
  assert.equal(new Set(ids).size, recorded.length);
  assert.equal(sink.warnings.filter((w) => w.includes('Microsoft-Windows-Nothing/Operational') && w.includes('could not be found')).length, 1, sink.warnings.join('\n'));
  const stats = source.stats();
  assert.equal(stats['events'], recorded.length);
  assert.equal(stats['parseErrors'], 0);
  assert.ok((stats['queryFailures'] ?? 0) >= 1);
});

test('from the newest record: only events written after start arrive; a restart resumes at the bookmark without repeats', async () => {
  const logFile = join(work, 'live.json');
  const bookmarkFile = join(work, 'bookmarks', 'eventlog.json');
  const security = recorded.filter((xml) => channelOf(xml) === 'Security');
  assert.ok(security.length >= 5);
  let next = 100;
  const log: string[] = security.slice(0, 2).map((xml) => withRecordId(xml, next++));
  writeLog(logFile, { Security: log });
  const options = { channels: ['Security'], pollMs: 20, bookmarkFile, command: fakeCommand(logFile) };

  const first = tracked(createWindowsEventLogSource(options));
  const sink = collector();
  await first.start(sink);
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(sink.events.length, 0, 'events older than the start are not replayed');
  log.push(withRecordId(security[2]!, next++), withRecordId(security[3]!, next++));
  writeLog(logFile, { Security: log });
  await until('two new events', () => sink.events.length === 2);
  await first.stop();
  assert.deepEqual(JSON.parse(readFileSync(bookmarkFile, 'utf8')), { Security: 103 });

  // Written while the agent was down: read after the restart, nothing before the bookmark again.
  log.push(withRecordId(security[4]!, next++));
  writeLog(logFile, { Security: log });
  const second = tracked(createWindowsEventLogSource(options));
  const after = collector();
  await second.start(after);
  await until('the event written while stopped', () => after.events.length === 1);
  await new Promise((resolve) => setTimeout(resolve, 150));
  await second.stop();
  assert.deepEqual(after.events.map((event) => event['winlog.record_id']), [104]);
});

test('a cleared log (record ids start again) is noticed and read from its start', async () => {
  const logFile = join(work, 'cleared.json');
  const system = recorded.filter((xml) => channelOf(xml) === 'System');
  writeLog(logFile, { System: [withRecordId(system[0]!, 5000)] });
  const source = tracked(createWindowsEventLogSource({ channels: ['System'], pollMs: 5, command: fakeCommand(logFile) }));
  const sink = collector();
  await source.start(sink);
  writeLog(logFile, { System: [withRecordId(system[0]!, 1), withRecordId(system[1]!, 2)] });
  await until('the events of the new log', () => sink.events.length === 2);
  await source.stop();
  assert.deepEqual(sink.events.map((event) => event['winlog.record_id']), [1, 2]);
  assert.equal(source.stats()['logClears'], 1);
  assert.ok(sink.warnings.some((w) => w.includes('restarted its record ids')));
});

test('a bad event is reported and skipped, the bookmark still passes it, and UTF-16 output is read', async () => {
  const logFile = join(work, 'bad.json');
  const sysmon = recorded.filter((xml) => channelOf(xml) === 'Microsoft-Windows-Sysmon/Operational');
  const broken = withRecordId(sysmon[0]!, 2).replace(/<TimeCreated [^>]*\/>/, "<TimeCreated SystemTime='yesterday'/>");
  const truncated = withRecordId(sysmon[1]!, 3).replace('</EventData></Event>', '</EventData>');
  writeLog(logFile, { utf16: true, 'Microsoft-Windows-Sysmon/Operational': [withRecordId(sysmon[0]!, 1), broken, truncated, withRecordId(sysmon[2]!, 4)] });
  const source = tracked(createWindowsEventLogSource({ channels: ['Microsoft-Windows-Sysmon/Operational'], startAt: 'oldest', pollMs: 10, command: fakeCommand(logFile) }));
  const sink = collector();
  await source.start(sink);
  await until('the good events', () => sink.events.length === 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await source.stop();
  assert.deepEqual(sink.events.map((event) => event['winlog.record_id']), [1, 4]);
  assert.equal(source.stats()['parseErrors'], 1, 'the event with a bad time');
  assert.ok((source.stats()['skippedXml'] ?? 0) >= 1, 'the unterminated event');
  assert.ok(sink.warnings.some((w) => w.includes('could not be read')));
});

test('start fails with "unavailable" when no channel can be read, and stop is then harmless', async () => {
  const logFile = join(work, 'empty.json');
  writeLog(logFile, {});
  const source = tracked(createWindowsEventLogSource({ channels: ['Security', 'System'], command: fakeCommand(logFile) }));
  await assert.rejects(source.start(collector()), (error: unknown) => error instanceof VigilError && error.code === 'unavailable');
  await source.stop();
  const missing = tracked(createWindowsEventLogSource({ channels: ['Security'], command: () => ({ file: join(work, 'no-such-wevtutil'), args: [] }) }));
  await assert.rejects(missing.start(collector()), (error: unknown) => error instanceof VigilError && error.code === 'unavailable' && /none of the event log channels/.test(error.message));
});
