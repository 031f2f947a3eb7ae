// The source's start contract without touching the machine: a missing bpftrace is a clear `unavailable` VigilError,
// nothing is mounted or spawned, and stop after a failed start is safe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { createBpftraceSource, findExecutable } from './index.js';

test('a missing bpftrace rejects start with an actionable unavailable error; stop is then a no-op', async () => {
  const source = createBpftraceSource({ bpftracePath: '/nonexistent/vigil-test/bpftrace' });
  const warnings: string[] = [];
  await assert.rejects(
    source.start({ emit: () => assert.fail('no events'), warn: (m) => warnings.push(m) }),
    (error: unknown) => error instanceof VigilError && error.code === 'unavailable' && /bpftrace not found.*apt install bpftrace/.test(error.message),
  );
  await source.stop();
  await source.stop();
  assert.equal(source.stats().running, 0);
  assert.deepEqual(warnings, []);
  await assert.rejects(source.start({ emit: () => undefined, warn: () => undefined }), (e: unknown) => e instanceof VigilError && e.code === 'internal');
});

test('findExecutable searches PATH for bare names and checks explicit paths', () => {
  assert.equal(findExecutable('sh', '/nonexistent:/bin'), '/bin/sh');
  assert.equal(findExecutable('no-such-binary-for-vigil', '/bin:/usr/bin'), undefined);
  assert.equal(findExecutable('/bin/sh'), '/bin/sh');
  assert.equal(findExecutable('/etc/passwd'), undefined, 'not executable');
});
