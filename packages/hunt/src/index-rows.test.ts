// Events listed straight from the embedded store's index and row store (IndexOnly `rows`) are exactly what the plain
// SQL returns, in the same order: newest first by @timestamp to the microsecond, then event.sequence, also when the
// limit cuts through rows sharing one millisecond, with lists, numbers and projections. Sequences joined in memory
// (IndexOnly `sequence`) find the same sequences as SQL on the same ties. Top-N value counts from the index (IndexOnly
// `top`) equal SQL's, in order, with null as a value, and mixed-case values send the query to SQL.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { VigilEvent } from '@vigil/schema';
import { createDuckDbStore } from '@vigil/store';
import { compileHunt } from './compile.js';

const HASH = 'ab'.repeat(32);

function events(host: string, offset: number): VigilEvent[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    // Groups of four rows share a millisecond; two of them share the microsecond too (ordered by event.sequence).
    const micros = String([123001, 123456, 123456, 123999][i % 4]).padStart(6, '0');
    const second = String(Math.floor(i / 4)).padStart(2, '0');
    const base = { '@timestamp': `2026-03-01T10:00:${second}.${micros}Z`, 'event.id': `${host}-${i}`, 'event.sequence': offset + i, 'host.id': host };
    if (i % 3 === 2) {
      out.push({ ...base, 'event.category': 'network', 'event.action': 'connect', 'process.name': 'curl', 'process.hash.sha256': HASH, 'destination.ip': '203.0.113.7', 'destination.port': 4444 });
    } else {
      const args = ['curl', '-s', `http://203.0.113.7/${i}`];
      out.push({ ...base, 'event.category': 'process', 'event.action': 'start', 'process.pid': 100 + i, 'process.name': i % 2 ? 'curl' : 'CURL', 'process.args': args,
        'process.command_line': args.join(' '), 'process.hash.sha256': i % 5 ? HASH : 'cd'.repeat(32) });
    }
  }
  return out as unknown as VigilEvent[];
}

