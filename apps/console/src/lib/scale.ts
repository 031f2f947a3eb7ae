// Scales and ticks for the console's SVG charts: linear mapping and "nice" round tick values.
// Pure functions; never return NaN for empty or degenerate data (a zero domain maps to the range start).

export type Scale = (value: number) => number;

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (!Number.isFinite(span) || span === 0) return () => r0;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** A round step (1, 2 or 5 times a power of ten) giving about `count` intervals over [0, max]; at least 1 for counts. */
export function niceStep(max: number, count = 5, integer = false): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const raw = max / Math.max(1, count);
  if (integer && raw <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return Math.max(nice * power, Number.MIN_VALUE);
}

/** Tick values from 0 to the first multiple of the step at or above max (at least [0, 1]); whole steps for counts. */
export function niceTicks(max: number, count = 5, integer = false): number[] {
  const step = niceStep(max, count, integer);
  const top = max > 0 && Number.isFinite(max) ? Math.ceil(max / step - 1e-9) * step : step;
  const ticks: number[] = [];
  for (let i = 0; i <= Math.round(top / step) && ticks.length < 100; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Short number for axes and cards: 950, 1.2k, 3.4M. */
export function compactNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(abs < 10 ? 2 : 1);
}

function trim(value: number): string {
  return value.toFixed(Math.abs(value) < 10 ? 1 : 0).replace(/\.0$/, '');
}
