// Child process of the benchmarks that need a real server (ingest, detect; started by internal/server-child.ts): one Vigil
// server on loopback with ephemeral ports. Prints one JSON line {apiUrl, agentPort, caCertPem} on stdout once listening; closes cleanly on SIGTERM or SIGINT.

import { defaultServerConfig, startServer } from '@vigil/server';

const dataDir = process.env.VIGIL_BENCH_SERVER_DATA_DIR;
const adminPassword = process.env.VIGIL_BENCH_SERVER_PASSWORD;
if (!dataDir || !adminPassword) {
  process.stderr.write('ingest-server: set VIGIL_BENCH_SERVER_DATA_DIR and VIGIL_BENCH_SERVER_PASSWORD (internal/server-child.ts does this)\n');
  process.exit(2);
}

const server = await startServer(defaultServerConfig({ dataDir, listenHost: '127.0.0.1', apiPort: 0, agentPort: 0, adminPassword }));
process.stdout.write(JSON.stringify({ apiUrl: `https://127.0.0.1:${server.apiPort}`, agentPort: server.agentPort, caCertPem: server.caCertPem, pid: process.pid }) + '\n');

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => {
    process.stderr.write(`ingest-server: close did not finish 30 s after ${signal}; exiting\n`);
    process.exit(1);
  }, 30_000);
  force.unref();
  server.close().then(
    () => {
      process.exitCode = 0;
    },
    (error: unknown) => {
      process.stderr.write(`ingest-server: close failed: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
