// Threat-intel feeds: each feed (an http(s) URL, a file:// URL or a path) is fetched on its interval with
// If-None-Match / If-Modified-Since (files: size and mtime), parsed, and imported as the new version of the feed's
// source (indicators no longer listed are removed; new ones are retro-swept). Every run records its status and error.
// Runs one feed at a time in the background; a failing feed never stops the others and keeps its last good version.

import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { createLogger, VigilError } from '@vigil/common';
import { MAX_INDICATOR_FILE_BYTES } from '@vigil/intel';
import type { FeedRecord, IntelDb } from './intel-db.js';
import { importIndicators, type ImportSummary } from './intel-import.js';
import type { Sweeper } from './sweeper.js';

const log = createLogger('server.intel.feeds');

export const MIN_FEED_INTERVAL_S = 10;
const FETCH_TIMEOUT_MS = 60_000;
/** Redirects a feed fetch follows (301, 302, 303, 307, 308) before it fails. */
export const MAX_FEED_REDIRECTS = 5;

export interface FeedRunResult {
  status: 'ok' | 'not_modified' | 'error';
  error?: string;
  summary?: ImportSummary;
}

/** Fetch outcomes of one feed since the server started (metrics); `not_modified` counts as a success. */
export interface FeedFetchCounts {
  feedId: string;
  successes: number;
  failures: number;
}

export interface FeedRunner {
  /** Runs a feed now (queued behind a run in progress); resolves with its outcome. */
  runNow(feedId: string): Promise<FeedRunResult>;
  counts(): FeedFetchCounts[];
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Fetched {
  notModified: boolean;
  text?: string;
  etag?: string | null;
  lastModified?: string | null;
}

/** Checks a feed location: http(s) or file URL, or an absolute path. Throws invalid_input at `url`. */
export function checkFeedUrl(url: string): void {
  if (url.startsWith('/')) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VigilError('invalid_input', `${JSON.stringify(url)} is neither an http(s):// or file:// URL nor an absolute path`, { location: { path: 'url' } });
  }
  if (!['http:', 'https:', 'file:'].includes(parsed.protocol)) throw new VigilError('invalid_input', `feed URL scheme ${parsed.protocol} is not supported (http, https, file)`, { location: { path: 'url' } });
}

async function fetchFile(path: string, feed: FeedRecord): Promise<Fetched> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new VigilError('unavailable', `cannot read feed file ${path}: ${error.code ?? error.message}`);
  });
  if (info.size > MAX_INDICATOR_FILE_BYTES) throw new VigilError('payload_too_large', `feed file ${path} is larger than ${MAX_INDICATOR_FILE_BYTES / 1024 / 1024} MiB`);
  // For files, the "ETag" is size and modification time: an unchanged file is not parsed again.
  const etag = `file:${info.size}:${info.mtimeMs}`;
  if (feed.etag === etag) return { notModified: true };
  return { notModified: false, text: await readFile(path, 'utf8'), etag, lastModified: info.mtime.toUTCString() };
}

/**
 * Where a redirect from `from` may go: `location` resolved against `from`, with the same scheme or upgraded from http
 * to https. Never https to http (the feed was asked for over TLS) and never another scheme. Throws `unavailable`.
 */
export function redirectTarget(from: URL, location: string | undefined, status: number): URL {
  if (!location) throw new VigilError('unavailable', `feed answered HTTP ${status} without a Location header`);
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new VigilError('unavailable', `feed answered HTTP ${status} with an invalid Location ${JSON.stringify(location)}`);
  }
  if (from.protocol === 'https:' && next.protocol === 'http:') throw new VigilError('unavailable', `feed redirected from https to http (${next.href}): refused, a feed fetched over TLS never continues in clear text`);
  if (next.protocol !== from.protocol && !(from.protocol === 'http:' && next.protocol === 'https:')) throw new VigilError('unavailable', `feed redirected to ${next.protocol} (${next.href}): only http(s) redirects with the same scheme or an upgrade to https are followed`);
  return next;
}

/**
 * GET with the feed's conditional headers, following up to MAX_FEED_REDIRECTS redirects (redirectTarget). The feed's
 * own headers (credentials, API keys) go only to the feed URL's origin: a redirect to another origin drops them.
 */
