import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { VigilError, seededRandom } from '@vigil/common';
import { ResponseDb } from './response-db.js';
import { renderArgs } from './policies.js';

const dirs: string[] = [];
function open(): { dir: string; db: ResponseDb } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-response-db-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'pki'));
  return { dir, db: new ResponseDb(dir) };
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fill(db: ResponseDb, n: number): void {
  for (let i = 0; i < n; i++) db.audit.append({ actor: `user:u${i % 3}`, event: 'task.create', outcome: 'success', action: 'agent.ping', hosts: [`h${i}`], reason: `r${i}`, detail: { i } });
}

test('the audit log refuses UPDATE and DELETE through SQLite itself', () => {
  const { dir, db } = open();
  fill(db, 3);
  db.close();
  const raw = new Database(join(dir, 'response.sqlite'));
  assert.throws(() => raw.prepare("UPDATE audit SET actor = 'user:mallory' WHERE seq = 2").run(), /append-only/);
  assert.throws(() => raw.prepare('DELETE FROM audit WHERE seq = 3').run(), /append-only/);
  assert.equal((raw.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n, 3);
  raw.close();
});

test('the chain verifies, and detects an altered, removed or forged row', () => {
  const { dir, db } = open();
  fill(db, 20);
  assert.deepEqual({ ...db.audit.verify(), head_hash: '' }, { ok: true, entries: 20, head_seq: 20, head_hash: '', broken: null });
  // Someone with the file drops the trigger and edits a row.
  const raw = new Database(join(dir, 'response.sqlite'));
  raw.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete');
  raw.prepare("UPDATE audit SET reason = 'nothing to see' WHERE seq = 7").run();
  let verdict = db.audit.verify();
  assert.equal(verdict.ok, false);
  assert.deepEqual(verdict.broken, { seq: 7, problem: 'entry was altered: its hash does not match its content' });
  assert.equal(verdict.entries, 6);
  raw.prepare("UPDATE audit SET reason = 'r6' WHERE seq = 7").run();
  assert.equal(db.audit.verify().ok, true, 'the original content verifies again');
  // Removing a row in the middle, or at the end, is seen.
  raw.prepare('DELETE FROM audit WHERE seq = 12').run();
  assert.deepEqual(db.audit.verify().broken, { seq: 13, problem: 'entry 12 is missing' });
  raw.close();
  const { dir: dir2, db: db2 } = open();
  fill(db2, 5);
  const raw2 = new Database(join(dir2, 'response.sqlite'));
  raw2.exec('DROP TRIGGER audit_no_delete');
  raw2.prepare('DELETE FROM audit WHERE seq = 5').run();
  assert.match(db2.audit.verify().broken?.problem ?? '', /entries 5\.\.5 were removed/);
  // A row forged with a recomputed plain hash fails: the chain is keyed.
  raw2.exec('DROP TRIGGER IF EXISTS audit_no_update');
  raw2.prepare("UPDATE audit SET actor = 'user:mallory', hash = 'ab' WHERE seq = 2").run();
  assert.equal(db2.audit.verify().broken?.seq, 2);
  raw2.close();
  db.close();
  db2.close();
});

test('queries filter by host, task, policy and page backwards', () => {
  const { db } = open();
  fill(db, 30);
  db.audit.append({ actor: 'policy:p', event: 'policy.fired', outcome: 'success', policyId: 'p1', taskId: 't1', hosts: ['h5', 'h99'] });
  assert.deepEqual(db.audit.query({ hostId: 'h5' }).map((e) => e.seq), [31, 6]);
  assert.equal(db.audit.query({ taskId: 't1' })[0]?.event, 'policy.fired');
  assert.equal(db.audit.query({ policyId: 'p1' }).length, 1);
  assert.deepEqual(db.audit.query({ beforeSeq: 4, limit: 2 }).map((e) => e.seq), [3, 2]);
  assert.deepEqual(db.audit.query({ actor: 'user:u0', limit: 3 }).map((e) => e.seq), [28, 25, 22]);
  db.close();
});

test('policy templates: a whole-value template keeps the field type, embedded ones become text, missing fields are errors', () => {
  const fields: Record<string, unknown> = { 'process.pid': 4242, 'process.name': 'bash', 'host.id': 'h1', 'destination.ip': '203.0.113.7' };
  const lookup = (f: string) => fields[f];
  assert.deepEqual(renderArgs({ pid: '{{process.pid}}', tree: true, note: 'kill {{ process.name }} ({{process.pid}})', list: ['{{destination.ip}}/32'] }, lookup), {
    pid: 4242,
    tree: true,
    note: 'kill bash (4242)',
    list: ['203.0.113.7/32'],
  });
  assert.throws(() => renderArgs({ pid: '{{process.ppid}}' }, lookup), (e: unknown) => e instanceof VigilError && e.location?.path === 'args.pid');
  assert.throws(() => renderArgs({ a: ['x {{nope}}'] }, lookup), (e: unknown) => e instanceof VigilError && e.location?.path === 'args.a[0]');
  // Property: text without templates passes through unchanged.
  const random = seededRandom(3);
  for (let i = 0; i < 500; i++) {
    const text = Array.from({ length: 20 }, () => String.fromCharCode(32 + Math.floor(random() * 90))).join('').replace(/\{\{/g, '{');
    assert.deepEqual(renderArgs({ t: text }, lookup), { t: text });
  }
});
