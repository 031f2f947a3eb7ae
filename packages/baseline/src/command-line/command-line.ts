// Profiler of command-line templates per executable and host: a program run with an argument shape it never had here.
// Only known executables are scored (a program never run here is the parent-child and prevalence profilers' finding).

import type { ProfileEvent, Profiler } from '../core.js';
import { basename, shown, strings, text } from '../internal/fields.js';
import { fleetText, spanText, type Assessment } from '../internal/novelty.js';
import { createNoveltyProfiler } from '../internal/novelty-profiler.js';
import { commandTemplate, pathTemplate, splitCommandLine } from '../template/command-template.js';

export const COMMAND_LINE = 'command-line';

const templates = new WeakMap<object, { template: string; args: string[] } | null>();

/** argv and template of a process start, computed once per event object (several profilers read them). */
export function templateOf(event: ProfileEvent): { template: string; args: string[] } | undefined {
  let entry = templates.get(event);
  if (entry === undefined) {
    const args = argvOf(event);
    entry = args && args.length > 0 ? { template: commandTemplate(args), args } : null;
    templates.set(event, entry);
  }
  return entry ?? undefined;
}

/** argv of a process event: `process.args`, else the command line split like a shell would. */
export function argvOf(event: ProfileEvent): string[] | undefined {
  const args = strings(event, 'process.args');
  if (args && args.length > 0) return args;
  const line = text(event, 'process.command_line', 65_536);
  return line ? splitCommandLine(line) : undefined;
}

function explain(line: string, exe: string, template: string, a: Assessment): string {
  const name = basename(exe);
  const head = `\`${shown(line)}\``;
  const shape = `shape \`${shown(template, 160)}\``;
  if (!a.contextKnown) return `${head} – first run of ${name} on this host in ${spanText(a.observedDays)}, ${shape}; ${fleetText(a)}`;
  return `${head} – ${name} never ran with this ${shape} on this host (${a.contextItems} other shape${a.contextItems === 1 ? '' : 's'} in ${spanText(a.observedDays)}, ${a.ratePerDay.toFixed(2)} new per day); ${fleetText(a)}`;
}

export function createCommandLineProfiler(): Profiler {
  return createNoveltyProfiler({
    name: COMMAND_LINE,
    categories: ['process'],
    tables: ['templates'],
    extract(event) {
      if (event['event.action'] !== 'start') return [];
      const t = templateOf(event);
      if (!t) return [];
      const { args, template } = t;
      const exe = text(event, 'process.executable') ?? args[0]!;
      const context = pathTemplate(exe);
      const line = text(event, 'process.command_line', 65_536) ?? args.join(' ');
      const key = `${context} ${template}`;
      return [{ table: 'templates', type: 'new_command_template', context, item: template, fleetKey: key, key, requireKnownContext: true, explain: (a) => explain(line, exe, template, a), evidence: { template } }];
    },
    features: () => [],
  });
}
