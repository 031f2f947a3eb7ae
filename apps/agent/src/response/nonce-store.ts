// The agent's durable record of task nonces it accepted, kept until the task expired: a replayed envelope is refused
// even after an agent restart. Append-only file, fsynced per accepted task; never forgets an unexpired nonce.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { VigilError } from '@vigil/common';
import { taskLimits } from '@vigil/response';

export interface NonceStore {
  /** True when the nonce was recorded and its task has not expired (plus clock skew). */
  seen(nonce: string): boolean;
  /** Records an accepted nonce durably (fsync) before the task runs. Throws `conflict` when full. */
  record(nonce: string, expiresAt: string, taskId: string): void;
  size(): number;
  close(): void;
}

interface Entry {
  expiresMs: number;
  taskId: string;
}

/** Upper bound of unexpired nonces kept; beyond it new tasks are refused rather than an old nonce forgotten. */
export const MAX_NONCES = 100_000;

export function openNonceStore(file: string, now: () => number = Date.now): NonceStore {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const entries = new Map<string, Entry>();
  const keepUntil = (entry: Entry) => entry.expiresMs + taskLimits.clockSkewSeconds * 1000;
  let lines = 0;
  if (existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new VigilError('system', `cannot read the task nonce store ${file}: ${(error as Error).message}`, { cause: error });
    }
    const all = text.split('\n');
    all.forEach((line, index) => {
      if (!line) return;
      try {
        const parsed = JSON.parse(line) as { n?: unknown; e?: unknown; t?: unknown };
        if (typeof parsed.n !== 'string' || typeof parsed.e !== 'number' || typeof parsed.t !== 'string') throw new Error('fields missing');
        const entry = { expiresMs: parsed.e, taskId: parsed.t };
        if (keepUntil(entry) > now()) entries.set(parsed.n, entry);
        lines++;
      } catch (error) {
        // Only the last line can be torn by a crash during its write; anything else means the file was damaged.
        if (index < all.length - 2 || (index === all.length - 2 && all[all.length - 1] !== '')) {
          throw new VigilError('system', `task nonce store ${file} is damaged at line ${index + 1}: ${(error as Error).message}; refusing to run tasks (replays could pass)`, { location: { file, line: index + 1 } });
        }
      }
    });
  }

  let fd = openSync(file, 'a', 0o600);
  let lastPrune = now();

  function compact(): void {
    const tmp = `${file}.tmp`;
    const live = [...entries].filter(([, entry]) => keepUntil(entry) > now());
    entries.clear();
    for (const [nonce, entry] of live) entries.set(nonce, entry);
    const out = openSync(tmp, 'w', 0o600);
    try {
      writeSync(out, live.map(([n, entry]) => JSON.stringify({ n, e: entry.expiresMs, t: entry.taskId }) + '\n').join(''));
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    renameSync(tmp, file);
    closeSync(fd);
    fd = openSync(file, 'a', 0o600);
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    lines = live.length;
  }

  if (lines > 2 * entries.size + 1000) compact();

  return {
    seen(nonce) {
      const entry = entries.get(nonce);
      return entry !== undefined && keepUntil(entry) > now();
    },
    record(nonce, expiresAt, taskId) {
      const expiresMs = Date.parse(expiresAt);
      if (!Number.isFinite(expiresMs)) throw new VigilError('invalid_input', `expires_at ${JSON.stringify(expiresAt)} is not a time`);
      if (entries.size >= MAX_NONCES) {
        compact();
        if (entries.size >= MAX_NONCES) throw new VigilError('conflict', `more than ${MAX_NONCES} unexpired tasks were received; refusing more until some expire`);
      }
      writeSync(fd, JSON.stringify({ n: nonce, e: expiresMs, t: taskId }) + '\n');
      fsyncSync(fd);
      entries.set(nonce, { expiresMs, taskId });
      lines++;
      if (now() - lastPrune > 60_000) {
        lastPrune = now();
        for (const [key, entry] of entries) if (keepUntil(entry) <= lastPrune) entries.delete(key);
      }
      if (lines > 2 * entries.size + 1000) compact();
    },
    size: () => entries.size,
    close() {
      closeSync(fd);
    },
  };
}
