import { runProfilerConformance, event } from '../conformance.case.test.js';
import { createPrevalenceProfiler } from './prevalence.js';

const run = (host: string, time: number, exe: string, hash: string) =>
  event(host, time, { 'event.category': 'process', 'event.action': 'start', 'process.executable': exe, 'process.hash.sha256': hash, 'process.pid': 4 });

runProfilerConformance({
  name: 'prevalence',
  create: createPrevalenceProfiler,
  samples: {
    normal: (host, time, i) => [run(host, time, `/usr/bin/tool${i % 4}`, String(i % 4).repeat(64))],
    novel: (host, time) => [run(host, time, '/tmp/x', 'ab'.repeat(32))],
  },
});
