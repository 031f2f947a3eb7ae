// Network activity from audited socket syscalls: outbound connects, inbound accepts, binds and listens, IPv4 and IPv6,
// with the acting process. Unix and netlink sockets are not network activity and are dropped.

import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import { syscallName } from './process-events.js';
import type { AuditRecord } from './record-parser.js';
import { decodeSockaddr } from './sockaddr.js';

export type NetworkCollectedEvent = Extract<CollectedEvent, { 'event.category': 'network' }>;

/** Non-blocking connects return EINPROGRESS: still an attempt to reach the address. */
const EINPROGRESS = '-115';

/** Undefined unless the group is an audited connect, accept, accept4, bind or listen on an IP socket. */
export function buildNetworkEvent(records: readonly AuditRecord[], entityOf?: (pid: number) => string | undefined): NetworkCollectedEvent | undefined {
  const syscall = records.find((record) => record.type === 'SYSCALL');
  if (!syscall) return undefined;
  const name = syscallName(syscall);
  if (name !== 'connect' && name !== 'accept' && name !== 'accept4' && name !== 'bind' && name !== 'listen') return undefined;
  const f = syscall.fields;
  const success = f.success === 'yes';
  const saddr = records.find((record) => record.type === 'SOCKADDR')?.fields.saddr;
  const address = saddr ? decodeSockaddr(saddr) : undefined;
  if (name !== 'listen' && (!address || (address.family !== 'ipv4' && address.family !== 'ipv6'))) return undefined;
  if (name === 'accept' || name === 'accept4') {
    if (!success) return undefined; // a failed accept carries no peer
  }
  const action: NetworkCollectedEvent['event.action'] = name === 'accept4' ? 'accept' : name;
  const event: NetworkCollectedEvent = {
    '@timestamp': new Date(syscall.timeMs).toISOString(),
    'event.category': 'network',
    'event.action': action,
    'event.type': action === 'listen' ? 'start' : action === 'bind' ? 'info' : 'connection',
    'event.provider': 'auditd',
    'event.outcome': success || (action === 'connect' && f.exit === EINPROGRESS) ? 'success' : 'failure',
  };
  const pid = f.pid !== undefined && /^\d+$/.test(f.pid) ? Number(f.pid) : undefined;
  if (pid !== undefined) {
    event['process.pid'] = pid;
    const entity = entityOf?.(pid);
    if (entity) event['process.entity_id'] = entity;
  }
  if (f.ppid !== undefined && /^\d+$/.test(f.ppid)) event['process.parent.pid'] = Number(f.ppid);
  if (f.exe) {
    event['process.executable'] = f.exe;
    event['process.name'] = posix.basename(f.exe);
  }
  if (f.uid !== undefined) event['user.id'] = f.uid;
  if (address?.addr !== undefined) {
    event['network.type'] = address.family;
    if (action === 'connect') {
      event['destination.ip'] = address.addr;
      if (address.port !== undefined) event['destination.port'] = address.port;
      event['network.direction'] = 'outbound';
    } else if (action === 'accept') {
      event['source.ip'] = address.addr;
      if (address.port !== undefined) event['source.port'] = address.port;
      event['network.direction'] = 'inbound';
    } else {
      event['source.ip'] = address.addr;
      if (address.port !== undefined) event['source.port'] = address.port;
    }
  }
  event['network.connection_count'] = 1;
  event.message = `${name} ${event['destination.ip'] ?? event['source.ip'] ?? ''}${event['destination.port'] ?? event['source.port'] ? `:${event['destination.port'] ?? event['source.port']}` : ''} by ${event['process.executable'] ?? `pid ${pid ?? '?'}`}`;
  return event;
}
