// The server's task-signing key (Ed25519), kept beside its PKI in <dataDir>/pki: created at first start, rotated only
// by a statement signed with the old key (agents follow the chain). The private key never leaves this folder.

import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError, createLogger } from '@vigil/common';
import { publicKeyId, signKeyRotation, signTask, type SignedKeyRotation, type SignedTask, type TaskBody, type TaskKeyOffer } from '@vigil/response';

export interface TaskSigner {
  keyId(): string;
  /** What agents pin: the public key and every rotation since the first key. */
  offer(): TaskKeyOffer;
  sign(task: TaskBody): SignedTask;
  /** Replaces the key; the old key signs the rotation statement, then is deleted. */
  rotate(): TaskKeyOffer;
}

const log = createLogger('server.response');

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export function loadOrCreateTaskSigner(dataDir: string): TaskSigner {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, 'task-signing.key');
  const nextFile = join(dir, 'task-signing.key.next');
  const rotationsFile = join(dir, 'task-signing-rotations.json');
  let rotations: SignedKeyRotation[] = [];
  try {
    if (existsSync(rotationsFile)) rotations = JSON.parse(readFileSync(rotationsFile, 'utf8')) as SignedKeyRotation[];
    if (!Array.isArray(rotations)) throw new Error('not a list');
  } catch (error) {
    throw new VigilError('invalid_config', `task-signing key rotations ${rotationsFile} are unreadable: ${(error as Error).message}`, { location: { file: rotationsFile } });
  }
  // A rotation interrupted after its statement was written but before the key replaced the old one is finished here.
  if (existsSync(nextFile)) {
    const next = createPrivateKey(readFileSync(nextFile, 'utf8'));
    if (rotations.at(-1)?.rotation.new_key_id === publicKeyId(createPublicKey(next))) renameSync(nextFile, keyFile);
    else rmSync(nextFile);
  }
  let privateKey: KeyObject;
  if (existsSync(keyFile)) {
    try {
      privateKey = createPrivateKey(readFileSync(keyFile, 'utf8'));
    } catch (error) {
      throw new VigilError('invalid_config', `task-signing key ${keyFile} is unreadable: ${(error as Error).message}`, { location: { file: keyFile } });
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new VigilError('invalid_config', `task-signing key ${keyFile} is not an Ed25519 key`);
  } else {
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeAtomic(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
    log.info('created task-signing key', { key_id: publicKeyId(createPublicKey(privateKey)) });
  }
  let publicKey = createPublicKey(privateKey);
  let keyId = publicKeyId(publicKey);
  let publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  return {
    keyId: () => keyId,
    offer: () => ({ key_id: keyId, public_key_pem: publicPem, rotations }),
    sign: (task) => signTask(task, privateKey, keyId),
    rotate() {
      const next = generateKeyPairSync('ed25519');
      const statement = signKeyRotation(privateKey, next.publicKey, new Date().toISOString());
      writeAtomic(nextFile, next.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
      const nextRotations = [...rotations, statement];
      writeAtomic(rotationsFile, JSON.stringify(nextRotations, null, 2) + '\n', 0o644);
      renameSync(nextFile, keyFile);
      const previous = keyId;
      rotations = nextRotations;
      privateKey = next.privateKey;
      publicKey = next.publicKey;
      keyId = publicKeyId(publicKey);
      publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      log.info('rotated task-signing key', { from: previous, to: keyId });
      return { key_id: keyId, public_key_pem: publicPem, rotations };
    },
  };
}
