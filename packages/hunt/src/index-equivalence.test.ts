// Property test of the embedded store's secondary indexes: random events and random hunting queries, each run through
// the plain SQL and through the index (IndexedSelect), and process children from the edge index against SQL; both
// must give the same rows, after appends and a reopen too.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { VigilError, seededRandom } from '@vigil/common';
import type { VigilEvent } from '@vigil/schema';
import { createDuckDbStore } from '@vigil/store';
import { compileHunt } from './compile.js';

const HOSTS = ['h1', 'h2', 'h3'];
const NAMES = ['bash', 'curl', 'python3', 'sshd', 'kworker', 'mimikatz', 'Bash', 'CURL'];
const WORDS = ['-c', '-v', '/dev/shm/kworker', '/tmp/x', 'mimikatz', 'mimikats', 'Invoke-Mimikatz', 'privilege::debug', 'a_b', '100%', 'http://203.0.113.7/x', 'powershel', 'x'];
const HASHES = Array.from({ length: 12 }, (_, i) => (i.toString(16) + 'abcdef0123456789').repeat(4).slice(0, 64));
const IPS = ['10.0.0.1', '10.0.0.2', '203.0.113.7', 'fe80::1', '2001:DB8::5'];
const DOMAINS = ['example.com', 'Evil-C2.example.net', 'tunnel.io'];
const PATHS = ['/tmp/x.sh', '/etc/passwd', '/dev/shm/.k', '/home/u/.bashrc', '/TMP/Upper'];
const USERS = ['root', 'alice', 'Alice', 'bob'];
const PORTS = [4444, 4444, 443, 80, 53];
/** Non-ASCII values, appended in the second phase: the index must step aside for them, never answer wrongly. */
const UNICODE = ['café', 'İstanbul', 'Kelvin-K', 'straße'];

function events(random: () => number, host: string, from: number, count: number, unicode: boolean): VigilEvent[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const word = () => (unicode && random() < 0.2 ? pick(UNICODE) : pick(WORDS));
  const out: VigilEvent[] = [];
  for (let i = 0; i < count; i++) {
    const sequence = from + i;
    const base = {
      '@timestamp': new Date(Date.UTC(2026, 2, 1) + sequence * 7919 + HOSTS.indexOf(host)).toISOString(),
      'event.id': `${host}-${sequence}`,
      'event.sequence': sequence,
      'host.id': host,
    };
    const kind = random();
    let event: Record<string, unknown>;
    if (kind < 0.5) {
      const name = pick(NAMES);
      const args = [name, word(), word()];
      event = {
        ...base, 'event.category': 'process', 'event.action': 'start', 'process.pid': 100 + i, 'process.name': name, 'process.executable': `/usr/bin/${name}`,
        'process.args': args, 'process.command_line': args.join(' '), 'process.hash.sha256': pick(HASHES), 'user.name': pick(USERS),
        'process.entity_id': `${host}:${sequence % 50}`,
        ...(random() < 0.9 ? { 'process.parent.entity_id': `${host}:${Math.floor(random() * 50)}` } : {}),
      };
    } else if (kind < 0.75) {
      event = {
        ...base, 'event.category': 'network', 'event.action': 'connect', 'process.name': pick(NAMES), 'destination.ip': pick(IPS), 'destination.port': pick(PORTS),
        ...(random() < 0.7 ? { 'source.port': 40000 + Math.floor(random() * 4) } : {}),
        'destination.domain': pick(DOMAINS), 'process.hash.sha256': pick(HASHES),
      };
    } else if (kind < 0.9) {
      event = { ...base, 'event.category': 'file', 'event.action': 'create', 'file.path': pick(PATHS), 'file.hash.sha256': pick(HASHES), 'process.name': pick(NAMES) };
    } else {
      event = { ...base, 'event.category': 'dns', 'event.action': 'query', 'dns.question.name': pick(DOMAINS), 'dns.resolved_ip': [pick(IPS), pick(IPS)] };
    }
    out.push(event as unknown as VigilEvent);
  }
  return out;
}

function mutate(random: () => number, text: string): string {
  const r = random();
  if (r < 0.3) return text;
  if (r < 0.5) return random() < 0.5 ? text.toUpperCase() : text.toLowerCase();
  if (r < 0.8) {
    const start = Math.floor(random() * text.length);
    return text.slice(start, start + 1 + Math.floor(random() * 6));
  }
  const at = Math.floor(random() * text.length);
  return text.slice(0, at) + 'z' + text.slice(at + 1);
}

