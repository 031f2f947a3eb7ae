// A few hundred hand-built events (process trees, network, dns, file, authentication) on 3 hosts over 2 days,
// loaded into the test DuckDB through the real DDL. Test-only; deterministic, no randomness.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { eventTables, readJsonColumns } from '@vigil/store/duckdb/ddl';

export type TestEvent = Record<string, unknown> & { '@timestamp': string; 'event.id': string; 'event.category': string; 'host.id': string };

export const HOSTS = ['h1', 'h2', 'h3'] as const;
export const DAYS = ['2026-03-01', '2026-03-02'] as const;
/** `now()` for the execution tests: the end of the second day. */
export const EXEC_NOW = new Date('2026-03-03T00:00:00.000Z');

const PROCESS_NAMES = ['bash', 'python3', 'curl', 'sshd', 'nginx'];
const DEST_IPS = ['10.1.2.3', '8.8.8.8', '192.168.1.20', 'fe80::1', '2001:db8::5'];
const PORTS = [443, 22, 4444, 53];
const DNS_NAMES = ['example.com', 'evil-c2.example.net', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.tunnel.io'];
const FILE_PATHS = ['/tmp/x.sh', '/etc/passwd', '/home/u/.bashrc', '/usr/lib/libz.so'];

export function buildTestEvents(): TestEvent[] {
  const events: TestEvent[] = [];
  let sequence = 0;
  const add = (category: string, action: string, host: string, time: string, fields: Record<string, unknown>) => {
    sequence++;
    events.push({
      '@timestamp': time,
      'event.id': `${category}-${host}-${String(sequence).padStart(4, '0')}`,
      'event.sequence': sequence,
      'event.ingested': time,
      'event.category': category,
      'event.action': action,
      'host.id': host,
      'host.name': `${host}.corp`,
      ...fields,
    });
  };
  const at = (day: string, minuteOfDay: number) => new Date(Date.parse(`${day}T00:00:00Z`) + minuteOfDay * 60_000).toISOString();
  HOSTS.forEach((host, h) => {
    DAYS.forEach((day, d) => {
      for (let i = 0; i < 40; i++) {
        const name = PROCESS_NAMES[(i + h) % PROCESS_NAMES.length]!;
        add('process', 'start', host, at(day, i * 30 + h), {
          'process.pid': 1000 + i + 100 * h + 1000 * d,
          'process.name': name,
          'process.executable': `/usr/bin/${name}`,
          'process.args': [name, i % 3 === 0 ? '-c' : '-v', `arg${i}`],
          'process.command_line': `${name} ${i % 3 === 0 ? '-c' : '-v'} arg${i}`,
          'process.parent.name': i % 2 === 0 ? 'sshd' : null,
          'process.interactive': i % 4 === 0,
          'user.name': i % 5 === 0 ? 'root' : 'alice',
        });
      }
      for (let i = 0; i < 20; i++) {
        add('network', 'connect', host, at(day, i * 60 + 7 + h), {
          'process.name': PROCESS_NAMES[i % 2]!,
          'destination.ip': DEST_IPS[(i + h) % DEST_IPS.length]!,
          'destination.port': PORTS[i % PORTS.length]!,
          'source.ip': h === 2 ? '172.16.0.9' : `192.168.${h}.10`,
          'network.bytes': (i + 1) * 100,
          'network.transport': 'tcp',
        });
      }
      for (let i = 0; i < 10; i++) {
        add('dns', 'query', host, at(day, i * 90 + 11), {
          'dns.question.name': DNS_NAMES[(i + d) % DNS_NAMES.length]!,
          'dns.resolved_ip': i % 2 === 0 ? ['203.0.113.7', '2001:db8::1'] : ['198.51.100.2'],
          'process.name': 'systemd-resolved',
        });
      }
      for (let i = 0; i < 10; i++) {
        const path = FILE_PATHS[(i + h) % FILE_PATHS.length]!;
        add('file', i % 2 === 0 ? 'create' : 'modify', host, at(day, i * 100 + 13), { 'file.path': path, 'file.name': path.split('/').pop(), 'process.name': 'bash' });
      }
      for (let i = 0; i < 15; i++) {
        const failed = h === 0 ? i < 10 : i < 2;
        add('authentication', failed ? 'logon_failed' : 'logon', host, at(day, i * 45 + 17), {
          'user.name': failed ? 'alice' : 'bob',
          'user.target.name': failed ? 'alice' : 'bob',
          'source.ip': '198.51.100.77',
          'logon.service': 'sshd',
          'event.outcome': failed ? 'failure' : 'success',
        });
      }
    });
  });
  add('process', 'start', 'h2', '2026-03-02T05:00:00.000Z', { 'process.pid': 7777, 'process.name': 'powershell.exe', 'process.command_line': 'powershell -c Invoke-Mimikatz', 'user.name': 'alice' });
  add('process', 'start', 'h3', '2026-03-02T05:00:00.000Z', { 'process.pid': 7778, 'process.name': 'tool', 'process.command_line': 'tool --run mimikats', 'user.name': 'alice' });
  // Sequence scenarios (dropper → /tmp/.hidden → port 31337): h1 in order within 5m, h2 out of order, h3 beyond 5m.
  add('process', 'start', 'h1', '2026-03-02T10:00:00.000Z', { 'process.pid': 9001, 'process.name': 'dropper' });
  add('file', 'create', 'h1', '2026-03-02T10:01:00.000Z', { 'file.path': '/tmp/.hidden', 'file.name': '.hidden' });
  add('network', 'connect', 'h1', '2026-03-02T10:02:00.000Z', { 'destination.ip': '203.0.113.50', 'destination.port': 31337 });
  add('network', 'connect', 'h2', '2026-03-02T10:00:00.000Z', { 'destination.ip': '203.0.113.50', 'destination.port': 31337 });
  add('file', 'create', 'h2', '2026-03-02T10:01:00.000Z', { 'file.path': '/tmp/.hidden', 'file.name': '.hidden' });
  add('process', 'start', 'h2', '2026-03-02T10:02:00.000Z', { 'process.pid': 9002, 'process.name': 'dropper' });
  add('process', 'start', 'h3', '2026-03-02T10:00:00.000Z', { 'process.pid': 9003, 'process.name': 'dropper' });
  add('file', 'create', 'h3', '2026-03-02T10:04:00.000Z', { 'file.path': '/tmp/.hidden', 'file.name': '.hidden' });
  add('network', 'connect', 'h3', '2026-03-02T10:09:00.000Z', { 'destination.ip': '203.0.113.50', 'destination.port': 31337 });
  return events;
}

/** Writes the events to per-table NDJSON files and loads them with the store's own column list. */
export async function loadTestEvents(connection: DuckDBConnection, events: readonly TestEvent[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-hunt-'));
  try {
    for (const spec of eventTables) {
      const rows = events.filter((e) => `events_${e['event.category']}` === spec.table);
      if (!rows.length) continue;
      const file = join(dir, `${spec.table}.ndjson`);
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      await connection.run(`INSERT INTO "${spec.table}" BY NAME SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = ${readJsonColumns(spec)})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
