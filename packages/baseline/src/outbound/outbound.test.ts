import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProfilerConformance, event, T0, DAY, contextFor, fleetOf } from '../conformance.case.test.js';
import { createOutboundProfiler } from './outbound.js';
import { addressClass, registeredDomain } from '../internal/addresses.js';

const connect = (host: string, time: number, ip: string, port: number, domain?: string) =>
  event(host, time, {
    'event.category': 'network', 'event.action': 'connect', 'network.direction': 'egress', 'network.transport': 'tcp', 'process.executable': '/usr/bin/curl', 'process.pid': 9,
    'destination.ip': ip, 'destination.port': port, ...(domain ? { 'destination.domain': domain } : {}),
  });

runProfilerConformance({
  name: 'outbound',
  create: createOutboundProfiler,
  samples: {
    normal: (host, time, i) => [connect(host, time, `151.101.${i % 4}.10`, 443, 'api.example.com'), connect(host, time + 1, '10.0.0.53', 53)],
    novel: (host, time) => [connect(host, time, '203.0.113.9', 4444)],
  },
});

test('loopback is not profiled; public addresses become their /24; names their registered domain', () => {
  const profiler = createOutboundProfiler();
  const fleet = fleetOf(['h']);
  assert.equal(profiler.score(connect('h', T0 + 10 * DAY, '127.0.0.1', 5432), contextFor('h', T0 + 10 * DAY, fleet)), undefined);
  assert.equal(addressClass('203.0.113.77'), '203.0.113.0/24');
  assert.equal(addressClass('10.1.2.3'), '10.1.2.3');
  assert.equal(addressClass('2001:db8:aa:1::5'), '2001:db8:aa::/48');
  assert.equal(registeredDomain('a.b.Example.com.'), 'example.com');
  assert.equal(registeredDomain('www.example.co.uk'), 'example.co.uk');
});