function fetchHttp(start: URL, feed: FeedRecord, maxRedirects = MAX_FEED_REDIRECTS): Promise<Fetched> {
  const chain: string[] = [start.href];
  const once = (url: URL): Promise<Fetched | { redirect: URL }> => {
    const client = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'user-agent': 'vigil-feed/1', accept: '*/*', ...(url.origin === start.origin ? feed.headers : {}) };
    if (feed.etag) headers['if-none-match'] = feed.etag;
    if (feed.lastModified) headers['if-modified-since'] = feed.lastModified;
    return new Promise((resolve, reject) => {
      const request = client.request(url, { method: 'GET', headers, timeout: FETCH_TIMEOUT_MS, ...(url.protocol === 'https:' && feed.caPem ? { ca: feed.caPem } : {}) }, (response) => {
        const status = response.statusCode ?? 0;
        if (status === 304) {
          response.resume();
          return resolve({ notModified: true });
        }
        if ([301, 302, 303, 307, 308].includes(status)) {
          response.resume();
          try {
            return resolve({ redirect: redirectTarget(url, response.headers.location, status) });
          } catch (error) {
            return reject(error);
          }
        }
        if (status < 200 || status > 299) {
          response.resume();
          return reject(new VigilError('unavailable', `feed answered HTTP ${status}${chain.length > 1 ? ` at ${url.href} (after ${chain.length - 1} redirect(s))` : ''}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_INDICATOR_FILE_BYTES) {
            request.destroy(new VigilError('payload_too_large', `feed larger than ${MAX_INDICATOR_FILE_BYTES / 1024 / 1024} MiB`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ notModified: false, text: Buffer.concat(chunks).toString('utf8'), etag: (response.headers.etag as string | undefined) ?? null, lastModified: (response.headers['last-modified'] as string | undefined) ?? null }));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new VigilError('unavailable', `feed did not answer within ${FETCH_TIMEOUT_MS / 1000} s`)));
      request.on('error', (error) => reject(VigilError.wrap(error, 'unavailable', 'fetching the feed failed')));
      request.end();
    });
  };
  const follow = async (url: URL): Promise<Fetched> => {
    const outcome = await once(url);
    if (!('redirect' in outcome)) return outcome;
    if (chain.length > maxRedirects) throw new VigilError('unavailable', `feed redirected more than ${maxRedirects} times (${chain.join(' -> ')} -> ${outcome.redirect.href}): give the final URL`);
    if (chain.includes(outcome.redirect.href)) throw new VigilError('unavailable', `feed redirects in a loop (${chain.join(' -> ')} -> ${outcome.redirect.href})`);
    chain.push(outcome.redirect.href);
    return follow(outcome.redirect);
  };
  return follow(start);
}

export function fetchFeed(feed: FeedRecord): Promise<Fetched> {
  if (feed.url.startsWith('/')) return fetchFile(feed.url, feed);
  const url = new URL(feed.url);
  if (url.protocol === 'file:') return fetchFile(fileURLToPath(url), feed);
  return fetchHttp(url, feed);
}

export function createFeedRunner(deps: { db: IntelDb; sweeper: Sweeper; tickMs?: number }): FeedRunner {
  const { db, sweeper } = deps;
  let chain: Promise<unknown> = Promise.resolve();
  let pending = 0;
  let closed = false;
  const queued = new Set<string>();
  const counts = new Map<string, FeedFetchCounts>();
  const count = (feedId: string, ok: boolean) => {
    const entry = counts.get(feedId) ?? counts.set(feedId, { feedId, successes: 0, failures: 0 }).get(feedId)!;
    if (ok) entry.successes++;
    else entry.failures++;
  };

  async function run(feedId: string): Promise<FeedRunResult> {
    const feed = db.getFeed(feedId);
    if (!feed) return { status: 'error', error: `no feed ${feedId}` };
    const started = performance.now();
    try {
      const fetched = await fetchFeed(feed);
      if (fetched.notModified) {
        db.recordFeedRun(feed.id, { status: 'not_modified' });
        count(feed.id, true);
        log.info('feed not modified', { feed: feed.name });
        return { status: 'not_modified' };
      }
      const summary = importIndicators(db, sweeper, {
        text: fetched.text!,
        ...(feed.format !== 'auto' ? { format: feed.format } : {}),
        source: feed.source,
        file: feed.url,
        confidence: feed.confidence,
        includeNonIds: feed.includeNonIds,
        replace: true,
        actor: `feed:${feed.name}`,
      });
      const counts = { format: summary.format, entries: summary.entries, indicators: summary.indicators, created: summary.created, updated: summary.updated, removed: summary.removed, by_type: summary.byType, warnings: summary.warningCount, sweep_id: summary.sweepId };
      db.recordFeedRun(feed.id, { status: 'ok', etag: fetched.etag ?? null, lastModified: fetched.lastModified ?? null, counts });
      count(feed.id, true);
      log.info('feed imported', { feed: feed.name, ...counts, ms: Math.round(performance.now() - started) });
      return { status: 'ok', summary };
    } catch (error) {
      const message = VigilError.wrap(error).message;
      db.recordFeedRun(feed.id, { status: 'error', error: message });
      count(feed.id, false);
      log.warn('feed run failed; its last good version stays', { feed: feed.name, error: message });
      return { status: 'error', error: message };
    }
  }

  function enqueue(feedId: string): Promise<FeedRunResult> {
    pending++;
    queued.add(feedId);
    const next = chain.then(() => (closed ? ({ status: 'error', error: 'the server is stopping' } as FeedRunResult) : run(feedId))).finally(() => {
      pending--;
      queued.delete(feedId);
    });
    chain = next.catch(() => undefined);
    return next;
  }

  const timer = setInterval(() => {
    if (closed) return;
    const now = Date.now();
    for (const feed of db.listFeeds()) {
      if (!feed.enabled || queued.has(feed.id)) continue;
      const last = feed.lastRunAt ? Date.parse(feed.lastRunAt) : 0;
      if (now - last >= feed.intervalSeconds * 1000) void enqueue(feed.id);
    }
  }, deps.tickMs ?? 1000);
  timer.unref();

  return {
    runNow: enqueue,
    counts: () => [...counts.values()].map((c) => ({ ...c })),
    async idle() {
      while (pending > 0) await chain;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await chain;
    },
  };
}
