// Inventory reports: row keys, hashes and digests both sides agree on; the decoder refuses anything malformed with a
// location (and never partially); fuzzing the decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError, seededRandom } from '@vigil/common';
import { decodeInventoryReport, rowHash, rowKey, tableDigest, type InventoryReport } from './inventory.js';

const HOST = 'host-1';
const user = (name: string, uid: number) => ({ 'user.name': name, 'user.id': String(uid), 'user.shell': '/bin/bash', 'user.groups': [name] });
const report = (overrides: Partial<InventoryReport> = {}): InventoryReport => ({
  host_id: HOST,
  collected_at: '2026-12-05T10:00:00.000Z',
  tables: [{ name: 'users', mode: 'full', digest: tableDigest([[rowKey('users', user('root', 0)), rowHash(user('root', 0))]]), rows: [user('root', 0)] }],
  ...overrides,
});

test('row keys come from the schema key fields; hashes ignore key order, host.id and inventory.collected', () => {
  assert.equal(rowKey('users', user('alice', 1001)), '["alice"]');
  assert.equal(rowKey('listening_ports', { 'network.transport': 'tcp', 'server.ip': '0.0.0.0', 'server.port': 22 }), '["tcp","0.0.0.0",22]');
  assert.equal(rowKey('host', { 'host.name': 'vm' }), '[]', 'host.id is the host itself');
  const a = { 'user.name': 'x', 'user.id': '1' };
  const b = { 'user.id': '1', 'user.name': 'x', 'host.id': 'h', 'inventory.collected': '2026-01-01T00:00:00Z' };
  assert.equal(rowHash(a), rowHash(b));
  assert.notEqual(rowHash(a), rowHash({ ...a, 'user.id': '2' }));
  assert.equal(tableDigest([['k1', 'h1'], ['k2', 'h2']]), tableDigest([['k2', 'h2'], ['k1', 'h1']]), 'order-independent');
});

test('a valid report decodes; rows are normalised like events', () => {
  const decoded = decodeInventoryReport(JSON.stringify(report({ tables: [{ name: 'executables', mode: 'full', digest: 'a'.repeat(64), rows: [{ 'file.path': '/bin/x', 'file.hash.sha256': 'AB'.repeat(32), 'file.mtime': '2026-12-05T11:00:00+01:00' }] }] })), HOST);
  const row = decoded.tables[0]!.rows![0]!;
  assert.equal(row['file.hash.sha256'], 'ab'.repeat(32));
  assert.equal(row['file.mtime'], '2026-12-05T10:00:00.000Z');
});

test('malformed reports are refused with the location of the problem', () => {
  const cases: [unknown, RegExp, string][] = [
    [{ ...report(), host_id: 'other' }, /host_id/, '$.host_id'],
    [{ ...report(), collected_at: 'yesterday' }, /collected_at/, '$.collected_at'],
    [report({ tables: [{ name: 'nope', mode: 'full', digest: 'a'.repeat(64), rows: [] }] }), /name must be one of/, '$.tables[0].name'],
    [report({ tables: [{ name: 'users', mode: 'full', digest: 'a'.repeat(64), rows: [{ 'user.name': 'x', 'user.bogus': 1 }] }] }), /unknown field "user.bogus"/, '$.tables[0].rows[0]["user.bogus"]'],
    [report({ tables: [{ name: 'users', mode: 'full', digest: 'a'.repeat(64), rows: [{ 'user.id': '1' }] }] }), /user.name is required/, '$.tables[0].rows[0]["user.name"]'],
    [report({ tables: [{ name: 'users', mode: 'full', digest: 'a'.repeat(64), rows: [user('a', 1), user('a', 2)] }] }), /appears twice/, '$.tables[0].rows[1]'],
    [report({ tables: [{ name: 'users', mode: 'diff', digest: 'a'.repeat(64), upsert: [] }] }), /needs base/, '$.tables[0].base'],
    [report({ tables: [{ name: 'users', mode: 'full', digest: 'xyz', rows: [] }] }), /digest must be/, '$.tables[0].digest'],
    [report({ tables: [{ name: 'listening_ports', mode: 'full', digest: 'a'.repeat(64), rows: [{ 'network.transport': 'tcp', 'server.ip': 'not-an-ip', 'server.port': 22 }] }] }), /IPv4 or IPv6/, '$.tables[0].rows[0]["server.ip"]'],
  ];
  for (const [body, message, path] of cases) {
    assert.throws(
      () => decodeInventoryReport(JSON.stringify(body), HOST),
      (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && message.test(error.message) && error.location?.path === path,
      `${message} at ${path}`,
    );
  }
  assert.throws(() => decodeInventoryReport('{not json', HOST), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input');
  assert.throws(() => decodeInventoryReport(Buffer.alloc(9 * 1024 * 1024, 32), HOST), (e: unknown) => e instanceof VigilError && e.code === 'payload_too_large');
});

test('fuzz: 3,000 mutated reports decode or fail with invalid_input, never anything else', () => {
  const random = seededRandom(41);
  const base = JSON.stringify(
    report({
      tables: [
        { name: 'users', mode: 'full', digest: 'a'.repeat(64), rows: [user('root', 0), user('alice', 1001)] },
        { name: 'listening_ports', mode: 'diff', base: 'b'.repeat(64), digest: 'c'.repeat(64), upsert: [{ 'network.transport': 'tcp', 'server.ip': '::', 'server.port': 22, 'process.pid': 1 }], delete: ['["udp","0.0.0.0",53]'] },
      ],
    }),
  );
  const pieces = ['"', ',', '{', '}', '[', ']', 'null', '1e999', '-1', '"x"', 'true', '\\u0000', ':'];
  let decoded = 0;
  for (let i = 0; i < 3000; i++) {
    let text = base;
    for (let m = 0; m < 1 + Math.floor(random() * 4); m++) {
      const at = Math.floor(random() * text.length);
      text = random() < 0.5 ? text.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 6));
    }
    try {
      decodeInventoryReport(text, HOST);
      decoded++;
    } catch (error) {
      assert.ok(error instanceof VigilError && error.code === 'invalid_input', String(error));
    }
  }
  assert.ok(decoded > 10, `${decoded} mutations still decoded`);
});
