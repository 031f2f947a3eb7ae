// Profiler of parent → child executable pairs per host: a program starting a program it never started here.
// Reads process start events only; keys use path templates so versions and temp names do not make pairs new.

import type { Profiler } from '../core.js';
import { basename, text } from '../internal/fields.js';
import { fleetText, spanText, type Assessment } from '../internal/novelty.js';
import { createNoveltyProfiler } from '../internal/novelty-profiler.js';
import { pathTemplate } from '../template/command-template.js';

export const PARENT_CHILD = 'parent-child';

function explain(child: string, parent: string, a: Assessment): string {
  const name = basename(parent);
  const head = `\`${child}\` started by \`${name}\``;
  if (!a.contextKnown) return `${head} – ${name} never started a child process on this host in ${spanText(a.observedDays)}; ${fleetText(a)}`;
  return `${head} – new for ${name} on this host, which started ${a.contextItems} other program${a.contextItems === 1 ? '' : 's'} in ${spanText(a.observedDays)} (${a.ratePerDay.toFixed(2)} new per day); ${fleetText(a)}`;
}

export function createParentChildProfiler(): Profiler {
  return createNoveltyProfiler({
    name: PARENT_CHILD,
    categories: ['process'],
    tables: ['pairs'],
    extract(event) {
      if (event['event.action'] !== 'start') return [];
      const child = text(event, 'process.executable') ?? text(event, 'process.name');
      const parent = text(event, 'process.parent.executable') ?? text(event, 'process.parent.name');
      if (!child || !parent) return [];
      const context = pathTemplate(parent);
      const item = pathTemplate(child);
      const key = `${context} → ${item}`;
      return [{ table: 'pairs', type: 'new_parent_child', context, item, fleetKey: key, key, explain: (a) => explain(child, parent, a), evidence: { parent, child } }];
    },
    features: (entries) => entries('pairs').flatMap((e) => [`exe:${e.item}`, `pc:${e.context}>${e.item}`]),
  });
}