test('index-only event lists, top-N counts and in-memory sequences equal the plain SQL results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-index-rows-'));
  const store = createDuckDbStore({ dataDir: dir, rowCache: true });
  try {
    await store.open();
    await store.append('h1', events('h1', 1));
    await store.append('h2', events('h2', 1000));
    const queries = [
      `any where process.hash.sha256 == "${HASH}"`,
      `any where process.hash.sha256 == "${HASH}" | limit 5`,
      `any where process.hash.sha256 == "${HASH}" | limit 6`,
      `process where process.name == "curl" | limit 9`,
      `network where destination.ip == "203.0.113.7" | fields event.id, destination.port, @timestamp`,
      `any where process.args == "-S" | fields process.args, event.sequence | limit 13`,
    ];
    for (const text of queries) {
      const compiled = compileHunt(text, { limit: 1000 });
      assert.equal(compiled.indexed?.indexOnly?.kind, 'rows', text);
      const before = store.stats?.()['index_row_store_searches'] ?? 0;
      const viaIndex = await store.search({ sql: compiled.sql, params: compiled.params, indexed: compiled.indexed! });
      assert.equal(store.stats?.()['index_row_store_searches'], before + 1, `${text}: answered from the row store`);
      const plain = await store.search({ sql: compiled.sql, params: compiled.params });
      assert.ok(plain.length > 0, text);
      assert.deepEqual(viaIndex.map((r) => JSON.stringify(r)), plain.map((r) => JSON.stringify(r)), text);
    }
    const sequences = [
      'sequence by host.id maxspan=1m [process where process.name == "curl"] [network where destination.port == 4444]',
      'sequence by host.id maxspan=1m [process where process.name == "curl"] [network where destination.port == 4444] | stats count()',
      `sequence by host.id [any where process.hash.sha256 == "${HASH}"] [any where process.hash.sha256 == "${HASH}"] [process where process.name == "curl"]`,
      'sequence by host.id maxspan=2s [network where destination.port == 4444] [network where destination.port == 4444]',
    ];
    const compareSequences = async (label: string) => {
      for (const text of sequences) {
        const compiled = compileHunt(text, { limit: 1000 });
        assert.equal(compiled.indexed?.indexOnly?.kind, 'sequence', text);
        const before = store.stats?.()['index_answered_searches'] ?? 0;
        const viaIndex = await store.search({ sql: compiled.sql, params: compiled.params, indexed: compiled.indexed! });
        assert.equal(store.stats?.()['index_answered_searches'], before + 1, `${label}: ${text}: joined in memory`);
        const plain = await store.search({ sql: compiled.sql, params: compiled.params });
        assert.ok(plain.length > 0 && (plain[0]!['count'] ?? 1) !== 0, `${label}: ${text}: finds sequences`);
        const canon = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
        assert.deepEqual(canon(viaIndex), canon(plain), `${label}: ${text}`);
      }
    };
    await compareSequences('first load');
    // The steps' values keep their rows' columns (step columns): after more rows are appended they are extended.
    const held = store.stats?.()['index_step_column_rows'] ?? 0;
    assert.ok(held > 0, 'sequence steps were read from step columns');
    await store.append('h4', events('h4', 1));
    await store.append('h3', events('h3', 1));
    await compareSequences('after appends');
    assert.ok((store.stats?.()['index_step_column_rows'] ?? 0) > held, 'the step columns were extended');
    const tops: [string, boolean][] = [
      ['any | top 3 process.hash.sha256', true],
      ['network | top 2 process.hash.sha256', true],
      ['any | top 5 event.action', true],
      ['any | top 4 destination.ip', true],
      ['network | top 1 process.name', true],
      // 'CURL' is stored in upper case: the index keeps case-folded keys only, so SQL answers.
      ['process | top 2 process.name', false],
    ];
    for (const [text, fromIndex] of tops) {
      const compiled = compileHunt(text, { limit: 1000 });
      assert.equal(compiled.indexed?.indexOnly?.kind, 'top', text);
      const before = store.stats?.()['index_answered_searches'] ?? 0;
      const viaIndex = await store.search({ sql: compiled.sql, params: compiled.params, indexed: compiled.indexed! });
      assert.equal(store.stats?.()['index_answered_searches'], before + (fromIndex ? 1 : 0), `${text}: answered from the index: ${fromIndex}`);
      const plain = await store.search({ sql: compiled.sql, params: compiled.params });
      assert.ok(plain.length > 0, text);
      assert.deepEqual(viaIndex.map((r) => JSON.stringify(r)), plain.map((r) => JSON.stringify(r)), text);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in-memory sequence counts equal SQL when several sequences end on one event and when event ids repeat', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-index-rows-'));
  const store = createDuckDbStore({ dataDir: dir, rowCache: true });
  // Per host: three curl starts, then two connects to port 4444, a second apart; with `repeat` the connects of each
  // pair share one event.id, so the count must not take rows for events (a first step with repeated ids goes to SQL).
  const hostEvents = (host: string, offset: number, repeat: boolean): VigilEvent[] => {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      const block = Math.floor(i / 5);
      const base = { '@timestamp': new Date(Date.UTC(2026, 2, 1, 10) + i * 1000).toISOString(), 'event.sequence': offset + i, 'host.id': host };
      if (i % 5 < 3) out.push({ ...base, 'event.id': `${host}-${i}`, 'event.category': 'process', 'event.action': 'start', 'process.pid': 100 + i, 'process.name': 'curl' });
      else out.push({ ...base, 'event.id': repeat ? `${host}-n${block}` : `${host}-${i}`, 'event.category': 'network', 'event.action': 'connect', 'destination.port': 4444 });
    }
    return out as unknown as VigilEvent[];
  };
  try {
    await store.open();
    await store.append('h1', hostEvents('h1', 1, false));
    await store.append('h2', hostEvents('h2', 1, true));
    const texts = [
      'sequence by host.id maxspan=1m [process where process.name == "curl"] [network where destination.port == 4444] | stats count()',
      'sequence by host.id maxspan=3s [process where process.name == "curl"] [network where destination.port == 4444] | stats count()',
      'sequence by host.id [network where destination.port == 4444] [network where destination.port == 4444] | stats count()',
      'sequence by host.id maxspan=1m [process where process.name == "curl"] [network where destination.port == 4444]',
    ];
    let answered = 0;
    for (const text of texts) {
      const compiled = compileHunt(text, { limit: 1000 });
      assert.equal(compiled.indexed?.indexOnly?.kind, 'sequence', text);
      const before = store.stats?.()['index_answered_searches'] ?? 0;
      const viaIndex = await store.search({ sql: compiled.sql, params: compiled.params, indexed: compiled.indexed! });
      answered += (store.stats?.()['index_answered_searches'] ?? 0) - before;
      const plain = await store.search({ sql: compiled.sql, params: compiled.params });
      assert.ok(plain.length > 0 && (plain[0]!['count'] ?? 1) !== 0, `${text}: finds sequences`);
      const canon = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
      assert.deepEqual(canon(viaIndex), canon(plain), text);
    }
    assert.equal(answered, 3, 'the sequences whose first step has no repeated id were joined in memory');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