function randomQuery(random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const q = (text: string) => JSON.stringify(text);
  const probes = [
    () => `process.name == ${q(mutate(random, pick(NAMES)))}`,
    () => `process.name in (${q(mutate(random, pick(NAMES)))}, ${q(pick(NAMES))})`,
    () => `process.hash.sha256 == ${q(random() < 0.8 ? pick(HASHES) : pick(HASHES).toUpperCase())}`,
    () => `process.hash.sha256 in (${q(pick(HASHES))}, ${q(pick(HASHES))}, ${q('f'.repeat(64))})`,
    () => `file.hash.sha256 == ${q(pick(HASHES))}`,
    () => `process.command_line contains ${q(mutate(random, pick(WORDS)))}`,
    () => `process.args == ${q(mutate(random, pick(WORDS)))}`,
    () => `file.path contains ${q(mutate(random, pick(PATHS)))}`,
    () => `destination.ip == ${q(mutate(random, pick(IPS)))}`,
    () => `dns.resolved_ip == ${q(pick(IPS))}`,
    () => `destination.domain == ${q(mutate(random, pick(DOMAINS)))}`,
    () => `user.name == ${q(mutate(random, pick(USERS)))}`,
    () => `destination.port == ${pick([...PORTS, 22])}`,
    () => `destination.port in (${pick(PORTS)}, ${pick([...PORTS, 8080])})`,
    () => `source.port == ${40000 + Math.floor(random() * 5)}`,
    () => `process.pid == ${100 + Math.floor(random() * 20)}`,
    () => `~${q(mutate(random, pick([...WORDS, ...NAMES, ...DOMAINS])))}`,
    () => `fuzzy(${q(mutate(random, pick([...WORDS, ...NAMES])).replace(/\s/g, '') || 'x')}, ${Math.floor(random() * 4)})`,
  ];
  const extras = ['', ' and host.id == "h2"', ' and process.pid > 105', ' and not user.name == "root"', ' or process.name == "sshd"'];
  const pipes = ['', ' | stats count()', ' | stats count() by host.id', ' | top 3 process.name', ' | limit 7', ' | stats count(), dc(host.id) as hosts by event.category', ' | timechart span=1h count()',
    ' | stats count(), min(@timestamp) as first_seen by process.hash.sha256, host.id', ' | stats max(@timestamp), count() by host.id, process.hash.sha256',
    ' | stats count() by process.hash.sha256', ' | stats count(), min(@timestamp) by file.hash.sha256', ' | fields event.id, destination.port, process.name | limit 9'];
  if (random() < 0.1) return `${pick(['process', 'network', 'any', 'dns'])} | timechart span=${pick(['1m', '5m', '1h', '30s', '1d'])} count()`;
  if (random() < 0.1) {
    const fields = ['process.hash.sha256', 'file.hash.sha256', 'event.action', 'process.name', 'user.name', 'destination.ip', 'file.path', 'dns.question.name', 'process.args'];
    return `${pick(['process', 'network', 'file', 'dns', 'any'])} | top ${1 + Math.floor(random() * 12)} ${pick(fields)}`;
  }
  if (random() < 0.12) {
    const step = () =>
      pick([
        () => `process where process.name == ${q(mutate(random, pick(NAMES)))}`,
        () => `process where process.command_line contains ${q(mutate(random, pick(WORDS)))}`,
        () => `process where process.name == ${q(pick(NAMES))} and user.name == "root"`,
        () => 'network where destination.port == 4444',
        () => `network where destination.port == ${pick(PORTS)}`,
        () => `network where destination.port in (${pick(PORTS)}, 53)`,
        () => `network where destination.ip == ${q(pick(IPS))}`,
        () => `any where process.hash.sha256 == ${q(pick(HASHES))}`,
        () => `file where file.path contains ${q(mutate(random, pick(PATHS)))}`,
        () => `dns where dns.resolved_ip == ${q(pick(IPS))}`,
      ])();
    const steps = Array.from({ length: 2 + Math.floor(random() * 2) }, () => `[${step()}]`).join(' ');
    return `sequence by host.id${pick(['', ' maxspan=30s', ' maxspan=5m', ' maxspan=1h'])} ${steps}${pick(['', '', ' | stats count()', ' | limit 5'])}`;
  }
  const head = pick(['process', 'network', 'file', 'dns', 'any', '']);
  const condition = pick(probes)() + (random() < 0.3 ? pick(extras) : '');
  return `${head ? head + ' where ' : ''}${condition}${pick(pipes)}`;
}

