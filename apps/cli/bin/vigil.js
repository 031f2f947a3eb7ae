#!/usr/bin/env node
// Entry point of the `vigil` command; all logic lives in ../dist/main.js (built by `npm run build`).
// `vigil agent` is resident: its V8 young generation keeps its initial 2 × 1 MiB instead of growing to 2 × 16 MiB in
// the first burst and keeping it (~26 MB RSS). Set before any module loads, and again once each worker thread runs
// (starting one puts V8's flags back to their defaults). docs/telemetry-linux.md#agent-overhead.
if (process.argv[2] === 'agent') {
  const { setFlagsFromString } = await import('node:v8');
  const fixYoungGeneration = () => setFlagsFromString('--semi-space-growth-factor=1');
  fixYoungGeneration();
  process.on('worker', (worker) => worker.once('online', fixYoungGeneration));
}
import('../dist/main.js').then((m) => m.main(process.argv.slice(2))).catch((error) => {
  console.error(error);
  process.exit(1);
});
