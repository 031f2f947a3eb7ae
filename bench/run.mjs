// Runs one compiled benchmark: `node bench/run.mjs <name> [options]` starts bench/dist/<name>.js in a child Node process.
// Builds nothing (run `npx tsc -b` first); an unknown or missing name prints the list and exits with status 2.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every benchmark, by name. Add one here when you add bench/src/<name>.ts. */
const benchmarks = {
  ingest: 'N simulated agents post event batches over mutual TLS; events/s, ack p50/p99, and the same rows into PostgreSQL 15',
  'alert-store': 'time to store a batch of detections (repeats folded into open alerts) in the detection database vs the read-then-write store it replaced',
  detect: 'Windows process_creation Sigma rules: indexed engine vs naive on one core (events/s), and alert latency p50/p99 in a real server at 20k events/s',
  'net-telemetry': 'CPU of bpftrace and the agent-side bpftrace source while a process makes 1,000 TCP connects/s on loopback, against the same load untraced',
  'file-telemetry': 'audit path watches (default set, /tmp included): create+delete pairs/s watched vs unwatched, events lost, kernel backlog and wait, agent and auditd CPU at paced rates',
  agent: 'real vigil agent (all Linux sources), auditd and bpftrace: CPU and RSS at idle and at 100/500/1,000 exec/s for 60 s; execs lost (launched vs stored on the server)',
  intel: 'IOC stream matching events/s with 1M indicators vs a naive matcher; YARA-X scan MB/s and files/s vs the yara 4.2.3 CLI on signature-base',
  hunt: 'hunt suite (hash, substring, fuzzy, stats, timechart, IOC sweep, process tree, sequence) on Vigil vs PostgreSQL 15 with b-tree and trigram indexes',
  anomaly: 'behaviour profiles on a simulated fleet with injected Atomic Red Team tests: recall, false positives per host-day, caught beyond the Sigma rules; a real subset under auditd',
  evtx: 'EVTX parsing of the corpus: @vigil/evtx vs evtxexport (libevtx) and evtx_dump.py (python-evtx) in the same run (MB/s, records/s)',
  inventory: 'inventory table read times (first and warm), idle CPU of the inventory collector and change records, events/s through the agent sink filter vs a bare loop',
};

const dist = join(dirname(fileURLToPath(import.meta.url)), 'dist');
const [name, ...args] = process.argv.slice(2);

if (!name || !Object.hasOwn(benchmarks, name)) {
  if (name) process.stderr.write(`unknown benchmark ${JSON.stringify(name)}\n\n`);
  const width = Math.max(...Object.keys(benchmarks).map((n) => n.length));
  process.stderr.write(
    'usage: npm run bench -- <name> [options]     (or: node bench/run.mjs <name> [options])\n' +
      '       npm run bench -- <name> --help        lists the options of a benchmark\n\n' +
      'benchmarks:\n' +
      Object.entries(benchmarks).map(([n, d]) => `  ${n.padEnd(width)}  ${d}`).join('\n') +
      '\n\nbuild first with: npx tsc -b\n',
  );
  process.exit(2);
}

const script = join(dist, `${name}.js`);
if (!existsSync(script)) {
  process.stderr.write(`${script} does not exist: build with \`npx tsc -b\` first\n`);
  process.exit(2);
}

// A larger heap: benchmarks pre-generate their whole input before the clock starts. A heap limit given the way an operator
// gives the server one (NODE_OPTIONS=--max-old-space-size=<MiB>) replaces this default (a flag here would override it).
const heapFlags = /--max-old-space-size=/.test(process.env.NODE_OPTIONS ?? '') ? [] : ['--max-old-space-size=8192'];
const child = spawn(process.execPath, [...heapFlags, script, ...args], { stdio: 'inherit' });
// The child shares our terminal and gets Ctrl-C itself; we only wait for it to clean up.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
