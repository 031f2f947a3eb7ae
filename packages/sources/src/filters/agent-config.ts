// The agent's operator configuration file (YAML or JSON): event filters, inventory and change-record settings.
// Loading is read → validate → compile; every problem is reported with file:line:column, all of them at once.

import { readFileSync } from 'node:fs';
import { VigilError, type ErrorLocation, type VigilErrorDetail } from '@vigil/common';
import { categoryByName, telemetryCategories } from '@vigil/schema';
import { compileCidr } from '@vigil/detect/sigma/modifiers';
import { compileFilters, type EventFilter, type FilterRuleSpec, type MatcherSpec } from './event-filter.js';
import { parseLocatedYaml, type Located } from './located-yaml.js';

export const INVENTORY_TABLE_NAMES = ['host', 'users', 'groups', 'services', 'executables', 'packages', 'listening_ports', 'kernel_modules'] as const;

export interface AgentConfig {
  /** The file the configuration came from, when any. */
  file?: string;
  filters: FilterRuleSpec[];
  inventory: {
    enabled: boolean;
    /** Seconds between scheduled reads, per table. */
    intervals: Partial<Record<(typeof INVENTORY_TABLE_NAMES)[number], number>>;
    watch: boolean;
    executableDirs?: string[];
    maxExecutables?: number;
  };
  changes: {
    enabled: boolean;
    rescanSeconds?: number;
    modulesPollSeconds?: number;
    debounceMs?: number;
    contentLimit?: number;
    diffLimit?: number;
  };
}

export const DEFAULT_AGENT_CONFIG: AgentConfig = { filters: [], inventory: { enabled: true, intervals: {}, watch: true }, changes: { enabled: true } };

/** Short names operators may use instead of schema field names. */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  executable: 'process.executable',
  image: 'process.executable',
  process_name: 'process.name',
  command_line: 'process.command_line',
  parent_executable: 'process.parent.executable',
  parent_name: 'process.parent.name',
  path: 'file.path',
  user: 'user.name',
  uid: 'user.id',
  destination: 'destination.ip',
  destination_ip: 'destination.ip',
  destination_port: 'destination.port',
  destination_domain: 'destination.domain',
  source_ip: 'source.ip',
  query: 'dns.question.name',
};

const MATCHER_KINDS = ['equals', 'prefix', 'suffix', 'contains', 'glob', 'cidr'] as const;
const LIMITS = { rules: 1000, conditions: 64, values: 1000, valueLength: 4096 } as const;

class Problems {
  readonly list: VigilErrorDetail[] = [];
  add(location: ErrorLocation, message: string): void {
    if (this.list.length < 100) this.list.push({ message, location });
  }
}

function scalarText(node: Located): string | undefined {
  return node.kind === 'scalar' && node.value !== null ? String(node.value) : undefined;
}

function keys(node: Extract<Located, { kind: 'map' }>, allowed: readonly string[], problems: Problems, what: string): Map<string, { value: Located; keyAt: ErrorLocation }> {
  const out = new Map<string, { value: Located; keyAt: ErrorLocation }>();
  for (const entry of node.entries) {
    if (!allowed.includes(entry.key)) problems.add(entry.keyAt, `unknown key "${entry.key}" in ${what}; expected one of ${allowed.join(', ')}`);
    else out.set(entry.key, { value: entry.value, keyAt: entry.keyAt });
  }
  return out;
}

/** A string or a list of strings (numbers are accepted and kept as text unless `keepTypes`). */
function stringList(node: Located, problems: Problems, what: string, keepTypes = false): (string | number | boolean)[] | undefined {
  const items = node.kind === 'seq' ? node.items : [node];
  if (items.length === 0) {
    problems.add(node.at, `${what} must not be an empty list`);
    return undefined;
  }
  if (items.length > LIMITS.values) {
    problems.add(node.at, `${what} has more than ${LIMITS.values} values`);
    return undefined;
  }
  const out: (string | number | boolean)[] = [];
  for (const item of items) {
    if (item.kind !== 'scalar' || item.value === null) {
      problems.add(item.at, `${what} must be a value or a list of values`);
      continue;
    }
    if (String(item.value).length > LIMITS.valueLength) problems.add(item.at, `${what} value longer than ${LIMITS.valueLength} characters`);
    out.push(keepTypes ? item.value : String(item.value));
  }
  return out;
}

function positiveNumber(node: Located, problems: Problems, what: string, max: number): number | undefined {
  if (node.kind !== 'scalar' || typeof node.value !== 'number' || !Number.isFinite(node.value) || node.value <= 0 || node.value > max) {
    problems.add(node.at, `${what} must be a number above 0 and at most ${max}`);
    return undefined;
  }
  return node.value;
}

function boolean(node: Located, problems: Problems, what: string): boolean | undefined {
  if (node.kind !== 'scalar' || typeof node.value !== 'boolean') {
    problems.add(node.at, `${what} must be true or false`);
    return undefined;
  }
  return node.value;
}

