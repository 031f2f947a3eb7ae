#!/usr/bin/env node
// Entry point of the `vigil` command; all logic lives in ../dist/main.js (built by `npm run build`).
// `vigil agent` is resident: its V8 young generation keeps its initial 2 × 1 MiB instead of growing to 2 × 16 MiB in
// the first burst and keeping it (~26 MB RSS), and a full collection runs once the old generation grew 20% (at least
// V8's 8 MB step) past what the last one kept, instead of V8's up to 4× (garbage promoted under 1,000 exec/s took the
// old generation from 25 to 74 MB between two full collections). Only flags V8 reads at each collection work here:
// heap sizes are fixed when the isolate starts. Set before any module loads, and again once each worker thread runs
// (starting one puts V8's flags back to their defaults). docs/telemetry-linux.md#agent-overhead.
if (process.argv[2] === 'agent') {
  const { setFlagsFromString } = await import('node:v8');
  const agentHeapFlags = () => {
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString('--heap-growing-percent=20');
  };
  agentHeapFlags();
  process.on('worker', (worker) => worker.once('online', agentHeapFlags));
}
import('../dist/main.js').then((m) => m.main(process.argv.slice(2))).catch((error) => {
  console.error(error);
  process.exit(1);
});
