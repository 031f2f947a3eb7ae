// Time helpers for the console: formatting, relative times and bucketing items over a time range for charts.
// Pure; times are ISO 8601 strings or epoch milliseconds, always shown in the browser's local zone.

export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) return String(value);
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function relativeTime(value: string | number | null | undefined, now = Date.now()): string {
  if (value === null || value === undefined || value === '') return 'never';
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) return String(value);
  const seconds = Math.round((now - ms) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const text = s < 5 ? 'now' : s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 86400 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86400)} d`;
  if (text === 'now') return 'just now';
  return future ? `in ${text}` : `${text} ago`;
}

export interface Bucket {
  /** Start of the bucket, epoch ms. */
  start: number;
  /** Sum per series key in this bucket. */
  values: Record<string, number>;
}

/**
 * Splits [start, end) into buckets of `stepMs` (aligned to the step from the epoch) and adds each item's weight to
 * the bucket of its time under its series key. Items outside the range or with an unreadable time are skipped.
 */
export function bucketize<T>(items: readonly T[], options: { start: number; end: number; stepMs: number; time: (item: T) => string | number; key: (item: T) => string; weight?: (item: T) => number; keys?: readonly string[] }): Bucket[] {
  const step = Math.max(1, Math.floor(options.stepMs));
  const first = Math.floor(options.start / step) * step;
  const count = Math.max(0, Math.min(10_000, Math.ceil((options.end - first) / step)));
  const buckets: Bucket[] = [];
  for (let i = 0; i < count; i++) buckets.push({ start: first + i * step, values: Object.fromEntries((options.keys ?? []).map((k) => [k, 0])) });
  for (const item of items) {
    const raw = options.time(item);
    const ms = typeof raw === 'number' ? raw : Date.parse(raw);
    if (!Number.isFinite(ms) || ms < first || ms >= options.end) continue;
    const bucket = buckets[Math.floor((ms - first) / step)];
    if (!bucket) continue;
    const key = options.key(item);
    bucket.values[key] = (bucket.values[key] ?? 0) + (options.weight ? options.weight(item) : 1);
  }
  return buckets;
}

/** Parses a hunt duration ("15m", "1h", "2d") to milliseconds; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  return Number(match[1]) * unit[match[2]!]!;
}

/** A repeat interval in seconds as "N h" from an hour up, else "N min". */
export function formatInterval(seconds: number): string {
  return seconds >= 3600 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 60)} min`;
}