function parseMatcher(node: Located, problems: Problems, field: string): MatcherSpec | undefined {
  if (node.kind !== 'map') {
    const equals = stringList(node, problems, `condition ${field}`, true);
    return equals ? { equals } : undefined;
  }
  const spec: MatcherSpec = {};
  const entries = keys(node, MATCHER_KINDS, problems, `the condition on ${field}`);
  if (!entries.size) problems.add(node.at, `the condition on ${field} needs one of ${MATCHER_KINDS.join(', ')}`);
  for (const [kind, { value }] of entries) {
    const list = stringList(value, problems, `${field}.${kind}`, kind === 'equals');
    if (!list) continue;
    if (kind === 'equals') spec.equals = list;
    else {
      const texts = list.map(String);
      if (kind === 'cidr') for (const [i, cidr] of texts.entries()) if (!compileCidr(cidr)) problems.add(value.kind === 'seq' ? value.items[i]!.at : value.at, `"${cidr}" is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8`);
      if (kind === 'glob') for (const [i, glob] of texts.entries()) if (!glob.startsWith('/') && !glob.startsWith('*')) problems.add(value.kind === 'seq' ? value.items[i]!.at : value.at, `glob "${glob}" must be an absolute path pattern (or start with *)`);
      spec[kind as Exclude<(typeof MATCHER_KINDS)[number], 'equals'>] = texts;
    }
  }
  return spec;
}

function parseRule(node: Located, index: number, problems: Problems): FilterRuleSpec | undefined {
  const what = `filters[${index}]`;
  if (node.kind !== 'map') {
    problems.add(node.at, `${what} must be a map with onmatch, category and conditions`);
    return undefined;
  }
  const entries = keys(node, ['name', 'onmatch', 'category', 'action', 'conditions'], problems, what);
  const onmatch = entries.get('onmatch');
  const onmatchText = onmatch ? scalarText(onmatch.value) : undefined;
  if (!onmatch) problems.add(node.at, `${what} needs onmatch: include or exclude`);
  else if (onmatchText !== 'include' && onmatchText !== 'exclude') problems.add(onmatch.value.at, `onmatch must be include or exclude, not ${JSON.stringify(onmatchText ?? null)}`);
  const categoryEntry = entries.get('category');
  let categories: string[] | '*' = [];
  if (!categoryEntry) problems.add(node.at, `${what} needs category (a category name, a list, or "*")`);
  else {
    const list = stringList(categoryEntry.value, problems, 'category')?.map(String) ?? [];
    if (list.includes('*')) categories = '*';
    else {
      categories = list;
      const items = categoryEntry.value.kind === 'seq' ? categoryEntry.value.items : [categoryEntry.value];
      list.forEach((name, i) => {
        if (categoryByName.get(name)?.origin !== 'agent') problems.add(items[i]?.at ?? categoryEntry.value.at, `unknown category "${name}"; categories: ${telemetryCategories.map((c) => c.name).join(', ')}`);
      });
    }
  }
  const selected = categories === '*' ? telemetryCategories : categories.map((name) => categoryByName.get(name)).filter((c) => c !== undefined);
  let actions: string[] | undefined;
  const actionEntry = entries.get('action');
  if (actionEntry) {
    actions = stringList(actionEntry.value, problems, 'action')?.map(String);
    const items = actionEntry.value.kind === 'seq' ? actionEntry.value.items : [actionEntry.value];
    actions?.forEach((action, i) => {
      if (selected.length && !selected.some((c) => c.actionNames.has(action))) problems.add(items[i]?.at ?? actionEntry.value.at, `no selected category has the action "${action}"`);
    });
  }
  const conditions: FilterRuleSpec['conditions'] = [];
  const conditionEntry = entries.get('conditions');
  if (conditionEntry) {
    const map = conditionEntry.value;
    if (map.kind !== 'map') problems.add(map.at, 'conditions must be a map of field: matcher');
    else {
      if (map.entries.length > LIMITS.conditions) problems.add(map.at, `more than ${LIMITS.conditions} conditions`);
      for (const entry of map.entries) {
        const field = FIELD_ALIASES[entry.key] ?? entry.key;
        if (selected.length && !selected.some((c) => c.fieldByName.has(field))) {
          problems.add(entry.keyAt, `no selected category has the field "${entry.key}"${field !== entry.key ? ` (${field})` : ''}`);
          continue;
        }
        const matcher = parseMatcher(entry.value, problems, entry.key);
        if (matcher) conditions.push({ field, matcher });
      }
    }
  }
  const name = entries.get('name');
  return {
    ...(name && scalarText(name.value) ? { name: scalarText(name.value)! } : {}),
    onmatch: onmatchText === 'exclude' ? 'exclude' : 'include',
    categories,
    ...(actions ? { actions } : {}),
    conditions,
  };
}

