import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom, VigilError } from '@vigil/common';
import type { IndicatorType } from './core.js';
import { addressOrRange, canonicalIndicatorValue, detectIndicator, refang, tryCanonical } from './normalize.js';
import { canonicalAddress, formatCidr, parseCidr } from './internal/ip.js';

test('canonical values per type', () => {
  const cases: [IndicatorType, string, string][] = [
    ['md5', ' D41D8CD98F00B204E9800998ECF8427E ', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['sha1', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['sha256', 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['ip', '10.0.0.1', '10.0.0.1'],
    ['ip', '2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['ip', '::ffff:192.0.2.7', '192.0.2.7'],
    ['ip', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['ip', '[fe80::1%eth0]', 'fe80::1'],
    ['cidr', '10.1.2.3/8', '10.0.0.0/8'],
    ['cidr', '2001:DB8::/32', '2001:db8::/32'],
    ['cidr', '::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['domain', 'WWW.Example.COM.', 'www.example.com'],
    ['domain', '*.evil.example', 'evil.example'],
    ['domain', 'bücher.example', 'xn--bcher-kva.example'],
    ['url', 'HTTP://Evil.EXAMPLE:80/a/b?x=1#frag', 'http://evil.example/a/b?x=1'],
    ['url', 'https://evil.example', 'https://evil.example/'],
    ['port', '0443', '443'],
    ['process_name', 'PowerShell.EXE', 'powershell.exe'],
    ['file_name', 'Invoice.PDF.exe', 'invoice.pdf.exe'],
    ['path', '/tmp/Mixed Case', '/tmp/Mixed Case'],
  ];
  for (const [type, raw, expected] of cases) assert.equal(canonicalIndicatorValue(type, raw), expected, `${type} ${raw}`);
});

test('values that are not of their type are refused with the location given', () => {
  const bad: [IndicatorType, string][] = [
    ['md5', 'xyz'], ['sha1', 'd41d8cd98f00b204e9800998ecf8427e'], ['sha256', 'g'.repeat(64)], ['ip', '10.0.0.256'], ['ip', '10.0.0.0/8'],
    ['cidr', '10.0.0.1'], ['cidr', '10.0.0.0/33'], ['domain', 'domain autuo.xicp.net'], ['domain', '1.2.3.4'], ['domain', '-bad.example'],
    ['url', 'evil.example/path'], ['url', 'javascript:alert(1)'], ['port', '65536'], ['port', '-1'], ['process_name', '/bin/sh'], ['file_name', ''], ['path', ''],
  ];
  for (const [type, raw] of bad) {
    assert.throws(() => canonicalIndicatorValue(type, raw, 'indicators[3].value'), (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && error.location?.path === 'indicators[3].value', `${type} ${raw}`);
    assert.equal(tryCanonical(type, raw), undefined);
  }
});

test('type detection for untyped lists', () => {
  const cases: [string, { type: IndicatorType; value: string } | undefined][] = [
    ['d41d8cd98f00b204e9800998ecf8427e', { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' }],
    ['DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', { type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' }],
    ['58.64.143.244', { type: 'ip', value: '58.64.143.244' }],
    ['58[.]64[.]143[.]244', { type: 'ip', value: '58.64.143.244' }],
    ['192.0.2.0/24', { type: 'cidr', value: '192.0.2.0/24' }],
    ['192.0.2.9/32', { type: 'ip', value: '192.0.2.9' }],
    ['hxxps://evil[.]example/x', { type: 'url', value: 'https://evil.example/x' }],
    ['me.scieron.com', { type: 'domain', value: 'me.scieron.com' }],
    ['dropper.exe', { type: 'file_name', value: 'dropper.exe' }],
    ['/tmp/.x/payload', { type: 'path', value: '/tmp/.x/payload' }],
    ['C:\\Windows\\Temp\\x.exe', { type: 'path', value: 'C:\\Windows\\Temp\\x.exe' }],
    ['port:4444', { type: 'port', value: '4444' }],
    ['process_name:XMRig', { type: 'process_name', value: 'xmrig' }],
    ['4444', undefined],
    ['\\\\usbclass\\.sys', undefined],
    ['just words', undefined],
  ];
  for (const [raw, expected] of cases) assert.deepEqual(detectIndicator(raw), expected, raw);
  assert.equal(refang('hxxp://a[.]b(.)c[:]80'), 'http://a.b.c:80');
  assert.deepEqual(addressOrRange('2001:db8::/128'), { type: 'ip', value: '2001:db8::' });
});

test('property: canonical IPv6 text parses back to the same address and is a fixed point', () => {
  const random = seededRandom(7);
  for (let i = 0; i < 2000; i++) {
    const groups = Array.from({ length: 8 }, () => (random() < 0.4 ? 0 : Math.floor(random() * 65536)));
    const text = groups.map((g) => g.toString(16)).join(':');
    const canonical = canonicalAddress(text);
    assert.ok(canonical, text);
    assert.equal(canonicalAddress(canonical), canonical, `${text} -> ${canonical}`);
    const expanded = canonicalAddress(groups.map((g) => g.toString(16).padStart(4, '0')).join(':'));
    assert.equal(expanded, canonical);
    const prefix = Math.floor(random() * 129);
    const cidr = parseCidr(`${text}/${prefix}`);
    assert.ok(cidr);
    assert.equal(formatCidr(parseCidr(formatCidr(cidr))!), formatCidr(cidr));
  }
});
