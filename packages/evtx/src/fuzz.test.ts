// Fuzz test: seeded mutations of corpus files (bit flips, truncation, overwritten regions, size fields set to huge or
// tiny values) never make the reader throw or run away: damaged input ends as problems, records stay well-formed.
// Termination comes from the parser's own bounds (work per chunk, nodes per record); no wall-clock asserts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath, seededRandom, VigilError } from '@vigil/common';
import { readEvtxFile, toWindowsRecord, type EvtxFileSummary, type XmlElement } from './index.js';
import { parseChunk } from './internal/chunk.js';
import { MAX_NODES_PER_RECORD } from './internal/binxml.js';
import { MAX_PROBLEMS_PER_FILE } from './reader.js';

const random = seededRandom(0xe7_7e);
const int = (n: number) => Math.floor(random() * n);
const dir = mkdtempSync(join(tmpdir(), 'vigil-evtx-fuzz-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const seeds = [
  corpusPath('evtx', 'parser-edge-cases', 'Application_no_crc32.evtx'),
  corpusPath('evtx', 'parser-edge-cases', 'Microsoft-Windows-LanguagePackSetup%4Operational.evtx'),
  corpusPath('evtx', 'parser-edge-cases', 'E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx'),
  corpusPath('evtx', 'hayabusa-sample-evtx', 'EVTX-to-MITRE-Attack', 'TA0008-Lateral Movement', 'T1021.006-Windows Remote Management', 'ID4656-WS Management listener enumeration.evtx'),
].map((path) => readFileSync(path));

/** Offsets of record signatures, where size fields and binary XML begin. */
function signatures(b: Buffer): number[] {
  const out: number[] = [];
  for (let p = b.indexOf('**\0\0', 0, 'latin1'); p >= 0 && out.length < 5000; p = b.indexOf('**\0\0', p + 1, 'latin1')) out.push(p);
  return out;
}

const HOSTILE_U32 = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 0xffff, 0, 1, 27, 28, 512];

function mutate(original: Buffer): { data: Buffer; how: string } {
  const data = Buffer.from(original);
  const kind = int(6);
  const sigs = signatures(data);
  switch (kind) {
    case 0: {
      const flips = 1 + int(64);
      for (let i = 0; i < flips; i++) {
        const at = int(data.length);
        data[at] = data[at]! ^ (1 << int(8));
      }
      return { data, how: `${flips} bit flips` };
    }
    case 1: {
      const length = int(data.length);
      return { data: data.subarray(0, length), how: `truncated to ${length}` };
    }
    case 2: {
      const at = int(data.length);
      const length = 1 + int(8192);
      for (let i = at; i < Math.min(data.length, at + length); i++) data[i] = int(256);
      return { data, how: `${length} random bytes at ${at}` };
    }
    case 3: {
      // record size fields and the binary XML right after the record header
      const count = 1 + int(8);
      for (let i = 0; i < count && sigs.length > 0; i++) {
        const at = sigs[int(sigs.length)]!;
        const field = [4, 24 + int(64), 24 + int(512)][int(3)]!;
        if (at + field + 4 <= data.length) data.writeUInt32LE(HOSTILE_U32[int(HOSTILE_U32.length)]!, at + field);
      }
      return { data, how: `${count} record fields set to hostile values` };
    }
    case 4: {
      // chunk header fields (free space, last record, checksums, string and template tables) and the file header
      const chunks = Math.max(1, Math.floor((data.length - 4096) / 65536));
      const count = 1 + int(6);
      for (let i = 0; i < count; i++) {
        const base = int(3) === 0 ? 0 : 4096 + 65536 * int(chunks);
        const field = [42, 44, 48, 52, 120, 124, 128 + 4 * int(64), 384 + 4 * int(32)][int(8)]!;
        if (base + field + 4 <= data.length) data.writeUInt32LE(HOSTILE_U32[int(HOSTILE_U32.length)]!, base + field);
      }
      return { data, how: `${count} header fields set to hostile values` };
    }
    default: {
      // 16-bit counts and sizes inside binary XML: value descriptors, name lengths, string lengths
      const count = 1 + int(32);
      for (let i = 0; i < count && sigs.length > 0; i++) {
        const at = sigs[int(sigs.length)]! + 24 + int(1024);
        if (at + 2 <= data.length) data.writeUInt16LE([0xffff, 0x8000, 0, 1][int(4)]!, at);
      }
      return { data, how: `${count} 16-bit fields set to hostile values` };
    }
  }
}

