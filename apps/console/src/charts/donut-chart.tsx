// Donut chart in SVG: share of each part with the total in the middle and a legend with the values.

import { Legend } from './time-chart.js';
import { compactNumber } from '../lib/scale.js';

export interface DonutPart {
  key: string;
  label: string;
  value: number;
  color: string;
}

export function DonutChart({ id, label, parts, centerLabel }: { id: string; label: string; parts: readonly DonutPart[]; centerLabel: string }) {
  const total = parts.reduce((sum, p) => sum + Math.max(0, p.value), 0);
  const r = 70;
  const c = 2 * Math.PI * r;
  let offset = 0;
  return (
    <figure className="chart donut" data-chart={id}>
      <svg viewBox="0 0 200 200" role="img" aria-label={label}>
        <title>{label}</title>
        <desc>{parts.map((p) => `${p.label} ${p.value}`).join(', ')}</desc>
        <circle cx={100} cy={100} r={r} fill="none" className="donut-track" strokeWidth={26} />
        {total > 0
          ? parts
              .filter((p) => p.value > 0)
              .map((p) => {
                const length = (p.value / total) * c;
                const segment = (
                  <circle
                    key={p.key}
                    data-segment={p.key}
                    data-value={p.value}
                    cx={100}
                    cy={100}
                    r={r}
                    fill="none"
                    stroke={p.color}
                    strokeWidth={26}
                    strokeDasharray={`${length} ${c - length}`}
                    strokeDashoffset={-offset}
                    transform="rotate(-90 100 100)"
                  >
                    <title>{`${p.label}: ${p.value}`}</title>
                  </circle>
                );
                offset += length;
                return segment;
              })
          : null}
        <text x={100} y={98} textAnchor="middle" className="donut-total">
          {compactNumber(total)}
        </text>
        <text x={100} y={118} textAnchor="middle" className="chart-axis">
          {centerLabel}
        </text>
      </svg>
      <Legend series={parts} values={Object.fromEntries(parts.map((p) => [p.key, p.value]))} />
    </figure>
  );
}
