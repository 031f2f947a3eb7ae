// Profiler of scheduled-task and service changes per host: which programs change which persistence places here.
// Package managers installing units are learned; a shell writing a cron entry where nothing ever changed stands out.

import type { ProfileEvent, Profiler } from '../core.js';
import { basename, text } from '../internal/fields.js';
import { fleetText, spanText } from '../internal/novelty.js';
import { createNoveltyProfiler, type NoveltyObservation } from '../internal/novelty-profiler.js';
import { pathTemplate } from '../template/command-template.js';

export const PERSISTENCE = 'persistence';
const AUTOSTART_ACTIONS = new Set(['created', 'modified']);
const SERVICE_ACTIONS = new Set(['created', 'modified', 'enabled']);

function extract(event: ProfileEvent): NoveltyObservation[] {
  const category = event['event.category'];
  const action = text(event, 'event.action') ?? '';
  let place: string;
  let entry: string | undefined;
  if (category === 'autostart' && AUTOSTART_ACTIONS.has(action)) {
    place = text(event, 'autostart.location') ?? 'autostart';
    entry = text(event, 'autostart.name') ?? text(event, 'file.path');
  } else if (category === 'service' && SERVICE_ACTIONS.has(action)) {
    place = `service ${action}`;
    entry = text(event, 'service.name');
  } else return [];
  const writer = text(event, 'process.executable') ?? text(event, 'process.name') ?? 'unknown';
  const writerT = pathTemplate(writer);
  const name = basename(writer);
  const what = `${place} entry${entry ? ` \`${entry}\`` : ''} ${action} by \`${name}\``;
  return [
    {
      table: 'changes', type: 'new_persistence_change', context: place, item: writerT, fleetKey: `${place} ${writerT}`, key: `${place} by ${writerT}`,
      explain: (a) =>
        a.contextKnown
          ? `${what} – ${name} never changed ${place} entries on this host (${a.contextItems} other program${a.contextItems === 1 ? '' : 's'} did in ${spanText(a.observedDays)}); ${fleetText(a)}`
          : `${what} – no ${place} change on this host in ${spanText(a.observedDays)}; ${fleetText(a)}`,
      evidence: { place, entry: entry ?? null, writer },
    },
  ];
}

export function createPersistenceProfiler(): Profiler {
  return createNoveltyProfiler({ name: PERSISTENCE, categories: ['autostart', 'service'], tables: ['changes'], extract, features: () => [] });
}
