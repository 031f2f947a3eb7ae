// Runs IOC sweeps in the background, one at a time, in the order they were requested; resumes unfinished sweeps
// at start. Never blocks a request (requesting only writes SQLite) and never lets a failed sweep stop the queue.

import { createLogger, VigilError } from '@vigil/common';
import type { EventStore } from '@vigil/store';
import type { IntelDb, IndicatorRecord, SweepRecord, SweepTrigger } from './intel-db.js';
import { hitsFromRows, sweepQueries, type IndicatorHits } from './sweep-sql.js';

export interface Sweeper {
  /** Queues a sweep over the indicators that have not expired; returns it in state `queued`. */
  request(indicators: readonly IndicatorRecord[], trigger: SweepTrigger, actor: string): SweepRecord;
  /** Resolves when every sweep queued so far has finished (done or failed). */
  idle(): Promise<void>;
  /** Stops taking sweeps; waits for the one running. Unfinished sweeps resume at the next start. */
  close(): Promise<void>;
}

const log = createLogger('server.intel');

/** Runs the queries of one sweep and merges their rows (an indicator appears in exactly one query). */
export async function runSweep(store: EventStore, db: IntelDb, sweepId: string): Promise<IndicatorHits[]> {
  const hits: IndicatorHits[] = [];
  for (const query of sweepQueries(db.sweepTargets(sweepId))) hits.push(...hitsFromRows(await store.search(query)));
  return hits;
}

export interface SweeperOptions {
  /**
   * Deadline of a sweep, from its creation (default 10 minutes): one still queued when its deadline has passed is
   * never started, one still running when it passes is marked `timed_out` (its store queries cannot be interrupted;
   * their results are dropped) and the queue moves on.
   */
  deadlineMs?: number;
}

export function createSweeper(deps: { db: IntelDb; store: EventStore } & SweeperOptions): Sweeper {
  const { db, store } = deps;
  const deadlineMs = deps.deadlineMs ?? 10 * 60_000;
  const pending: string[] = [];
  let running: Promise<void> | undefined;
  let closed = false;

  async function runOne(sweepId: string): Promise<void> {
    const started = performance.now();
    const createdAt = Date.parse(db.getSweep(sweepId)?.createdAt ?? new Date().toISOString());
    const left = createdAt + deadlineMs - Date.now();
    if (left <= 0) {
      db.failSweep(sweepId, `the sweep waited in the queue past its deadline (${Math.round(deadlineMs / 1000)} s after it was requested) and was not started`, 'timed_out');
      log.warn('sweep timed out before it started', { sweep: sweepId });
      return;
    }
    db.markRunning(sweepId);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timed_out'>((resolve) => {
      timer = setTimeout(() => resolve('timed_out'), left);
    });
    try {
      const work = runSweep(store, db, sweepId);
      work.catch(() => undefined); // a query that fails after the deadline is not an unhandled rejection
      const outcome = await Promise.race([work, deadline]);
      if (outcome === 'timed_out') {
        db.failSweep(sweepId, `the sweep's store queries did not finish by its deadline (${Math.round(deadlineMs / 1000)} s after it was requested)`, 'timed_out');
        log.warn('sweep timed out', { sweep: sweepId, ms: Math.round(performance.now() - started) });
          return;
      }
      db.finishSweep(sweepId, outcome);
      log.info('sweep done', { sweep: sweepId, matched: outcome.length, ms: Math.round(performance.now() - started) });
    } catch (error) {
      const message = VigilError.wrap(error).message;
      log.error('sweep failed', { sweep: sweepId, error: message });
      db.failSweep(sweepId, message);
    } finally {
      clearTimeout(timer);
    }
  }

  function pump(): void {
    if (running || closed) return;
    const next = pending.shift();
    if (next === undefined) return;
    running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => runOne(next))
      .finally(() => {
        running = undefined;
        pump();
      });
  }

  pending.push(...db.unfinishedSweeps());
  pump();

  return {
    request(indicators, trigger, actor) {
      if (closed) throw new VigilError('unavailable', 'the server is stopping; push the indicators again later');
      const now = new Date().toISOString();
      const live = indicators.filter((indicator) => indicator.expiresAt === null || indicator.expiresAt > now);
      const sweep = db.createSweep(live, trigger, actor);
      pending.push(sweep.id);
      pump();
      return sweep;
    },
    async idle() {
      while (running || (pending.length && !closed)) {
        if (!running) pump();
        await running;
      }
    },
    async close() {
      closed = true;
      await running;
    },
  };
}
