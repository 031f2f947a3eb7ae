// Compiles a rule set in a worker thread, so a server checking a large set (signature-base: ~5 s) never blocks its
// event loop. The compiled rules stay in the worker and are dropped: the answer is the report (problems, counts).

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { VigilError } from '@vigil/common';
import { compileRuleSet, type CompileOptions, type CompileResult } from './compile.js';
import type { RuleFile } from './core.js';

export type CompileReport = Omit<CompileResult, 'rules'> & { ok: boolean };

/** Compiles `files` in a fresh worker thread and resolves with the report; rejects only when the worker dies. */
export function checkRuleSetInWorker(files: readonly RuleFile[], options: CompileOptions = {}, timeoutMs = 300_000): Promise<CompileReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { vigilYaraCheck: true, files, options } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new VigilError('unavailable', `compiling the rule set took longer than ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    worker.once('message', (report: CompileReport) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(report);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(VigilError.wrap(error, 'internal', 'the YARA compile worker failed'));
    });
  });
}

if (!isMainThread && (workerData as { vigilYaraCheck?: boolean } | undefined)?.vigilYaraCheck) {
  const { files, options } = workerData as { files: RuleFile[]; options: CompileOptions };
  const { rules, ...report } = compileRuleSet(files, options);
  parentPort!.postMessage({ ...report, ok: rules !== undefined });
}
