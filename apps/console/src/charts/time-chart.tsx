// Time series chart in SVG: stacked areas, lines or stacked bars over buckets, with a y axis of round ticks and a
// legend. No chart library; the figure has an accessible name and a text summary.

import type { ReactElement } from 'react';
import { linearScale, niceTicks, compactNumber } from '../lib/scale.js';
import type { Bucket } from '../lib/time.js';

export interface Series {
  key: string;
  label: string;
  color: string;
}

const W = 960;
const H = 220;
const M = { top: 10, right: 12, bottom: 26, left: 44 };

function tickLabel(ms: number, stepMs: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (stepMs >= 86_400_000) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function TimeChart({ id, label, buckets, series, mode = 'area', stepMs }: { id: string; label: string; buckets: readonly Bucket[]; series: readonly Series[]; mode?: 'area' | 'line' | 'bars'; stepMs: number }) {
  const stacked = mode !== 'line';
  const totals = buckets.map((b) => series.reduce((sum, s) => sum + (b.values[s.key] ?? 0), 0));
  const max = stacked ? Math.max(0, ...totals) : Math.max(0, ...buckets.flatMap((b) => series.map((s) => b.values[s.key] ?? 0)));
  const ticks = niceTicks(max, 4, buckets.every((b) => series.every((x) => Number.isInteger(b.values[x.key] ?? 0))));
  const top = ticks[ticks.length - 1] ?? 1;
  const n = Math.max(1, buckets.length);
  const x = linearScale([0, Math.max(1, n - 1)], [M.left, W - M.right]);
  const band = (W - M.left - M.right) / n;
  const y = linearScale([0, top], [H - M.bottom, M.top]);
  const grand = totals.reduce((a, b) => a + b, 0);
  const labelEvery = Math.max(1, Math.ceil(n / 8));

  const shapes: ReactElement[] = [];
  const base = buckets.map(() => 0);
  for (const s of series) {
    const values = buckets.map((b) => b.values[s.key] ?? 0);
    if (mode === 'bars') {
      values.forEach((value, i) => {
        if (!value) return;
        const y0 = y(base[i]!);
        const y1 = y(base[i]! + value);
        shapes.push(
          <rect key={`${s.key}-${i}`} data-series={s.key} data-value={value} x={M.left + i * band + band * 0.1} width={Math.max(1, band * 0.8)} y={y1} height={Math.max(0.5, y0 - y1)} fill={s.color}>
            <title>{`${s.label}: ${value} at ${tickLabel(buckets[i]!.start, stepMs)}`}</title>
          </rect>,
        );
        base[i]! += value;
      });
      continue;
    }
    const upper = values.map((value, i) => (stacked ? base[i]! + value : value));
    const line = upper.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
    if (mode === 'area') {
      const lower = base.map((v, i) => `L${x(i).toFixed(1)},${y(v).toFixed(1)}`).reverse().join('');
      shapes.push(<path key={`${s.key}-area`} data-series={s.key} data-total={values.reduce((a, b) => a + b, 0)} d={`${line}${lower}Z`} fill={s.color} fillOpacity={0.55} stroke={s.color} strokeWidth={1.2} />);
    } else {
      shapes.push(<path key={`${s.key}-line`} data-series={s.key} data-total={values.reduce((a, b) => a + b, 0)} d={line} fill="none" stroke={s.color} strokeWidth={2} />);
    }
    if (stacked) upper.forEach((v, i) => (base[i] = v));
  }

  return (
    <figure className="chart" data-chart={id}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
        <title>{label}</title>
        <desc>{`${grand} in total over ${buckets.length} intervals; ${series.map((s) => `${s.label} ${buckets.reduce((sum, b) => sum + (b.values[s.key] ?? 0), 0)}`).join(', ')}`}</desc>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} className="chart-grid" />
            <text x={M.left - 6} y={y(t) + 4} textAnchor="end" className="chart-axis">
              {compactNumber(t)}
            </text>
          </g>
        ))}
        {buckets.map((b, i) =>
          i % labelEvery === 0 ? (
            <text key={b.start} x={mode === 'bars' ? M.left + i * band + band / 2 : x(i)} y={H - 8} textAnchor="middle" className="chart-axis">
              {tickLabel(b.start, stepMs)}
            </text>
          ) : null,
        )}
        {shapes}
        {buckets.map((b, i) => (
          <rect key={`hover-${b.start}`} x={M.left + i * band} y={M.top} width={band} height={H - M.top - M.bottom} fill="transparent">
            <title>{`${tickLabel(b.start, stepMs)}: ${series.map((s) => `${s.label} ${b.values[s.key] ?? 0}`).join(', ')}`}</title>
          </rect>
        ))}
      </svg>
      <Legend series={series} />
    </figure>
  );
}

export function Legend({ series, values }: { series: readonly { key: string; label: string; color: string }[]; values?: Record<string, number> }) {
  return (
    <ul className="legend">
      {series.map((s) => (
        <li key={s.key}>
          <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
          {s.label}
          {values ? <span className="legend-value">{compactNumber(values[s.key] ?? 0)}</span> : null}
        </li>
      ))}
    </ul>
  );
}
