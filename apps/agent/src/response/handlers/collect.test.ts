// file.collect at handler level: streams exactly the file's bytes with their sha256 to the uploader and refuses
// files over max_bytes, folders, symlinks, pseudo files and the agent's own state (its private key). The real
// mutual-TLS upload into the server's evidence store is tested end to end in tests/src/response-actions.test.ts.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VigilError, seededRandom } from '@vigil/common';
import type { ActionContext } from '../handler.js';
import { createCollectHandlers } from './collect.js';
import type { EvidenceUpload } from './internal/evidence-upload.js';
import { cleanupTestSupport, tempDir, testContext } from './internal/test-support.js';

after(cleanupTestSupport);

const refusedWith = (code: string, pattern: RegExp) => (error: unknown) => error instanceof VigilError && error.code === code && pattern.test(error.message);

function recordingUploader() {
  const received: { upload: EvidenceUpload; bytes: Buffer; taskId: string }[] = [];
  const uploader = async (upload: EvidenceUpload, context: ActionContext) => {
    const chunks: Buffer[] = [];
    for await (const chunk of upload.open()) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    received.push({ upload, bytes, taskId: context.taskId });
    return { id: `evidence-${received.length}`, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  };
  return { uploader, received };
}

test('property: file.collect sends exactly the file content, with its size and sha256', async () => {
  const random = seededRandom(11);
  const files = tempDir('collect');
  const { uploader, received } = recordingUploader();
  const [collect] = createCollectHandlers({ uploader, allowedRoots: [files] });
  for (let i = 0; i < 30; i++) {
    const content = randomBytes([0, 1, 1 << 20, (1 << 20) + 1][i % 4]! + Math.floor(random() * 5000));
    const path = join(files, `evidence-${i}`);
    writeFileSync(path, content);
    const context = testContext(tempDir('state'), `task-${i}`);
    const outcome = await collect!.run({ path, max_bytes: content.length || 1 }, context);
    assert.equal(outcome.verified, true);
    const sent = received.at(-1)!;
    assert.ok(sent.bytes.equals(content), `file ${i}: the bytes sent differ`);
    assert.equal(sent.upload.sha256, createHash('sha256').update(content).digest('hex'));
    assert.equal(sent.upload.size, content.length);
    assert.equal(sent.upload.path, path);
    assert.equal(sent.taskId, `task-${i}`);
    assert.equal(outcome.details?.evidence_id, `evidence-${received.length}`);
    assert.equal(outcome.details?.sha256, sent.upload.sha256);
  }
});

test('file.collect refuses files over max_bytes, folders, symlinks, pseudo files and the agent state; nothing is sent', async () => {
  const files = tempDir('collect');
  const stateDir = tempDir('state');
  const { uploader, received } = recordingUploader();
  const [collect] = createCollectHandlers({ uploader });
  const context = testContext(stateDir);
  writeFileSync(join(files, 'big'), Buffer.alloc(1001));
  await assert.rejects(collect!.run({ path: join(files, 'big'), max_bytes: 1000 }, context), refusedWith('invalid_input', /1001 bytes, over the limit of 1000/));
  mkdirSync(join(files, 'folder'));
  await assert.rejects(collect!.run({ path: join(files, 'folder') }, context), refusedWith('invalid_input', /not a regular file/));
  symlinkSync('/etc/hostname', join(files, 'link'));
  await assert.rejects(collect!.run({ path: join(files, 'link') }, context), refusedWith('invalid_input', /symbolic link/));
  await assert.rejects(collect!.run({ path: '/proc/self/environ' }, context), refusedWith('invalid_input', /protected folder \/proc/));
  writeFileSync(join(stateDir, 'agent.key'), 'PRIVATE KEY');
  await assert.rejects(collect!.run({ path: join(stateDir, 'agent.key') }, context), refusedWith('invalid_input', /protected folder/));
  await assert.rejects(collect!.run({ path: join(files, 'missing') }, context), refusedWith('not_found', /does not exist/));
  const limited = createCollectHandlers({ uploader, allowedRoots: [files] })[0]!;
  await assert.rejects(limited.run({ path: '/etc/hostname' }, context), refusedWith('invalid_input', /outside the folders/));
  assert.equal(received.length, 0);
  // Reading is allowed where changing is not: system files can be collected.
  const outcome = await collect!.run({ path: '/etc/passwd' }, context);
  assert.equal(outcome.ok, true);
});