function checkElement(element: XmlElement, depth: number): number {
  assert.equal(typeof element.name, 'string');
  assert.equal(typeof element.attributes, 'object');
  for (const value of Object.values(element.attributes)) assert.equal(typeof value, 'string');
  assert.ok(depth <= 64 * 9, 'rendered tree deeper than the parser allows');
  let nodes = 1;
  for (const child of element.children) nodes += typeof child === 'string' ? 1 : checkElement(child, depth + 1);
  return nodes;
}

async function parseFile(path: string): Promise<{ records: number; summary: EvtxFileSummary }> {
  let records = 0;
  const it = readEvtxFile(path);
  for (;;) {
    const next = await it.next();
    if (next.done) return { records, summary: next.value };
    records++;
    const record = next.value;
    assert.ok(Number.isSafeInteger(record.recordId) && record.recordId >= 0);
    assert.ok(!Number.isNaN(Date.parse(record.writtenAt)));
    assert.ok(checkElement(record.event, 0) <= MAX_NODES_PER_RECORD * 2);
    toWindowsRecord(record);
  }
}

test('mutated corpus files never make the reader throw, and every record it yields is well-formed', async () => {
  const ITERATIONS = 240;
  const kinds = new Map<string, number>();
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = seeds[i % seeds.length]!;
    const { data, how } = mutate(seed);
    const path = join(dir, `m${i}.evtx`);
    writeFileSync(path, data);
    const kind = how.replace(/^\d+ /, '').replace(/ \d+$/, '').replace(/ at \d+$/, '');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    try {
      const { records, summary } = await parseFile(path);
      assert.equal(summary.records, records);
      assert.ok(records <= Math.ceil(data.length / 28), `${records} records from ${data.length} bytes`);
      assert.ok(summary.problems.length <= MAX_PROBLEMS_PER_FILE + 1);
    } catch (error) {
      assert.fail(`iteration ${i} (${how}): ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  assert.equal(kinds.size, 6, `every kind of mutation ran: ${JSON.stringify([...kinds])}`);
});

test('chunks of random bytes, random tokens and overlapping record frames end within the work budget', () => {
  for (let i = 0; i < 60; i++) {
    const chunk = Buffer.alloc(65536);
    const style = i % 3;
    if (style === 0) {
      for (let p = 0; p < chunk.length; p++) chunk[p] = int(256);
    } else {
      // plausible chunk header, then records whose binary XML is a soup of valid token bytes
      // plausible chunk header, then records whose binary XML is a soup of valid token bytes; style 2 overlaps
      // thousands of 32 KiB frames (one every 8 bytes), the worst case for resynchronisation
      const TOKENS = [0x0f, 0x01, 0x41, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x0d, 0x0e, 0x21, 0x00];
      chunk.write('ElfChnk\0', 0, 'latin1');
      chunk.writeUInt32LE(65536, 48);
      for (let q = 512; q < chunk.length; q++) chunk[q] = int(14) === 13 ? int(256) : TOKENS[int(13)]!;
      for (let p = 512; p + 64 < chunk.length; ) {
        const size = style === 1 ? 64 + int(4096) : 32768;
        const end = Math.min(chunk.length - 4, p + size - 4);
        chunk.write('**\0\0', p, 'latin1');
        chunk.writeUInt32LE(end + 4 - p, p + 4);
        chunk.writeUInt32LE(end + 4 - p, end);
        p = style === 1 ? end + 4 : p + 8;
      }
    }
    const result = parseChunk(chunk, chunk.length, { chunkIndex: 0, fileOffset: 4096, noCrc: false });
    for (const record of result.records) checkElement(record.event, 0);
    assert.ok(result.problems.length > 0 || result.records.length > 0 || result.empty);
  }
});

test('unreadable input is a VigilError naming the file; a non-EVTX file is a problem, not an exception', async () => {
  await assert.rejects(parseFile(join(dir, 'does-not-exist.evtx')), (error: unknown) => error instanceof VigilError && error.code === 'not_found' && error.location?.file !== undefined);
  await assert.rejects(parseFile(dir), (error: unknown) => error instanceof VigilError && error.code === 'invalid_input');
  const text = join(dir, 'text.evtx');
  writeFileSync(text, 'not an event log\n'.repeat(10000));
  const { records, summary } = await parseFile(text);
  assert.equal(records, 0);
  assert.match(summary.problems[0]!.message, /no EVTX file signature/);
  const empty = join(dir, 'empty.evtx');
  writeFileSync(empty, '');
  assert.equal((await parseFile(empty)).records, 0);
});
