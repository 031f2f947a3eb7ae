// The main-thread side of the YARA worker: loads rule sets, and runs scans and sweeps as promises with callbacks for
// progress and matches. One worker per agent; requests are answered in order per kind, and a dead worker fails every
// pending request instead of leaving it hanging.

import { Worker } from 'node:worker_threads';
import { VigilError } from '@vigil/common';
import type { FileScanResult, ScanProgress } from '@vigil/yara';
import type { FromWorker, MemoryHit, MemoryRequest, SweepRequest, ToWorker } from './protocol.js';

export type SweepSummary = Extract<FromWorker, { type: 'done' }>['summary'];

export interface YaraEngine {
  /** Compiles a rule set in the worker; resolves with its rule count. */
  load(set: { digest: string; files: { name: string; text: string }[]; externals: Record<string, string> }): Promise<{ ruleCount: number; ms: number; sets: string[] }>;
  unload(): void;
  loadedDigest(): string | null;
  scanFile(path: string, maxFileSize: number): Promise<{ result: FileScanResult; sha256: string | null }>;
  sweep(request: SweepRequest, callbacks: { onProgress?(p: ScanProgress): void; onMatch?(result: FileScanResult, sha256: string | null): void }, signal?: AbortSignal): Promise<SweepSummary>;
  scanMemory(request: MemoryRequest, callbacks: { onProgress?(p: ScanProgress): void; onMatch?(hit: MemoryHit): void }, signal?: AbortSignal): Promise<SweepSummary>;
  close(): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?(p: ScanProgress): void;
  onFileMatch?(result: FileScanResult, sha256: string | null): void;
  onMemoryMatch?(hit: MemoryHit): void;
}

export function createYaraEngine(): YaraEngine {
  const worker = new Worker(new URL('./yara-worker.js', import.meta.url));
  worker.unref();
  let nextId = 1;
  const pending = new Map<number, Pending>();
  let loads: { digest: string; resolve(v: { ruleCount: number; ms: number; sets: string[] }): void; reject(e: Error): void }[] = [];
  let loaded: string | null = null;
  let dead: Error | undefined;

  const failAll = (error: Error) => {
    dead = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    for (const l of loads) l.reject(error);
    loads = [];
  };
  worker.on('error', (error) => failAll(VigilError.wrap(error, 'internal', 'the YARA worker failed')));
  worker.on('exit', (code) => failAll(new VigilError('unavailable', `the YARA worker exited (${code})`)));
  worker.on('message', (message: FromWorker) => {
    switch (message.type) {
      case 'loaded':
      case 'load-failed': {
        const index = loads.findIndex((l) => l.digest === message.digest);
        const [waiter] = index >= 0 ? loads.splice(index, 1) : [];
        if (message.type === 'loaded') {
          loaded = message.digest;
          waiter?.resolve({ ruleCount: message.ruleCount, ms: message.ms, sets: message.sets });
        } else waiter?.reject(new VigilError('invalid_input', `the rule set does not compile on this agent: ${message.message}`));
        return;
      }
      case 'scanned':
        pending.get(message.id)?.resolve({ result: message.result, sha256: message.sha256 });
        pending.delete(message.id);
        return;
      case 'progress':
        pending.get(message.id)?.onProgress?.(message.progress);
        return;
      case 'file-match':
        pending.get(message.id)?.onFileMatch?.(message.result, message.sha256);
        return;
      case 'memory-match':
        pending.get(message.id)?.onMemoryMatch?.(message.hit);
        return;
      case 'done':
        pending.get(message.id)?.resolve(message.summary);
        pending.delete(message.id);
        return;
      case 'failed':
        pending.get(message.id)?.reject(new VigilError('system', message.message));
        pending.delete(message.id);
        return;
    }
  });

  function request<T>(make: (id: number) => ToWorker, handlers: Omit<Pending, 'resolve' | 'reject'> = {}, signal?: AbortSignal): Promise<T> {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...handlers });
      worker.postMessage(make(id));
      if (signal?.aborted) worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
      else signal?.addEventListener('abort', () => worker.postMessage({ type: 'cancel', id } satisfies ToWorker), { once: true });
    });
  }

  return {
    load(set) {
      if (dead) return Promise.reject(dead);
      return new Promise((resolve, reject) => {
        loads.push({ digest: set.digest, resolve, reject });
        worker.postMessage({ type: 'load', ...set } satisfies ToWorker);
      });
    },
    unload() {
      loaded = null;
      worker.postMessage({ type: 'unload' } satisfies ToWorker);
    },
    loadedDigest: () => loaded,
    scanFile: (path, maxFileSize) => request((id) => ({ type: 'scan', id, path, maxFileSize })),
    sweep: (sweep, callbacks, signal) => request((id) => ({ type: 'sweep', id, request: sweep }), { ...(callbacks.onProgress ? { onProgress: callbacks.onProgress } : {}), ...(callbacks.onMatch ? { onFileMatch: callbacks.onMatch } : {}) }, signal),
    scanMemory: (memory, callbacks, signal) => request((id) => ({ type: 'memory', id, request: memory }), { ...(callbacks.onProgress ? { onProgress: callbacks.onProgress } : {}), ...(callbacks.onMatch ? { onMemoryMatch: callbacks.onMatch } : {}) }, signal),
    async close() {
      await worker.terminate();
    },
  };
}
