// /proc/net socket table parser: golden lines, a property test (kernel formatting → parse gives the socket back) and
// the live table, which must list a socket this test opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, isIP } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { seededRandom } from '@vigil/common';
import { formatIpv6, isListening, parseHexAddress, parseProcNet } from './proc-net.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

test('golden: IPv4 and IPv6 listeners and an established connection', () => {
  const tcp = HEADER + '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n' + '   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4243 1 0000000000000000 20 4 30 10 -1\n';
  const { entries, skipped } = parseProcNet(tcp, 'tcp', true);
  assert.equal(skipped, 0);
  assert.deepEqual(entries[0], { transport: 'tcp', type: 'ipv4', localIp: '127.0.0.1', localPort: 8080, remoteIp: '0.0.0.0', remotePort: 0, state: 0x0a, uid: 0, inode: 4242 });
  assert.ok(isListening(entries[0]!));
  assert.equal(entries[1]!.uid, 1000);
  assert.ok(!isListening(entries[1]!));
  const tcp6 = HEADER + '   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0\n' + '   1: 0000000000000000FFFF00000100007F:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 78 2 0000000000000000 0\n';
  const six = parseProcNet(tcp6, 'udp', true).entries;
  assert.equal(six[0]!.localIp, '::1');
  assert.equal(six[0]!.localPort, 22);
  assert.equal(six[1]!.localIp, '::ffff:127.0.0.1');
  assert.ok(isListening(six[1]!), 'an unconnected bound UDP socket counts as listening');
});

test('lines not in the kernel shape are skipped and counted', () => {
  const { entries, skipped } = parseProcNet(HEADER + 'garbage\n   0: 0100007F:1F90 00000000:0000 ZZ 0 0 0 0 0 1\n   1: 0100007F:1F90 00000000000000000000000000000000:0000 0A 0 0 0 0 0 1\n', 'tcp', true);
  assert.equal(entries.length, 0);
  assert.equal(skipped, 3);
});

/** The kernel's formatting: each 32-bit word of the address printed with %08X in host (little-endian) order. */
function kernelHex(bytes: number[]): string {
  let out = '';
  for (let w = 0; w < bytes.length; w += 4) out += bytes.slice(w, w + 4).reverse().map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  return out;
}

test('property: 2,000 random sockets formatted as the kernel does parse back to the same addresses and ports', () => {
  const random = seededRandom(5);
  for (let i = 0; i < 2000; i++) {
    const v6 = random() < 0.5;
    const bytes = Array.from({ length: v6 ? 16 : 4 }, () => (random() < 0.3 ? 0 : Math.floor(random() * 256)));
    const port = Math.floor(random() * 65536);
    const state = Math.floor(random() * 12) + 1;
    const inode = Math.floor(random() * 2 ** 31);
    const uid = Math.floor(random() * 70000);
    const line = `${HEADER}  ${i}: ${kernelHex(bytes)}:${port.toString(16).toUpperCase().padStart(4, '0')} ${kernelHex(bytes.map(() => 0))}:0000 ${state.toString(16).toUpperCase().padStart(2, '0')} 00000000:00000000 00:00000000 00000000 ${uid} 0 ${inode} 1 0\n`;
    const [entry] = parseProcNet(line, 'tcp', true).entries;
    assert.ok(entry, line);
    const text = v6 ? formatIpv6(bytes) : bytes.join('.');
    assert.equal(entry.localIp, text);
    assert.notEqual(isIP(entry.localIp), 0, entry.localIp);
    assert.equal(entry.localPort, port);
    assert.equal(entry.state, state);
    assert.equal(entry.inode, inode);
    assert.equal(entry.uid, uid);
  }
});

test('RFC 5952 text for IPv6: longest zero run compressed, single zero groups kept', () => {
  assert.equal(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]), '2001:db8::1:0:0:1');
  assert.equal(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), '2001:db8:0:1::1');
  assert.equal(formatIpv6(new Array(16).fill(0)), '::');
  assert.equal(parseHexAddress('00000000', true)?.ip, '0.0.0.0');
});

test('the live tables list a TCP listener and a UDP socket this process opened', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const udp = createSocket('udp6');
  await new Promise<void>((resolve) => udp.bind(0, '::1', resolve));
  try {
    const tcpPort = (server.address() as { port: number }).port;
    const udpPort = udp.address().port;
    const tcp = parseProcNet(readFileSync('/proc/net/tcp', 'utf8'), 'tcp').entries;
    assert.ok(tcp.some((e) => e.localIp === '127.0.0.1' && e.localPort === tcpPort && isListening(e)), `port ${tcpPort} in /proc/net/tcp`);
    const udp6 = parseProcNet(readFileSync('/proc/net/udp6', 'utf8'), 'udp').entries;
    assert.ok(udp6.some((e) => e.localIp === '::1' && e.localPort === udpPort && isListening(e)), `port ${udpPort} in /proc/net/udp6`);
  } finally {
    server.close();
    udp.close();
  }
});
