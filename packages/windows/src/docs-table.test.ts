// docs/windows.md's mapping table is generated from the Windows event tables (event-tables.ts): a change to either
// without the other fails here. VIGIL_UPDATE_GOLDEN=1 rewrites the block between the windows-mapping markers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@vigil/common';
import { categoryByName } from '@vigil/schema';
import { windowsChannelTables, type EventRule, type FieldRule } from './event-tables.js';
import { converters } from './internal/converters.js';

const START = '<!-- windows-mapping:start (generated from packages/windows/src/event-tables.ts; VIGIL_UPDATE_GOLDEN=1 node --test packages/windows/dist/docs-table.test.js) -->';
const END = '<!-- windows-mapping:end -->';

function targets(rule: FieldRule): string[] {
  if (typeof rule === 'string') return [rule];
  if ('convert' in rule) return converters[rule.convert].fields(rule.target).filter((field) => field !== 'network.type');
  return rule.flatMap((part) => targets(part));
}

/** `Name → field, field; ...`, listing only fields one of `categories` has (a converter may offer more than a category holds). */
function fieldList(fields: Readonly<Record<string, FieldRule>> | undefined, categories: readonly string[]): string {
  const known = (field: string) => categories.some((name) => categoryByName.get(name)?.fieldByName.has(field));
  return Object.entries(fields ?? {})
    .map(([source, rule]) => `${source} → ${[...new Set(targets(rule))].filter(known).join(', ')}`)
    .join('; ');
}

function action(rule: EventRule): string {
  if (typeof rule.action === 'string') return rule.action;
  const { source, values, default: fallback } = rule.action;
  const choices = Object.entries(values).map(([value, chosen]) => `${chosen} when ${source} is ${value}`);
  return `${choices.join(', ')}, else ${fallback ?? 'a log record'}`;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function renderMappingTable(): string {
  const lines: string[] = [];
  for (const table of windowsChannelTables) {
    lines.push(`### ${table.channel}`, '');
    const categories = ['log', ...Object.values(table.events).map((rule) => rule.category)];
    lines.push(`\`event.provider\`: \`${table.eventProvider}\`. On every event of the channel (where its category has the field): ${escape(fieldList(table.common, categories)) || 'nothing beyond the System block'}.`);
    if (table.actor?.length) lines.push(`The System block's ${table.actor.map((a) => (a === 'processId' ? 'ProcessID (→ process.pid)' : 'UserID (→ user.id)')).join(' and ')} describe the actor.`);
    lines.push('', '| event id | category / action | EventData → Vigil fields | fixed values |', '|---|---|---|---|');
    for (const [id, rule] of Object.entries(table.events)) {
      const constants = Object.entries(rule.constants ?? {})
        .map(([field, value]) => `${field} = ${Array.isArray(value) ? value.join(', ') : String(value)}`)
        .join('; ');
      const provider = rule.provider ? ` (provider ${rule.provider} only)` : '';
      lines.push(`| ${id} | ${rule.category} / ${escape(action(rule))}${provider} | ${escape(fieldList(rule.fields, [rule.category])) || '—'} | ${escape(constants) || '—'} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

test('docs/windows.md holds the mapping table of event-tables.ts', () => {
  const file = join(repoRoot(), 'docs', 'windows.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  assert.ok(start >= 0 && end > start, `docs/windows.md needs the markers\n${START}\n${END}`);
  const generated = `${START}\n\n${renderMappingTable()}\n${END}`;
  const current = text.slice(start, end + END.length);
  if (process.env.VIGIL_UPDATE_GOLDEN === '1' && current !== generated) writeFileSync(file, text.slice(0, start) + generated + text.slice(end + END.length));
  else assert.equal(current, generated, 'regenerate with VIGIL_UPDATE_GOLDEN=1');
});
