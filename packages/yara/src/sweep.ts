// A path sweep: walks the roots, scans every file with a file scanner, holds the CPU budget between files, reports
// progress at most every `progressEveryMs`, and stops early when its signal aborts. Matches go to `onMatch` as found.

import type { FileScanResult, ScanProgress } from './core.js';
import type { FileScanner } from './file-scanner.js';
import type { CpuThrottle } from './throttle.js';
import { walkFiles, type WalkOptions } from './walk.js';

export interface PathSweepOptions extends WalkOptions {
  roots: readonly string[];
  scanner: FileScanner;
  throttle?: CpuThrottle;
  signal?: AbortSignal;
  onMatch?(result: FileScanResult): void | Promise<void>;
  onProgress?(progress: ScanProgress): void;
  progressEveryMs?: number;
}

export interface PathSweepResult extends ScanProgress {
  aborted: boolean;
  errors: number;
}

export async function sweepPaths(options: PathSweepOptions): Promise<PathSweepResult> {
  const progress: PathSweepResult = { files: 0, bytes: 0, skipped: 0, matches: 0, aborted: false, errors: 0 };
  const every = options.progressEveryMs ?? 1000;
  let lastReport = performance.now();
  const walk = walkFiles(options.roots, { ...options, onError: (path, error) => (progress.errors++, options.onError?.(path, error)) });
  for (const path of walk) {
    if (options.signal?.aborted) {
      progress.aborted = true;
      break;
    }
    const result = options.scanner.scan(path);
    progress.files++;
    progress.bytes += result.skipped ? 0 : result.size;
    if (result.skipped) progress.skipped++;
    if (result.matches.length) {
      progress.matches += result.matches.length;
      await options.onMatch?.(result);
    }
    if (performance.now() - lastReport >= every) {
      lastReport = performance.now();
      options.onProgress?.({ ...progress, current: path });
    }
    await options.throttle?.pace();
  }
  options.onProgress?.({ files: progress.files, bytes: progress.bytes, skipped: progress.skipped, matches: progress.matches });
  return progress;
}
