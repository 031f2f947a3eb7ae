// The network and defense action specs: valid closed schemas whose examples validate, with exactly one block target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile } from '../internal/validate.js';
import { specs as networkSpecs } from './network.js';
import { specs as defenseSpecs } from './defense.js';

const specs = [...networkSpecs, ...defenseSpecs];
const validators = new Map(specs.map((spec) => [spec.name, compile<Record<string, unknown>>(spec.args, `arguments of ${spec.name}`, 'args', { defaults: true })]));
const check = (name: string, args: unknown) => validators.get(name)!(structuredClone(args));

test('every spec compiles in strict mode and its examples validate', () => {
  for (const spec of specs) {
    assert.equal(spec.args.additionalProperties, false, spec.name);
    for (const example of (spec.args.examples as unknown[] | undefined) ?? []) check(spec.name, example);
  }
  assert.deepEqual(specs.map((s) => s.name), ['host.isolate', 'host.release', 'net.block', 'net.unblock', 'defense.blocklist.sync']);
  assert.equal(networkSpecs.find((s) => s.name === 'host.isolate')?.reversedBy, 'host.release');
  assert.equal(networkSpecs.find((s) => s.name === 'net.block')?.reversedBy, 'net.unblock');
});

test('host.isolate fills its defaults: DNS and DHCP stay allowed unless switched off', () => {
  assert.deepEqual(check('host.isolate', {}), { allow: [], allow_dns: true, allow_dhcp: true });
  assert.deepEqual(check('host.isolate', { allow: ['10.0.0.0/8', '192.0.2.1:22', '[2001:db8::1]:443'], allow_dns: false }), { allow: ['10.0.0.0/8', '192.0.2.1:22', '[2001:db8::1]:443'], allow_dns: false, allow_dhcp: true });
  for (const bad of [{ allow: ['evil.example.com'] }, { allow: 'x' }, { allow_dns: 'yes' }, { other: 1 }]) assert.throws(() => check('host.isolate', bad), /invalid|must/, JSON.stringify(bad));
});

test('net.block takes exactly one of ip, port (with an optional protocol) or domain', () => {
  for (const good of [{ ip: '203.0.113.7' }, { ip: '2001:db8::/32' }, { port: 4444 }, { port: 53, protocol: 'udp' }, { domain: 'evil.example.com' }]) assert.deepEqual(check('net.block', good), good);
  for (const bad of [{}, { ip: '1.2.3.4', port: 1 }, { ip: '1.2.3.4', protocol: 'tcp' }, { domain: 'evil.example.com', port: 1 }, { domain: 'localhost' }, { port: 0 }, { port: 70000 }, { protocol: 'tcp' }, { ip: 'a b' }]) {
    assert.throws(() => check('net.block', bad), (error: { code?: string }) => error.code === 'invalid_input', JSON.stringify(bad));
  }
});
