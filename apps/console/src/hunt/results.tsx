// Hunt results: a virtualised table for any number of rows, a bar chart for stats and top, a time chart for
// timechart (one series per group). Columns without any value are hidden for event results.

import { useMemo, useState } from 'react';
import type { HuntEvent, HuntResult } from '../api/types.js';
import { VirtualTable, cellText, type Column } from '../components/virtual-table.js';
import { EventDetails } from '../components/event-details.js';
import { BarChart } from '../charts/bar-chart.js';
import { TimeChart } from '../charts/time-chart.js';
import { bucketize, durationMs, formatTime } from '../lib/time.js';
import { palette } from '../lib/colors.js';
import { compactNumber } from '../lib/scale.js';

const numeric = (type: string) => type === 'number' || type === 'long' || type === 'integer' || type === 'double';

export function HuntResults({ result, queryText }: { result: HuntResult; queryText: string }) {
  const [open, setOpen] = useState<HuntEvent | null>(null);
  const columns = useMemo<Column[]>(() => {
    if (result.kind !== 'events') return result.columns;
    const used = new Set<string>();
    for (const row of result.rows) {
      for (const key in row) if (!used.has(key) && row[key] !== null && row[key] !== undefined && row[key] !== '') used.add(key);
      if (used.size === result.columns.length) break;
    }
    return result.columns.filter((c) => used.has(c.name));
  }, [result]);

  return (
    <div className="hunt-results" data-testid="hunt-results" data-kind={result.kind} data-rows={result.rows.length}>
      <p className="muted" role="status">
        {compactNumber(result.rows.length)} {result.kind === 'events' ? 'events' : 'rows'} · {result.kind} · {result.took_ms.toFixed(1)} ms{result.truncated ? ' · more rows matched than the limit' : ''}
      </p>
      {result.kind === 'stats' || result.kind === 'top' ? <StatsChart result={result} /> : null}
      {result.kind === 'timechart' ? <Timechart result={result} queryText={queryText} /> : null}
      <VirtualTable
        label="Hunt results"
        columns={columns}
        rows={result.rows}
        height={result.kind === 'events' || result.kind === 'sequence' ? 460 : 300}
        onOpen={result.kind === 'events' ? (row) => setOpen(row) : undefined}
        renderCell={(column, row) => (column.type === 'date' && row[column.name] ? formatTime(String(row[column.name])) : undefined)}
      />
      {open ? <EventDetails event={open} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}

function StatsChart({ result }: { result: HuntResult }) {
  const value = result.columns.find((c) => numeric(c.type));
  const labels = result.columns.filter((c) => c !== value && !numeric(c.type));
  if (!value || result.rows.length > 50 || !result.rows.length) return null;
  const items = result.rows.map((row, i) => ({
    key: String(i),
    label: labels.map((c) => cellText(row[c.name]) || '∅').join(' · ') || value.name,
    value: Number(row[value.name]) || 0,
  }));
  return <BarChart id="hunt-stats" label={`${value.name} by ${labels.map((c) => c.name).join(', ') || 'all'}`} items={items} />;
}

function Timechart({ result, queryText }: { result: HuntResult; queryText: string }) {
  const value = result.columns.find((c) => numeric(c.type));
  const time = result.columns.find((c) => c.type === 'date');
  const groups = result.columns.filter((c) => c !== value && c !== time);
  const data = useMemo(() => {
    if (!value || !time || !result.rows.length) return null;
    const times = result.rows.map((r) => Date.parse(String(r[time.name]))).filter(Number.isFinite);
    const span = /span\s*=\s*(\d+(?:ms|s|m|h|d|w))/i.exec(queryText)?.[1];
    const step = (span ? durationMs(span) : undefined) ?? 3_600_000;
    const start = Math.min(...times);
    const end = Math.max(...times) + step;
    const keyOf = (row: Record<string, unknown>) => groups.map((g) => cellText(row[g.name]) || '∅').join(' · ') || value.name;
    const totals = new Map<string, number>();
    for (const row of result.rows) totals.set(keyOf(row), (totals.get(keyOf(row)) ?? 0) + (Number(row[value.name]) || 0));
    const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, palette.length).map(([k]) => k);
    const kept = new Set(top);
    const series = top.map((key, i) => ({ key, label: key, color: palette[i]! }));
    if (totals.size > kept.size) series.push({ key: 'other', label: 'other', color: '#64748b' });
    const buckets = bucketize(result.rows, { start, end, stepMs: step, time: (r) => String(r[time.name]), key: (r) => (kept.has(keyOf(r)) ? keyOf(r) : 'other'), weight: (r) => Number(r[value.name]) || 0, keys: series.map((s) => s.key) });
    return { buckets, series, step };
  }, [result, value, time, groups, queryText]);
  if (!data) return null;
  return <TimeChart id="hunt-timechart" label={`${value!.name} over time`} buckets={data.buckets} series={data.series} mode={data.series.length > 1 ? 'line' : 'area'} stepMs={data.step} />;
}
