import { runProfilerConformance, event } from '../conformance.case.test.js';
import { createPersistenceProfiler } from './persistence.js';

const change = (host: string, time: number, writer: string, location: string, name: string) =>
  event(host, time, { 'event.category': 'autostart', 'event.action': 'modified', 'autostart.location': location, 'autostart.name': name, 'process.executable': writer, 'process.pid': 2 });

runProfilerConformance({
  name: 'persistence',
  create: createPersistenceProfiler,
  samples: {
    perDay: 1,
    normal: (host, time, i) => [change(host, time, '/usr/bin/dpkg', 'systemd_unit', `pkg-${i % 5}.service`)],
    novel: (host, time) => [change(host, time, '/usr/bin/bash', 'cron', 'persistevil')],
  },
});