/** Parses and validates a configuration text; throws VigilError `invalid_config` listing every problem. */
export function parseAgentConfig(text: string, file: string): AgentConfig {
  const parsed = parseLocatedYaml(text, file);
  const problems = new Problems();
  for (const p of parsed.problems) problems.add(p.location ?? { file }, p.message);
  const config: AgentConfig = { file, filters: [], inventory: { enabled: true, intervals: {}, watch: true }, changes: { enabled: true } };
  const root = parsed.value;
  if (root && root.kind !== 'map') problems.add(root.at, 'the configuration must be a map with filters, inventory and changes');
  if (root?.kind === 'map') {
    const top = keys(root, ['filters', 'inventory', 'changes'], problems, 'the configuration');
    const filters = top.get('filters');
    if (filters) {
      if (filters.value.kind !== 'seq') problems.add(filters.value.at, 'filters must be a list of rules');
      else {
        if (filters.value.items.length > LIMITS.rules) problems.add(filters.value.at, `more than ${LIMITS.rules} filter rules`);
        filters.value.items.forEach((item, i) => {
          const rule = parseRule(item, i, problems);
          if (rule) config.filters.push(rule);
        });
      }
    }
    const inventory = top.get('inventory');
    if (inventory) {
      if (inventory.value.kind !== 'map') problems.add(inventory.value.at, 'inventory must be a map');
      else {
        const section = keys(inventory.value, ['enabled', 'intervals', 'watch', 'executable_dirs', 'max_executables'], problems, 'inventory');
        const enabled = section.get('enabled');
        if (enabled) config.inventory.enabled = boolean(enabled.value, problems, 'inventory.enabled') ?? true;
        const watch = section.get('watch');
        if (watch) config.inventory.watch = boolean(watch.value, problems, 'inventory.watch') ?? true;
        const intervals = section.get('intervals');
        if (intervals) {
          if (intervals.value.kind !== 'map') problems.add(intervals.value.at, 'inventory.intervals must map table names to seconds');
          else
            for (const [table, { value }] of keys(intervals.value, INVENTORY_TABLE_NAMES, problems, 'inventory.intervals')) {
              const seconds = positiveNumber(value, problems, `inventory.intervals.${table}`, 7 * 86400);
              if (seconds !== undefined) config.inventory.intervals[table as (typeof INVENTORY_TABLE_NAMES)[number]] = seconds;
            }
        }
        const dirs = section.get('executable_dirs');
        if (dirs) {
          const list = stringList(dirs.value, problems, 'inventory.executable_dirs')?.map(String);
          if (list?.some((d) => !d.startsWith('/'))) problems.add(dirs.value.at, 'inventory.executable_dirs must be absolute paths');
          if (list) config.inventory.executableDirs = list;
        }
        const max = section.get('max_executables');
        if (max) {
          const n = positiveNumber(max.value, problems, 'inventory.max_executables', 50_000);
          if (n !== undefined) config.inventory.maxExecutables = Math.floor(n);
        }
      }
    }
    const changes = top.get('changes');
    if (changes) {
      if (changes.value.kind !== 'map') problems.add(changes.value.at, 'changes must be a map');
      else {
        const section = keys(changes.value, ['enabled', 'rescan_seconds', 'modules_poll_seconds', 'debounce_ms', 'content_limit', 'diff_limit'], problems, 'changes');
        const enabled = section.get('enabled');
        if (enabled) config.changes.enabled = boolean(enabled.value, problems, 'changes.enabled') ?? true;
        const numbers: [string, keyof AgentConfig['changes'], number][] = [
          ['rescan_seconds', 'rescanSeconds', 86400],
          ['modules_poll_seconds', 'modulesPollSeconds', 86400],
          ['debounce_ms', 'debounceMs', 60_000],
          ['content_limit', 'contentLimit', 65_536],
          ['diff_limit', 'diffLimit', 65_536],
        ];
        for (const [key, prop, max] of numbers) {
          const entry = section.get(key);
          if (!entry) continue;
          const n = positiveNumber(entry.value, problems, `changes.${key}`, max);
          if (n !== undefined) (config.changes as Record<string, unknown>)[prop] = n;
        }
      }
    }
  }
  if (problems.list.length) {
    // In file order, so the message names the first problem an editor would show.
    problems.list.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
    const first = problems.list[0]!;
    throw new VigilError('invalid_config', `${formatWhere(first.location)}${first.message}${problems.list.length > 1 ? ` (and ${problems.list.length - 1} more problems)` : ''}`, { location: first.location ?? { file }, details: problems.list });
  }
  return config;
}

function formatWhere(location: ErrorLocation | undefined): string {
  if (!location?.file) return '';
  return `${location.file}${location.line !== undefined ? `:${location.line}:${location.column ?? 1}` : ''}: `;
}

/** Reads the configuration file; without a path, the defaults (no filters, inventory and change records on). */
export function loadAgentConfig(path: string | undefined): AgentConfig {
  if (!path) return structuredClone(DEFAULT_AGENT_CONFIG);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw VigilError.wrap(error, 'invalid_config', `cannot read the agent configuration ${path}`);
  }
  return parseAgentConfig(text, path);
}

/** The sink filter of a configuration (without rules it only counts events per category). */
export function createAgentFilter(config: AgentConfig): EventFilter {
  return compileFilters(config.filters, telemetryCategories.map((c) => c.name));
}
