// A tiny authoritative DNS server over UDP for end-to-end tests: answers A and AAAA for the names it is given,
// NXDOMAIN for anything else. Listens on a loopback address of its own (port 53), never forwards anything.

import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export interface DnsServer {
  /** The loopback address it answers on (port 53). */
  address: string;
  /** Queries received, as `name/type`. */
  queries: string[];
  close(): Promise<void>;
}

function encodeAddress(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const groups = (text: string) => (text ? text.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = ip.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill(0), ...t] : h;
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

/** Starts the server on 127.53.X.Y:53 (a random address of 127/8, so parallel tests never share it). */
export async function startDnsServer(records: Record<string, readonly string[]>): Promise<DnsServer> {
  const [x = 1, y = 1] = randomBytes(2);
  const address = `127.53.${1 + (x % 250)}.${1 + (y % 250)}`;
  const table = new Map(Object.entries(records).map(([name, ips]) => [name.toLowerCase(), ips]));
  const queries: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    if (query.length < 17) return;
    let end = 12;
    const labels: string[] = [];
    while (end < query.length && query[end] !== 0) {
      labels.push(query.subarray(end + 1, end + 1 + query[end]!).toString('latin1'));
      end += query[end]! + 1;
    }
    if (end + 5 > query.length) return;
    const question = query.subarray(12, end + 5);
    const type = question.readUInt16BE(question.length - 4);
    const name = labels.join('.').toLowerCase();
    queries.push(`${name}/${type}`);
    const ips = table.get(name);
    const wanted = (ips ?? []).filter((ip) => (type === 1 ? isIPv4(ip) : type === 28 ? isIPv6(ip) : false));
    const answers = wanted.map((ip) => {
      const data = encodeAddress(ip);
      const head = Buffer.from([0xc0, 12, 0, type, 0, 1, 0, 0, 0, 60, 0, data.length]);
      return Buffer.concat([head, data]);
    });
    const header = Buffer.from([query[0]!, query[1]!, 0x81, ips ? 0x80 : 0x83, 0, 1, 0, answers.length, 0, 0, 0, 0]);
    socket.send(Buffer.concat([header, question, ...answers]), peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(53, address, () => resolve());
  });
  return { address, queries, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}
