// Unit and property tests of address parsing: canonical forms, prefixes, allow entries and range coverage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isIPv6 } from 'node:net';
import { seededRandom } from '@vigil/common';
import { addressToBig, bigToAddress, cidrRange, cidrText, covered, parseAllowEntry, parseCidr } from './addresses.js';

test('CIDRs are canonical: host bits cleared, IPv6 compressed, /32 and /128 shown as plain addresses', () => {
  assert.equal(cidrText(parseCidr('10.1.2.3/8', 'x')), '10.0.0.0/8');
  assert.equal(cidrText(parseCidr('10.1.2.3', 'x')), '10.1.2.3');
  assert.equal(cidrText(parseCidr('10.1.2.3/32', 'x')), '10.1.2.3');
  assert.equal(cidrText(parseCidr('2001:DB8:0:0:0:0:0:1/128', 'x')), '2001:db8::1');
  assert.equal(cidrText(parseCidr('2001:db8:ffff::/32', 'x')), '2001:db8::/32');
  assert.equal(cidrText(parseCidr('::ffff:1.2.3.4', 'x')), '::ffff:102:304');
  assert.equal(cidrText(parseCidr('0.0.0.0/0', 'x')), '0.0.0.0/0');
});

test('bad addresses and prefixes are refused with the argument path', () => {
  for (const bad of ['10.0.0.256', '10.0.0.0/33', '2001:db8::/129', 'evil.example.com', '10.0.0.0/', '10.0.0.0/8/8', '']) {
    assert.throws(() => parseCidr(bad, 'args.ip'), (error: { code?: string; location?: { path?: string } }) => error.code === 'invalid_input' && error.location?.path === 'args.ip', bad);
  }
});

test('allow entries: CIDR, IPv4 with port, bracketed IPv6 with port; a network with a port is refused', () => {
  assert.deepEqual(parseAllowEntry('10.20.0.0/16', 'a'), { kind: 'cidr', cidr: { family: 4, address: '10.20.0.0', prefix: 16 } });
  assert.deepEqual(parseAllowEntry('192.0.2.10:22', 'a'), { kind: 'service', family: 4, address: '192.0.2.10', port: 22 });
  assert.deepEqual(parseAllowEntry('[2001:db8::10]:443', 'a'), { kind: 'service', family: 6, address: '2001:db8::10', port: 443 });
  assert.deepEqual(parseAllowEntry('2001:db8::/32', 'a'), { kind: 'cidr', cidr: { family: 6, address: '2001:db8::', prefix: 32 } });
  assert.throws(() => parseAllowEntry('10.0.0.0/8:22', 'args.allow[0]'), /single address/);
  assert.throws(() => parseAllowEntry('192.0.2.1:70000', 'args.allow[0]'), /port/);
});

test('property: address text ↔ number round-trips (IPv4 and IPv6, 2,000 random values)', () => {
  const random = seededRandom(7);
  for (let i = 0; i < 1000; i++) {
    const v4 = BigInt(Math.floor(random() * 2 ** 32));
    assert.equal(addressToBig(4, bigToAddress(4, v4)), v4);
    // IPv6 with runs of zero hextets, so compression is exercised.
    let v6 = 0n;
    for (let h = 0; h < 8; h++) v6 = (v6 << 16n) | (random() < 0.4 ? 0n : BigInt(Math.floor(random() * 65536)));
    const text = bigToAddress(6, v6);
    assert.ok(isIPv6(text), text);
    assert.equal(addressToBig(6, text), v6, text);
  }
});

test('property: covered() agrees with a brute-force check on small ranges', () => {
  const random = seededRandom(11);
  for (let round = 0; round < 500; round++) {
    const outer: [bigint, bigint][] = Array.from({ length: Math.floor(random() * 5) }, () => {
      const a = BigInt(Math.floor(random() * 40));
      return [a, a + BigInt(Math.floor(random() * 10))];
    });
    const a = BigInt(Math.floor(random() * 40));
    const inner: [bigint, bigint] = [a, a + BigInt(Math.floor(random() * 6))];
    let brute = true;
    for (let x = inner[0]; x <= inner[1]; x++) if (!outer.some(([f, l]) => f <= x && x <= l)) brute = false;
    assert.equal(covered(inner, outer), brute, JSON.stringify({ inner: inner.map(String), outer: outer.map((r) => r.map(String)) }));
  }
});

test('property: random strings never crash the parser (they parse or throw invalid_input)', () => {
  const random = seededRandom(3);
  const alphabet = '0123456789abcdef:./[]-x ';
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    try {
      const entry = parseAllowEntry(text, 'a');
      if (entry.kind === 'cidr') assert.ok(cidrRange(entry.cidr)[0] <= cidrRange(entry.cidr)[1]);
    } catch (error) {
      assert.equal((error as { code?: string }).code, 'invalid_input', `${JSON.stringify(text)}: ${String(error)}`);
    }
  }
});
