// Drives a fixed-duration load: one worker per queue, one request in flight per worker, warm-up then a measured window;
// closed-loop (as fast as acknowledged) or paced. Counts only work acknowledged inside the window; never sends after it closed.

import { performance } from 'node:perf_hooks';
import { formatInt } from './report.js';

export interface TimedLoadOptions<T> {
  label: string;
  /** One queue of prepared items per worker, sent in order. */
  queues: readonly (readonly T[])[];
  /** Sends one item; resolves with the number of events it stored. */
  send: (worker: number, item: T) => Promise<number>;
  warmupS: number;
  durationS: number;
  progressEveryS?: number;
  /**
   * Paced load: each worker sends its k-th item no earlier than k × intervalMs after the start (workers staggered
   * evenly across one interval), or as soon as its previous request is acknowledged when it is behind.
   * Undefined: closed loop, each worker sends the next item as soon as the previous one is acknowledged.
   */
  intervalMs?: number;
  /** Called when the measured window opens and when it closes. */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

export interface TimedLoadResult {
  /** Events acknowledged inside the measured window. */
  windowEvents: number;
  /** Events acknowledged over the whole run (warm-up and the requests in flight at the end included). */
  totalEvents: number;
  requests: number;
  /** Latencies (ms) of requests acknowledged inside the window, ascending. */
  latenciesMs: number[];
  /** True when a worker ran out of prepared items before the window closed: the rate is then a lower bound. */
  exhausted: boolean;
  elapsedS: number;
  /** Paced load only: sends inside the window that left more than one interval after their slot (the offered rate was not held). */
  lateSends: number;
}

export async function timedLoad<T>(options: TimedLoadOptions<T>): Promise<TimedLoadResult> {
  const started = performance.now();
  const warmEnd = started + options.warmupS * 1000;
  const end = warmEnd + options.durationS * 1000;
  let windowEvents = 0;
  let totalEvents = 0;
  let requests = 0;
  let exhausted = false;
  let lateSends = 0;
  const latencies: number[] = [];
  const interval = options.intervalMs;
  const sleep = (ms: number) => new Promise<void>((wake) => setTimeout(wake, ms));

  let lastTotal = 0;
  let lastAt = started;
  const progress = setInterval(() => {
    const now = performance.now();
    const phase = now < warmEnd ? 'warm-up' : now <= end ? 'measuring' : 'draining';
    const rate = ((totalEvents - lastTotal) * 1000) / (now - lastAt);
    process.stderr.write(`${options.label.padEnd(8)} ${((now - started) / 1000).toFixed(0).padStart(4)} s  ${phase.padEnd(9)}  events ${formatInt(totalEvents).padStart(11)}  rate ${formatInt(rate).padStart(8)}/s\n`);
    lastTotal = totalEvents;
    lastAt = now;
  }, (options.progressEveryS ?? 5) * 1000);
  let startFired = false;
  let endFired = false;
  const fireStart = () => {
    if (!startFired) (startFired = true), options.onWindowStart?.();
  };
  const fireEnd = () => {
    fireStart();
    if (!endFired) (endFired = true), options.onWindowEnd?.();
  };
  const startTimer = setTimeout(fireStart, Math.max(0, warmEnd - performance.now()));
  const endTimer = setTimeout(fireEnd, Math.max(0, end - performance.now()));

  const worker = async (index: number, queue: readonly T[]) => {
    const offset = interval === undefined ? 0 : (interval * index) / options.queues.length;
    for (let k = 0; k < queue.length; k++) {
      const item = queue[k]!;
      if (interval !== undefined) {
        const now = performance.now();
        const wait = started + offset + k * interval - now;
        if (wait > 0) await sleep(wait);
        else if (-wait > interval && now >= warmEnd && now <= end) lateSends++;
      }
      if (performance.now() >= end) return;
      const t0 = performance.now();
      const stored = await options.send(index, item);
      const t1 = performance.now();
      requests++;
      totalEvents += stored;
      if (t1 >= warmEnd && t1 <= end) {
        windowEvents += stored;
        latencies.push(t1 - t0);
      }
    }
    if (performance.now() < end) exhausted = true;
  };

  try {
    await Promise.all(options.queues.map((queue, i) => worker(i, queue)));
  } finally {
    clearInterval(progress);
    clearTimeout(startTimer);
    clearTimeout(endTimer);
    fireEnd();
  }
  latencies.sort((a, b) => a - b);
  return { windowEvents, totalEvents, requests, latenciesMs: latencies, exhausted, elapsedS: (performance.now() - started) / 1000, lateSends };
}
