// Validation of values: dates and hex are accepted and normalised exactly as the original rules did (the date check
// skips building a Date for UTC dates of 1970-2199; these tests compare it with the rule it replaced).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { checkEvent, checkInventoryRow } from './index.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** The date rule as first written: a problem, or the value stored after validation. */
function referenceDate(value: string): { problem: boolean; stored: string } {
  if (!ISO_DATE.test(value)) return { problem: true, stored: value };
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return { problem: true, stored: value };
  const year = new Date(ms).getUTCFullYear();
  if (year < 1970 || year > 2200) return { problem: true, stored: value };
  return { problem: false, stored: value.endsWith('Z') ? value : new Date(ms).toISOString() };
}

function processEvent(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    '@timestamp': '2026-11-03T09:14:22.529Z', 'event.id': '123e4567-e89b-42d3-a456-426614174000', 'event.sequence': 1, 'event.category': 'process',
    'event.action': 'start', 'host.id': 'h', 'process.pid': 1, ...extra,
  };
}

test('equivalence: dates are accepted, refused and normalised as by the Date-based rule (year edges, roll-overs, offsets)', () => {
  const random = seededRandom(2026_12_05);
  const int = (n: number) => Math.floor(random() * n);
  const two = (n: number) => String(n).padStart(2, '0');
  const years = [0, 1, 1969, 1970, 1971, 2025, 2026, 2198, 2199, 2200, 2201, 9999];
  const dates: string[] = ['1969-12-31T24:00:00Z', '2199-12-31T24:00:00Z', '2200-12-31T24:00:00Z', '2200-12-31T23:59:59.999Z', '1970-01-01T00:00:00+01:00', '2200-12-31T23:30:00-01:00', '2026-02-30T00:00:00Z'];
  for (let i = 0; i < 20_000; i++) {
    const year = random() < 0.6 ? years[int(years.length)]! : int(10_000);
    const month = random() < 0.9 ? 1 + int(12) : int(14);
    const day = random() < 0.8 ? 1 + int(31) : int(33);
    const hour = random() < 0.9 ? int(24) : 24 + int(2);
    const fraction = random() < 0.5 ? '' : `.${String(int(1_000_000_000)).slice(0, 1 + int(9))}`;
    const zone = random() < 0.6 ? 'Z' : `${random() < 0.5 ? '+' : '-'}${two(int(15))}:${two(int(2) * 30)}`;
    dates.push(`${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(int(61))}:${two(int(61))}${fraction}${zone}`);
  }
  let accepted = 0;
  for (const date of dates) {
    const expected = referenceDate(date);
    const event = processEvent({ '@timestamp': date, 'process.start': date });
    const check = checkEvent(event, 'e');
    assert.equal(check.problems.length > 0, expected.problem, `${date}: ${JSON.stringify(check.problems)}`);
    if (!expected.problem) {
      accepted++;
      assert.equal(event['@timestamp'], expected.stored, date);
      assert.equal(event['process.start'], expected.stored, date);
    }
  }
  assert.ok(accepted > 5_000 && accepted < dates.length - 1_000, `both outcomes are exercised (${accepted} of ${dates.length} accepted)`);
});

test('hex and dates are normalised in events and in inventory rows', () => {
  const event = processEvent({ 'process.hash.sha256': 'AB'.repeat(32), '@timestamp': '2026-11-03T10:14:22.529+01:00' });
  assert.deepEqual(checkEvent(event, 'e').problems, []);
  assert.equal(event['process.hash.sha256'], 'ab'.repeat(32));
  assert.equal(event['@timestamp'], '2026-11-03T09:14:22.529Z');
  const row: Record<string, unknown> = { 'file.path': '/usr/bin/ls', 'file.hash.sha256': 'CD'.repeat(32), 'file.mtime': '2026-01-01T00:00:00-02:00' };
  assert.deepEqual(checkInventoryRow('executables', row, 'r'), []);
  assert.equal(row['file.hash.sha256'], 'cd'.repeat(32));
  assert.equal(row['file.mtime'], '2026-01-01T02:00:00.000Z');
  const late = processEvent({ '@timestamp': '2200-12-31T24:00:00Z' });
  assert.deepEqual(checkEvent(late, 'e').problems.map((p) => p.message), ['@timestamp is outside 1970-2200: 2200-12-31T24:00:00Z']);
});
