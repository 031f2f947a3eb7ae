// Secrets at rest in the server's SQLite files (webhook secrets, Authorization values): sealed with AES-256-GCM under a
// key kept in its own file (0600, created at first start), so a copy of a database alone does not reveal them. Each
// sealed value is bound to a context (for example the destination id): moved to another row, it no longer opens.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { VigilError } from '@vigil/common';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Marks a sealed value; anything else is a value written before sealing existed. */
const PREFIX = 'sealed-v1.';

export class SecretBox {
  readonly #key: Buffer;
  readonly #keyFile: string;

  /** Reads the key from `keyFile`, or creates it (mode 0600) when the file does not exist. */
  constructor(keyFile: string) {
    this.#keyFile = keyFile;
    if (!existsSync(keyFile)) {
      writeFileSync(keyFile, randomBytes(KEY_BYTES).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    chmodSync(keyFile, 0o600);
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new VigilError('invalid_config', `${keyFile} must hold a base64 key of ${KEY_BYTES} bytes; it holds ${key.length}`, { location: { file: keyFile } });
    this.#key = key;
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
  }

  /** The plaintext of a sealed value; a `VigilError('unavailable')` when the key, the context or the bytes do not match. */
  open(sealed: string, context: string): string {
    if (!SecretBox.isSealed(sealed)) throw new VigilError('internal', `value for ${context} is not sealed`);
    const bytes = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new VigilError('unavailable', `sealed value for ${context} is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new VigilError('unavailable', `cannot open the sealed value for ${context}: the key in ${this.#keyFile} is not the one it was sealed with, or the value was altered`, { cause: error });
    }
  }
}
