// Profiler of executable hashes: content a host never ran before, scored by how often new content appears in that
// place on the host and by fleet prevalence (how many hosts ran the same SHA-256).

import type { Profiler } from '../core.js';
import { text } from '../internal/fields.js';
import { spanText } from '../internal/novelty.js';
import { createNoveltyProfiler } from '../internal/novelty-profiler.js';
import { directoryClass } from '../template/command-template.js';

export const PREVALENCE = 'prevalence';
const SHA256 = /^[0-9a-f]{64}$/;

export function createPrevalenceProfiler(): Profiler {
  return createNoveltyProfiler({
    name: PREVALENCE,
    categories: ['process'],
    tables: ['hashes'],
    extract(event) {
      if (event['event.action'] !== 'start') return [];
      const hash = text(event, 'process.hash.sha256')?.toLowerCase();
      const exe = text(event, 'process.executable');
      if (!hash || !SHA256.test(hash) || !exe) return [];
      const place = directoryClass(exe);
      return [
        {
          table: 'hashes', type: 'rare_executable', context: place, item: hash, fleetKey: hash, key: `${exe} ${hash}`,
          explain: (a) =>
            `\`${exe}\` (sha256 ${hash.slice(0, 12)}…) is new on this host and ran on ${a.hostsWith} of ${a.otherHosts} other host${a.otherHosts === 1 ? '' : 's'}${a.otherRoleHosts ? ` (${a.roleWith} of ${a.otherRoleHosts} in its role)` : ''} – ` +
            (a.contextKnown ? `new programs appear in ${place} on this host ${a.ratePerDay.toFixed(2)} times per day (${spanText(a.observedDays)} observed)` : `no program ever ran from ${place} on this host in ${spanText(a.observedDays)}`),
          evidence: { sha256: hash, place },
        },
      ];
    },
    features: () => [],
  });
}
