// Progress lines on stderr for long benchmark phases: done of total, rate, eta and the process's heap and RSS.
// Only writes to the given log; never measures anything a benchmark reports (rates there come from the phase's own clock).

import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { formatInt } from './report.js';

export interface Progress {
  /** Counts `n` more units done. */
  add(n: number): void;
  /** Writes the last line and stops the timer; call once, also on failure (the timer is unref'd either way). */
  stop(): void;
}

const GIB = 1024 ** 3;

/** Heap used / V8 heap limit and RSS of this process, e.g. `heap 1.20/8.25 GiB, rss 2.01 GiB`. */
export function memoryLine(): string {
  const heap = getHeapStatistics();
  return `heap ${(heap.used_heap_size / GIB).toFixed(2)}/${(heap.heap_size_limit / GIB).toFixed(2)} GiB, rss ${(process.memoryUsage.rss() / GIB).toFixed(2)} GiB`;
}

/**
 * Logs `<label> <done> of <total> <unit> (<pct>%), <rate> <unit>/s, eta <s> s, <memory>` every `everyMs` and at stop.
 * `extra` adds a suffix computed at each line (e.g. an engine's own counters).
 */
export function startProgress(
  log: (line: string) => void,
  label: string,
  total: number,
  unit: string,
  everyMs = 10_000,
  extra?: () => string,
): Progress {
  const start = performance.now();
  let done = 0;
  const line = () => {
    const seconds = (performance.now() - start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : Number.NaN;
    const suffix = extra ? `; ${extra()}` : '';
    log(
      `${label} ${formatInt(done)} of ${formatInt(total)} ${unit} (${((100 * done) / total).toFixed(1)}%), ${formatInt(rate)} ${unit}/s, ` +
        `eta ${Number.isFinite(eta) ? eta.toFixed(0) : '?'} s, ${memoryLine()}${suffix}`,
    );
  };
  const timer = setInterval(line, everyMs);
  timer.unref();
  let stopped = false;
  return {
    add(n) {
      done += n;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      line();
    },
  };
}
