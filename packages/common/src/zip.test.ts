import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from './errors.js';
import { seededRandom } from './random.js';
import { readZip, writeZip } from './zip.js';

const sample = [
  { path: 'rules/a.yml', data: Buffer.from('title: a\n'.repeat(100)) },
  { path: 'rules/sub/b.yaml', data: Buffer.from('title: b — ü\n') },
  { path: 'empty.txt', data: Buffer.alloc(0) },
];

test('reads back what writeZip wrote, with select', () => {
  const archive = writeZip(sample);
  assert.deepEqual(readZip(archive, 'x.zip').map((e) => [e.path, e.data.toString()]), sample.map((e) => [e.path, e.data.toString()]));
  assert.deepEqual(readZip(archive, 'x.zip', { select: (p) => p.endsWith('.yaml') }).map((e) => e.path), ['rules/sub/b.yaml']);
});

test('refuses escaping paths, corrupt data, bad CRC and oversize archives with located errors', () => {
  assert.throws(() => readZip(writeZip([{ path: '../etc/passwd', data: Buffer.from('x') }]), 'evil.zip'), /escapes the archive/);
  assert.throws(() => readZip(writeZip([{ path: '/abs', data: Buffer.from('x') }]), 'evil.zip'), /escapes the archive/);
  assert.throws(() => readZip(Buffer.from('not a zip at all, just text....'), 't.zip'), /not a ZIP archive/);
  const archive = writeZip([{ path: 'a', data: Buffer.from('hello hello hello') }]);
  const crcBroken = Buffer.from(archive);
  crcBroken.writeUInt32LE(0x12345678, archive.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 16);
  assert.throws(() => readZip(crcBroken, 'c.zip'), /CRC/);
  assert.throws(() => readZip(writeZip(sample), 'big.zip', { maxTotalBytes: 100 }), /more than 100 bytes/);
  try {
    readZip(crcBroken, 'c.zip');
  } catch (error) {
    assert.ok(error instanceof VigilError);
    assert.equal(error.location?.file, 'c.zip');
  }
});

test('fuzz: 20,000 seeded mutations never throw anything but VigilError', () => {
  const random = seededRandom(7);
  const base = writeZip(sample);
  for (let n = 0; n < 20_000; n++) {
    const mutated = Buffer.from(base);
    const edits = 1 + Math.floor(random() * 6);
    for (let e = 0; e < edits; e++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
    const cut = random() < 0.2 ? mutated.subarray(0, Math.floor(random() * mutated.length)) : mutated;
    try {
      readZip(cut, 'fuzz.zip');
    } catch (error) {
      if (!(error instanceof VigilError)) throw new Error(`mutation ${n} threw ${String(error)}`);
    }
  }
});
