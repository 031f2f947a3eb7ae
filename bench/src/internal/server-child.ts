// Starts and stops a real Vigil server in a child Node process (bench/dist/ingest-server.js) on loopback ephemeral ports.
// Never leaves the child running: stop sends SIGTERM and escalates to SIGKILL after 60 s; the caller registers the stop.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ServerChild {
  process: ChildProcess;
  apiUrl: string;
  agentPort: number;
  caCertPem: string;
  exited: Promise<number | null>;
}

export interface ServerChildOptions {
  dataDir: string;
  adminPassword: string;
  /** When set, the child runs with --cpu-prof and writes its profile into this folder. */
  profileDir?: string | undefined;
  /** Receives the child's later stdout lines (its stderr is inherited). */
  log: (line: string) => void;
}

const serverScript = join(dirname(fileURLToPath(import.meta.url)), '..', 'ingest-server.js');

/** Resolves once the child printed its ready line; rejects when it exits first or is not ready within 120 s. */
export async function startServerChild(options: ServerChildOptions): Promise<ServerChild> {
  // VIGIL_BENCH_SERVER_NODE_FLAGS: extra Node flags for the server child only (diagnostics such as --trace-gc, which
  // NODE_OPTIONS refuses); its output goes through `log` like the server's.
  const extraFlags = (process.env.VIGIL_BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const flags = [...extraFlags, ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [])];
  const child = spawn(process.execPath, [...flags, serverScript], {
    env: { ...process.env, VIGIL_BENCH_SERVER_DATA_DIR: options.dataDir, VIGIL_BENCH_SERVER_PASSWORD: options.adminPassword, VIGIL_LOG_LEVEL: process.env.VIGIL_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    new Promise<string>((resolveLine) => {
      // The ready line is the first JSON object; lines before it (diagnostic flags' output) are logged.
      const onLine = (line: string) => {
        if (!line.startsWith('{')) return options.log(`server: ${line}`);
        lines.off('line', onLine);
        resolveLine(line);
      };
      lines.on('line', onLine);
    }),
    exited.then((code) => Promise.reject(new Error(`server child exited with ${code} before it was ready`))),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('server child not ready after 120 s')), 120_000).unref()),
  ]);
  lines.on('line', (line) => options.log(`server: ${line}`));
  const ready = JSON.parse(first) as { apiUrl: string; agentPort: number; caCertPem: string };
  return { process: child, ...ready, exited };
}

/** Idempotent: returns at once when the child already exited. */
export async function stopServerChild(server: ServerChild): Promise<void> {
  if (server.process.exitCode !== null || server.process.signalCode !== null) return;
  server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), 60_000);
  await server.exited;
  clearTimeout(timer);
}
