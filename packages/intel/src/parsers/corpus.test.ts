// The STIX 2.1 and MISP samples of the shared corpus import with the counts and types an independent reading of the
// raw JSON gives (plain regular expressions and a type table written here, not the parsers' code).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isIPv4 } from 'node:net';
import { corpusPath } from '@vigil/common';
import { countByType, indicatorTypes, type IndicatorType } from '../core.js';
import { parseIndicators, refuseMalformed } from './index.js';

type Counts = Record<IndicatorType, number>;
const zero = (): Counts => Object.fromEntries(indicatorTypes.map((t) => [t, 0])) as Counts;

/** Counts per type from the raw bundle: every `<object>:<property> = '<value>'` comparison of an indicator pattern. */
function expectedStix(bundle: { objects?: Record<string, unknown>[] }): { counts: Counts; indicators: number; unsupported: number } {
  const counts = zero();
  let unsupported = 0;
  let indicators = 0;
  for (const object of bundle.objects ?? []) {
    if (object.type !== 'indicator') continue;
    indicators++;
    const pattern = String(object.pattern);
    const seen = new Set<string>();
    for (const [, objectType, property, value] of pattern.matchAll(/([a-z0-9-]+):([a-z_]+(?:\.(?:'[^']+'|[A-Za-z0-9_-]+))?)\s*(?:=|MATCHES)\s*'((?:[^'\\]|\\.)*)'/g)) {
      let type: IndicatorType | undefined;
      if ((objectType === 'ipv4-addr' || objectType === 'ipv6-addr') && property === 'value') {
        const [address, prefix] = value!.split('/');
        if (!isIPv4(address!)) continue;
        type = prefix === undefined || prefix === '32' ? 'ip' : 'cidr';
      } else if (objectType === 'domain-name' && property === 'value') {
        if (!/^[a-z0-9.-]+$/i.test(value!)) continue; // e.g. 'domain autuo.xicp.net' in poisonivy.json is not a name
        type = 'domain';
      } else if (objectType === 'file' && property === 'name') type = 'file_name';
      else if (objectType === 'file' && /^hashes\.'?(md5|sha-?256|sha-?1)'?$/i.test(property!)) type = property!.toLowerCase().replace(/^hashes\.'?|'$/g, '').replace('-', '') as IndicatorType;
      if (!type) {
        unsupported++;
        continue;
      }
      if (!pattern.includes(' AND ') && !seen.has(`${type}:${value}`)) {
        seen.add(`${type}:${value}`);
        counts[type]++;
      }
    }
  }
  return { counts, indicators, unsupported };
}

test('every STIX 2.1 example bundle of the corpus imports with the independently counted indicators per type', () => {
  const root = corpusPath('ioc', 'stix2.1', 'examples');
  const files = [...readdirSync(root).filter((f) => f.endsWith('.json')), ...readdirSync(join(root, 'threat-reports')).map((f) => join('threat-reports', f))];
  assert.ok(files.length >= 8, `${files.length} bundles`);
  let total = 0;
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const expected = expectedStix(JSON.parse(text));
    const result = refuseMalformed(parseIndicators(text, { source: 'stix-test', file }));
    assert.equal(result.format, 'stix', file);
    assert.equal(result.entries, expected.indicators, `${file}: indicator objects`);
    assert.deepEqual(countByType(result.indicators), expected.counts, `${file}: counts per type`);
    total += result.indicators.length;
    if (expected.unsupported) assert.ok(result.problems.some((p) => p.severity === 'warning'), `${file}: unsupported comparisons are reported`);
    for (const warning of result.problems) assert.match(warning.location.path ?? '', /^objects\[\d+\]\./, `${file}: warnings name the object`);
  }
  assert.ok(total > 50, `${total} indicators from the STIX examples`);
});

test('apt1.json: 4 CIDR ranges, 3 domains, 3 MD5 hashes; the two x509 patterns are reported with their column', () => {
  const text = readFileSync(corpusPath('ioc', 'stix2.1', 'examples', 'threat-reports', 'apt1.json'), 'utf8');
  const result = parseIndicators(text, { source: 'apt1' });
  const counts = countByType(result.indicators);
  assert.equal(counts.cidr, 4);
  assert.equal(counts.domain, 3);
  assert.equal(counts.md5, 3);
  assert.equal(result.indicators.length, 10);
  assert.ok(result.indicators.some((i) => i.type === 'cidr' && i.value === '223.166.0.0/15'));
  const x509 = result.problems.filter((p) => p.message.includes('x509-certificate'));
  assert.equal(x509.length, 4, 'issuer and serial_number of both certificate patterns');
  assert.ok(x509.every((p) => p.severity === 'warning' && p.location.column !== undefined));
  assert.ok(result.indicators.every((i) => i.firstSeen === '2015-05-15T09:12:16.432Z' && i.externalId?.startsWith('indicator--')));
});

const SUPPORTED_MISP: Record<string, (IndicatorType | 'address' | 'name')[]> = {
  md5: ['md5'], sha1: ['sha1'], sha256: ['sha256'], 'filename|md5': ['name', 'md5'], 'filename|sha1': ['name', 'sha1'], 'filename|sha256': ['name', 'sha256'],
  'ip-dst': ['address'], 'ip-src': ['address'], domain: ['domain'], hostname: ['domain'], url: ['url'], filename: ['name'], 'malware-sample': ['name', 'md5'],
};

/** Distinct (type, value) pairs per type of the to_ids attributes the raw event holds (section hashes left out). */
function expectedMisp(document: { Event: Record<string, unknown> }): Counts {
  const seen = new Set<string>();
  const counts = zero();
  const take = (attribute: Record<string, unknown>, objectName: string | null) => {
    if (attribute.to_ids !== true || attribute.deleted === true) return;
    const parts = SUPPORTED_MISP[String(attribute.type)];
    if (!parts) return;
    if (objectName === 'pe-section') return;
    String(attribute.value).split('|').forEach((value, index) => {
      let type = parts[index]!;
      if (type === 'name') type = /[\\/]/.test(value) ? 'path' : 'file_name';
      if (type === 'address') type = value.includes('/') ? 'cidr' : 'ip';
      if (type === 'url' && !/^[a-z]+:\/\//i.test(value)) return;
      if (type === 'domain' && !/^[a-z0-9.-]+$/i.test(value)) return;
      const key = `${type}:${type === 'path' ? value : value.toLowerCase()}`;
      if (seen.has(key)) return;
      seen.add(key);
      counts[type as IndicatorType]++;
    });
  };
  for (const a of (document.Event.Attribute as Record<string, unknown>[] | undefined) ?? []) take(a, null);
  for (const o of (document.Event.Object as Record<string, unknown>[] | undefined) ?? []) for (const a of (o.Attribute as Record<string, unknown>[]) ?? []) take(a, String(o.name));
  return counts;
}

test('the MISP events of the corpus import the to_ids attributes with independently counted types', () => {
  const files = ['circl-osint-xorist-57c4445b.json', 'circl-osint-asert-four-element-sword.json', 'circl-mar-10164494-samsam-objects.json'];
  for (const file of files) {
    const text = readFileSync(corpusPath('ioc', 'misp', file), 'utf8');
    const result = refuseMalformed(parseIndicators(text, { source: 'misp-test', file }));
    assert.equal(result.format, 'misp', file);
    const distinct = new Map(result.indicators.map((i) => [`${i.type}:${i.value}`, i]));
    assert.deepEqual(countByType([...distinct.values()]), expectedMisp(JSON.parse(text)), file);
  }
  const xorist = parseIndicators(readFileSync(corpusPath('ioc', 'misp', files[0]!), 'utf8'), { source: 'misp' });
  assert.deepEqual(xorist.indicators.map((i) => i.type).sort(), ['file_name', 'md5', 'sha1', 'sha256']);
  assert.ok(xorist.problems.some((p) => p.message.includes('regkey|value')), 'the registry key is reported as unsupported');
  const samsam = parseIndicators(readFileSync(corpusPath('ioc', 'misp', files[2]!), 'utf8'), { source: 'misp' });
  assert.equal(samsam.problems.filter((p) => p.message.includes('section hash')).length, 8, 'the eight pe-section MD5s are not file hashes');
  const all = parseIndicators(readFileSync(corpusPath('ioc', 'misp', files[1]!), 'utf8'), { source: 'misp', includeNonIds: true });
  assert.ok(all.indicators.length > parseIndicators(readFileSync(corpusPath('ioc', 'misp', files[1]!), 'utf8'), { source: 'misp' }).indicators.length, 'includeNonIds takes more');
});

test('the signature-base LOKI lists import as plain lists', () => {
  const c2 = readFileSync(corpusPath('ioc', 'signature-base', 'c2-iocs.txt'), 'utf8');
  const result = refuseMalformed(parseIndicators(c2, { source: 'loki-c2', file: 'c2-iocs.txt' }));
  assert.equal(result.format, 'list');
  const lines = c2.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(result.entries, lines.length);
  const counts = countByType(result.indicators);
  assert.ok(counts.ip > 100 && counts.domain > 100, JSON.stringify(counts));
  const hashes = refuseMalformed(parseIndicators(readFileSync(corpusPath('ioc', 'signature-base', 'hash-iocs.txt'), 'utf8'), { source: 'loki-hash' }));
  const hashCounts = countByType(hashes.indicators);
  assert.ok(hashCounts.sha256 > 1000 && hashCounts.md5 > 100, JSON.stringify(hashCounts));
  assert.ok(hashes.indicators.every((i) => i.description !== null), 'the text after ; is the description');
});
