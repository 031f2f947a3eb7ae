// A throw-away PostgreSQL 15 cluster on loopback for baselines: initdb, start, connect, stop, remove.
// Uses the Debian binaries explicitly; as root the server runs as the `postgres` user. Never listens beyond 127.0.0.1.

import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface TempPostgres {
  host: string;
  port: number;
  user: string;
  dir: string;
  /** Process id of the postmaster. */
  pid: number;
  /** Settings written to postgresql.conf besides the defaults. */
  settings: Record<string, string>;
  stop(): void;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
function runPg(binary: string, args: readonly string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, binary), ...args]] : [join(PG_BIN, binary), [...args]];
  const result = spawnSync(command, argv, { encoding: 'utf8', cwd: '/' });
  if (result.status !== 0) throw new Error(`${binary} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
}

/**
 * Creates and starts a fresh cluster in a temp folder. Durability stays at the defaults (fsync, synchronous_commit,
 * full_page_writes on); memory and checkpoint settings are raised the way a deployment sized for bulk ingest would.
 */
export async function startTempPostgres(port: number, settings: Record<string, string>): Promise<TempPostgres> {
  if (!existsSync(join(PG_BIN, 'postgres'))) throw new Error(`PostgreSQL 15 not found in ${PG_BIN} (apt-get install postgresql-15)`);
  if (await portInUse(port)) throw new Error(`port ${port} on 127.0.0.1 is already in use; pick another with --pg-port`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-pg-'));
  const dataDir = join(dir, 'data');
  let started = false;
  const stop = () => {
    if (started) {
      try {
        runPg('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60']);
      } catch (error) {
        process.stderr.write(`postgres: stop failed: ${(error as Error).message}\n`);
      }
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    runPg('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    const conf: Record<string, string> = { listen_addresses: '127.0.0.1', port: String(port), unix_socket_directories: dir, ...settings };
    writeFileSync(join(dataDir, 'postgresql.auto.conf'), Object.entries(conf).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`).join('\n') + '\n');
    runPg('pg_ctl', ['start', '-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '60']);
    started = true;
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return { host: '127.0.0.1', port, user: 'postgres', dir, pid, settings, stop };
  } catch (error) {
    const log = join(dir, 'server.log');
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    stop();
    throw new Error(`${(error as Error).message}${tail ? `\nserver log:\n${tail}` : ''}`);
  }
}

/** CPU seconds (user + system) of a process and all its direct children, from /proc. */
export function processTreeCpuSeconds(rootPid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      if (Number(entry) !== rootPid && ppid !== rootPid) continue;
      // utime, stime, and for the postmaster the cutime/cstime of children that already exited
      total += Number(fields[11]) + Number(fields[12]) + (Number(entry) === rootPid ? Number(fields[13]) + Number(fields[14]) : 0);
    } catch {
      // process ended while scanning
    }
  }
  return total / 100;
}
