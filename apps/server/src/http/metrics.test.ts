// Prometheus exposition writer: output parsed back line by line (names, labels with escapes, values, histograms).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetricsRegistry, escapeLabelValue, formatExposition, histogramSamples, registerExporterFailures, type MetricFamily } from './metrics.js';

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the text format 0.0.4, written from the format description, to read the writer's output back. */
function parseExposition(text: string): { help: Map<string, string>; types: Map<string, string>; samples: ParsedSample[] } {
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  const samples: ParsedSample[] = [];
  assert.ok(text.endsWith('\n'), 'the text ends with a line feed');
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'HELP' ? help : types).set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const labelText = sample[3] ?? '';
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/y;
    let match: RegExpExecArray | null;
    while (labelPattern.lastIndex < labelText.length && (match = labelPattern.exec(labelText))) {
      labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
    }
    assert.equal(labelPattern.lastIndex, labelText.length, `labels not fully parsed: ${labelText}`);
    const raw = sample[4]!;
    samples.push({ name: sample[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return { help, types, samples };
}

test('counters, gauges and labels round-trip through the text format, with escaped label values', () => {
  const tricky = 'C:\\Program Files\\"x"\nnext';
  const families: MetricFamily[] = [
    { name: 'vigil_ingest_batches_total', help: 'Batches.\nSecond line with \\ backslash.', type: 'counter', samples: [{ value: 42 }] },
    { name: 'vigil_agents', help: 'Agents by state.', type: 'gauge', samples: [{ labels: { state: 'online' }, value: 3 }, { labels: { state: 'offline' }, value: 0 }] },
    { name: 'vigil_http_requests_total', help: 'Requests.', type: 'counter', samples: [{ labels: { route: tricky, status: '200' }, value: 7 }] },
    { name: 'vigil_ingest_events_per_second', help: 'Rate.', type: 'gauge', samples: [{ value: 12.5 }] },
  ];
  const text = formatExposition(families);
  const parsed = parseExposition(text);
  assert.equal(parsed.types.get('vigil_ingest_batches_total'), 'counter');
  assert.equal(parsed.types.get('vigil_agents'), 'gauge');
  assert.equal(parsed.help.get('vigil_ingest_batches_total'), 'Batches.\\nSecond line with \\\\ backslash.');
  assert.deepEqual(parsed.samples.find((s) => s.name === 'vigil_ingest_batches_total'), { name: 'vigil_ingest_batches_total', labels: {}, value: 42 });
  assert.equal(parsed.samples.find((s) => s.name === 'vigil_agents' && s.labels.state === 'online')?.value, 3);
  assert.equal(parsed.samples.find((s) => s.name === 'vigil_http_requests_total')?.labels.route, tricky);
  assert.equal(parsed.samples.find((s) => s.name === 'vigil_ingest_events_per_second')?.value, 12.5);
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

test('a histogram has cumulative buckets ending in +Inf, a sum and a count', () => {
  const text = formatExposition([
    { name: 'vigil_detection_alert_latency_ms', help: 'Latency.', type: 'histogram', samples: histogramSamples({ bounds: [1, 5, 10], counts: [2, 1, 0, 3], sum: 120.5, count: 6 }) },
  ]);
  const { samples, types } = parseExposition(text);
  assert.equal(types.get('vigil_detection_alert_latency_ms'), 'histogram');
  const buckets = samples.filter((s) => s.name === 'vigil_detection_alert_latency_ms_bucket').map((s) => [s.labels.le, s.value]);
  assert.deepEqual(buckets, [['1', 2], ['5', 3], ['10', 3], ['+Inf', 6]]);
  assert.equal(samples.find((s) => s.name === 'vigil_detection_alert_latency_ms_sum')?.value, 120.5);
  assert.equal(samples.find((s) => s.name === 'vigil_detection_alert_latency_ms_count')?.value, 6);
});

test('special values are written as Prometheus spells them; an empty family keeps HELP and TYPE', () => {
  const text = formatExposition([
    { name: 'a_gauge', help: 'x', type: 'gauge', samples: [{ labels: { k: 'nan' }, value: NaN }, { labels: { k: 'inf' }, value: Infinity }, { labels: { k: 'ninf' }, value: -Infinity }] },
    { name: 'vigil_exporter_failures_total', help: 'Failures.', type: 'counter', samples: [] },
  ]);
  assert.match(text, /^a_gauge\{k="nan"\} NaN$/m);
  assert.match(text, /^a_gauge\{k="inf"\} \+Inf$/m);
  assert.match(text, /^a_gauge\{k="ninf"\} -Inf$/m);
  assert.match(text, /^# TYPE vigil_exporter_failures_total counter$/m);
  assert.equal(parseExposition(text).samples.length, 3);
});

test('invalid names and a family given twice are refused', () => {
  assert.throws(() => formatExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }]), /invalid metric name/);
  assert.throws(() => formatExposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }]), /invalid label name/);
  assert.throws(() => formatExposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { __reserved: 'x' }, value: 1 }] }]), /invalid label name/);
  const twice: MetricFamily = { name: 'dup', help: '', type: 'gauge', samples: [] };
  assert.throws(() => formatExposition([twice, twice]), /defined twice/);
});

test('the registry collects in registration order, refuses a name twice and survives a failing collector', () => {
  const registry = createMetricsRegistry();
  registry.register('one', () => [{ name: 'first', help: '1', type: 'gauge', samples: [{ value: 1 }] }]);
  registry.register('broken', () => {
    throw new Error('collector bug');
  });
  registerExporterFailures(registry, () => [{ exporter: 'splunk-hec', failures: 4 }]);
  assert.throws(() => registry.register('one', () => []), /registered twice/);
  assert.ok(registry.has('exporter_failures'));
  const parsed = parseExposition(formatExposition(registry.collect()));
  assert.deepEqual(parsed.samples.map((s) => s.name), ['first', 'vigil_exporter_failures_total']);
  assert.deepEqual(parsed.samples[1]!.labels, { exporter: 'splunk-hec' });
  assert.equal(parsed.samples[1]!.value, 4);
});