for (const rowCache of [false, true]) test(`indexed and plain searches return the same rows on random data and queries (after appends and a reopen; row cache ${rowCache ? 'on' : 'off'})`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-index-eq-'));
  const random = seededRandom(20261205);
  let store = createDuckDbStore({ dataDir: dir, index: { minStop: 50 }, rowCache });
  const sequences = new Map(HOSTS.map((h) => [h, 1]));
  const appendAll = async (count: number, unicode: boolean) => {
    for (const host of HOSTS) {
      const from = sequences.get(host)!;
      await store.append(host, events(random, host, from, count, unicode));
      sequences.set(host, from + count);
    }
  };
  const answered = () => store.stats?.()['index_answered_searches'] ?? 0;
  const phase = async (label: string, queries: number) => {
    const before = answered();
    let compared = 0;
    let indexed = 0;
    let topsAnswered = 0;
    for (let i = 0; i < queries; i++) {
      const text = randomQuery(random);
      let compiled;
      try {
        compiled = compileHunt(text, { limit: 500 });
      } catch (error) {
        assert.ok(error instanceof VigilError, `${text}: ${String(error)}`);
        continue;
      }
      const plain = await store.search({ sql: compiled.sql, params: compiled.params });
      if (!compiled.indexed) continue;
      indexed++;
      const answeredBefore = answered();
      const viaIndex = await store.search({ sql: compiled.sql, params: compiled.params, indexed: compiled.indexed });
      if (compiled.indexed.indexOnly?.kind === 'top' && answered() > answeredBefore) topsAnswered++;
      // `top` has one order (count, then value, null last); other queries are compared as sets of rows.
      const ordered = compiled.indexed.indexOnly?.kind === 'top';
      const canon = (rows: Record<string, unknown>[]) => (ordered ? rows.map((r) => JSON.stringify(r)) : rows.map((r) => JSON.stringify(r)).sort());
      assert.deepEqual(canon(viaIndex), canon(plain), `${label}: ${text}`);
      compared++;
    }
    for (let i = 0; i < 20; i++) {
      const host = HOSTS[i % HOSTS.length]!;
      const parents = Array.from({ length: 1 + (i % 4) }, () => `${HOSTS[Math.floor(random() * HOSTS.length)]}:${Math.floor(random() * 55)}`);
      const viaIndex = await store.processChildren?.(host, parents);
      assert.ok(viaIndex, `${label}: the store answers process children`);
      const sql = await store.search({
        sql: `SELECT DISTINCT "process.entity_id" AS child, "process.parent.entity_id" AS parent FROM events_process
              WHERE "host.id" = $1 AND "process.parent.entity_id" IN (${parents.map((_, k) => `$${k + 2}`).join(', ')}) AND "process.entity_id" IS NOT NULL`,
        params: [host, ...parents],
      });
      const edges = (rows: readonly Record<string, unknown>[]) => rows.map((r) => `${String(r['parent'])}>${String(r['child'])}`).sort();
      assert.deepEqual(edges(viaIndex), edges(sql), `${label}: children of ${parents.join(', ')} on ${host}`);
    }
    const used = answered() - before;
    console.log(`${label}: ${compared} indexed queries compared, ${used} answered through the index (${topsAnswered} top-N counts)`);
    assert.ok(topsAnswered > 0, `${label}: no top-N count came from the index`);
    assert.ok(indexed > queries / 3, `${label}: only ${indexed} queries had an indexed form`);
    assert.ok(used > indexed / 4, `${label}: the index answered only ${used} of ${indexed} queries`);
  };
  try {
    await store.open();
    await appendAll(400, false);
    await phase('initial load', 300);
    await appendAll(300, true);
    await phase('after appending non-ASCII text', 300);
    await store.close();
    store = createDuckDbStore({ dataDir: dir, index: { minStop: 50 }, rowCache });
    await store.open();
    await phase('after a reopen (index rebuilt from the tables)', 300);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
