// Horizontal bar chart in SVG for top-N lists (rules, hosts, values); a bar with an href is a keyboard-reachable link.

import type { MouseEvent } from 'react';
import { compactNumber } from '../lib/scale.js';
import { navigate } from '../router.js';

export interface BarItem {
  key: string;
  label: string;
  value: number;
  color?: string;
  href?: string;
}

const W = 520;
const ROW = 26;
const LABEL = 190;

export function BarChart({ id, label, items, color = '#38bdf8' }: { id: string; label: string; items: readonly BarItem[]; color?: string }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  const height = Math.max(ROW, items.length * ROW);
  const follow = (href: string) => (event: MouseEvent) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <figure className="chart bar-chart" data-chart={id}>
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-label={label}>
        <title>{label}</title>
        {items.map((item, i) => {
          const width = Math.max(2, ((W - LABEL - 60) * item.value) / max);
          const body = (
            <>
              <text x={LABEL - 8} y={i * ROW + 17} textAnchor="end" className="chart-label">
                {item.label.length > 28 ? `${item.label.slice(0, 27)}…` : item.label}
              </text>
              <rect data-bar={item.key} data-value={item.value} x={LABEL} y={i * ROW + 5} width={width} height={ROW - 10} rx={3} fill={item.color ?? color} />
              <text x={LABEL + width + 6} y={i * ROW + 17} className="chart-value">
                {compactNumber(item.value)}
              </text>
              <title>{`${item.label}: ${item.value}`}</title>
            </>
          );
          return item.href ? (
            <a key={item.key} href={item.href} onClick={follow(item.href)} aria-label={`${item.label}: ${item.value}`}>
              {body}
            </a>
          ) : (
            <g key={item.key}>{body}</g>
          );
        })}
      </svg>
    </figure>
  );
}
