// Loads the Sigma logsource routing and field mapping (content/mappings/sigma.yml) into a FieldResolver and LogsourceRouter.
// All knowledge of the Sigma taxonomy lives in the YAML file; this module must never hard-code a Sigma field or logsource.

import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { VigilError, type VigilErrorDetail } from '@vigil/common';
import { categoryByName, type ResolvedCategory } from '@vigil/schema';
import type { DetectEvent, FieldAccessor, FieldResolver, Logsource, LogsourceRoute, LogsourceRouter } from '../core.js';

export interface SigmaMapping {
  resolver: FieldResolver;
  router: LogsourceRouter;
}

/** Where the raw, source-native value of a Sigma field is looked up first. */
type RawSource = 'none' | 'winlog_event_data' | 'message_pairs';
const rawSources: readonly RawSource[] = ['none', 'winlog_event_data', 'message_pairs'];

type Target =
  | { kind: 'field'; field: string; sqlType: string }
  | { kind: 'translated'; field: string; values: ReadonlyMap<string, string> }
  | { kind: 'raw'; name: string };

interface FieldRule {
  /** Spelling used in the mapping file; rules may use any letter case. */
  name: string;
  targets: Target[];
  rawFirst: boolean;
}

interface Entry {
  id: number;
  label: string;
  route: LogsourceRoute;
  raw: RawSource;
  fields: Map<string, FieldRule>;
  fieldsLower: Map<string, FieldRule>;
  /** Schema fields of the route's categories, by exact name and by lower-cased name. */
  vigilFields: Map<string, string>;
  vigilFieldsLower: Map<string, string>;
  vigilTypes: Map<string, string>;
  keywords: string[];
}

interface Unsupported {
  match: Logsource;
  reason: string;
}

const logsourceKeys = ['product', 'category', 'service'] as const;

function logsourceKey(logsource: Logsource): string {
  return logsourceKeys.map((key) => (logsource[key] ?? '').trim().toLowerCase()).join('|');
}

function describeLogsource(logsource: Logsource): string {
  return logsourceKeys.flatMap((key) => (logsource[key] ? [`${key}: ${logsource[key]}`] : [])).join(', ');
}

// ---- loading ----

class Problems {
  readonly items: VigilErrorDetail[] = [];
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}
  /** Records a problem at a node (a pair is located at its key; a missing node at the start of the file). */
  at(node: Node | Pair | null | undefined, message: string): void {
    const range = node && 'range' in node ? node.range : node && 'key' in node ? (node.key as Node | null)?.range : undefined;
    this.atOffset(range?.[0] ?? 0, message);
  }
  atOffset(offset: number, message: string): void {
    const pos = this.lines.linePos(offset);
    this.items.push({ message, location: { file: this.file, line: pos.line, column: pos.col } });
  }
  throwIfAny(): void {
    const first = this.items[0];
    if (!first) return;
    const more = this.items.length > 1 ? ` (and ${this.items.length - 1} more problems)` : '';
    throw new VigilError('invalid_config', `bad Sigma mapping: ${first.message}${more}`, {
      ...(first.location ? { location: first.location } : {}),
      details: this.items,
    });
  }
}

function scalarString(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

function mapPairs(node: unknown, problems: Problems, what: string, at: Node | null | undefined): Pair<Node, Node | null>[] {
  if (!isMap(node)) {
    problems.at((node as Node | null) ?? at, `${what} must be a map`);
    return [];
  }
  return (node as YAMLMap<Node, Node | null>).items;
}

function checkKeys(map: Pair<Node, Node | null>[], allowed: readonly string[], problems: Problems, what: string): Map<string, Pair<Node, Node | null>> {
  const byKey = new Map<string, Pair<Node, Node | null>>();
  for (const pair of map) {
    const key = scalarString(pair.key);
    if (key === undefined || !allowed.includes(key)) {
      problems.at(pair.key, `unknown key ${String(isScalar(pair.key) ? pair.key.value : pair.key)} in ${what} (allowed: ${allowed.join(', ')})`);
      continue;
    }
    byKey.set(key, pair);
  }
  return byKey;
}

function stringList(node: Node | null | undefined, problems: Problems, what: string): { value: string; node: Node }[] {
  if (!isSeq(node)) {
    problems.at(node, `${what} must be a list of strings`);
    return [];
  }
  const out: { value: string; node: Node }[] = [];
  for (const item of node.items as Node[]) {
    const value = scalarString(item);
    if (value === undefined || value === '') problems.at(item, `${what} must hold non-empty strings`);
    else out.push({ value, node: item });
  }
  return out;
}

interface RawTarget {
  node: Node;
  spec: { field: string } | { field: string; values: Map<string, string> } | { raw: string };
}

const rawPrefix = 'winlog.event_data.';

function parseTargets(node: Node | null, problems: Problems, what: string): RawTarget[] {
  const one = (item: Node | null): RawTarget | undefined => {
    const text = scalarString(item);
    if (text !== undefined) {
      if (text.startsWith(rawPrefix) && text.length > rawPrefix.length) return { node: item as Node, spec: { raw: text.slice(rawPrefix.length) } };
      return { node: item as Node, spec: { field: text } };
    }
    if (isMap(item)) {
      const keys = checkKeys(item.items as Pair<Node, Node | null>[], ['field', 'values'], problems, what);
      const field = scalarString(keys.get('field')?.value);
      const valuesNode = keys.get('values')?.value;
      if (field === undefined || !isMap(valuesNode)) {
        problems.at(item, `${what}: a translated target needs field (string) and values (map from Vigil value to Sigma value)`);
        return undefined;
      }
      const values = new Map<string, string>();
      for (const pair of valuesNode.items as Pair<Node, Node | null>[]) {
        const from = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const to = isScalar(pair.value) ? String(pair.value.value) : undefined;
        if (from === undefined || to === undefined) problems.at(pair.key, `${what}: translated values must be scalars`);
        else values.set(from, to);
      }
      return { node: item, spec: { field, values } };
    }
    problems.at(item, `${what} must be a Vigil field name, ${rawPrefix}<Name>, a list of those, or {field, values}`);
    return undefined;
  };
  const items = isSeq(node) ? (node.items as (Node | null)[]) : [node];
  if (items.length === 0) problems.at(node, `${what} maps to nothing`);
  return items.flatMap((item) => one(item) ?? []);
}

interface GroupSpec {
  name: string;
  rawFirst: boolean;
  fields: { name: string; node: Node; targets: RawTarget[] }[];
}

function parseFieldMap(node: Node | null | undefined, problems: Problems, what: string): GroupSpec['fields'] {
  const out: GroupSpec['fields'] = [];
  const seen = new Set<string>();
  for (const pair of mapPairs(node, problems, what, node)) {
    const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (name === undefined || name === '') {
      problems.at(pair.key, `${what}: field names must be non-empty strings`);
      continue;
    }
    if (seen.has(name.toLowerCase())) problems.at(pair.key, `${what}: field ${name} is listed twice (names are compared case-insensitively)`);
    seen.add(name.toLowerCase());
    out.push({ name, node: pair.key, targets: parseTargets(pair.value, problems, `${what}.${name}`) });
  }
  return out;
}

function parseLogsourceMatch(node: Node | null | undefined, problems: Problems, what: string): Logsource | undefined {
  const pairs = mapPairs(node, problems, `${what}.match`, node);
  const keys = checkKeys(pairs, logsourceKeys, problems, `${what}.match`);
  const match: Logsource = {};
  for (const [key, pair] of keys) {
    const value = scalarString(pair.value);
    if (value === undefined || value === '') problems.at(pair.value ?? pair.key, `${what}.match.${key} must be a non-empty string`);
    else match[key as 'product' | 'category' | 'service'] = value;
  }
  if (isMap(node) && keys.size === 0) problems.at(node, `${what}.match names no product, category or service`);
  return keys.size > 0 ? match : undefined;
}

function sqlTypeOf(fieldType: string): string {
  return fieldType === 'keyword' || fieldType === 'text' || fieldType === 'ip' ? 'string' : fieldType;
}

function buildEntry(
  id: number,
  node: Node,
  groups: Map<string, GroupSpec>,
  problems: Problems,
): { entry: Entry; match: Logsource; matchNode: Node | null | undefined } | undefined {
  const what = `logsources[${id}]`;
  const keys = checkKeys(mapPairs(node, problems, what, node), ['match', 'categories', 'conditions', 'absent', 'raw', 'field_groups', 'fields', 'keywords', 'note'], problems, what);
  const matchNode = keys.get('match')?.value;
  if (!keys.has('match')) problems.at(node, `${what} has no match`);
  const match = parseLogsourceMatch(matchNode, problems, what);
  const label = match ? describeLogsource(match) : what;

  let categories: ResolvedCategory[] | undefined;
  const categoriesPair = keys.get('categories');
  if (categoriesPair) {
    categories = [];
    for (const { value, node: item } of stringList(categoriesPair.value, problems, `${label}: categories`)) {
      const category = categoryByName.get(value);
      if (!category) problems.at(item, `${label}: unknown Vigil category ${value}`);
      else categories.push(category);
    }
    if (categories.length === 0 && isSeq(categoriesPair.value) && categoriesPair.value.items.length === 0) problems.at(categoriesPair.value, `${label}: categories is empty`);
  }
  const scope = categories ?? [...categoryByName.values()];
  const fieldType = (name: string): string | undefined => {
    for (const category of scope) {
      const field = category.fieldByName.get(name);
      if (field) return field.type;
    }
    return undefined;
  };
  const scopeText = categories ? `categories ${categories.map((c) => c.name).join(', ')}` : 'any category';

  const conditions: { field: string; anyOf: (string | number)[] }[] = [];
  const conditionsPair = keys.get('conditions');
  if (conditionsPair) {
    for (const pair of mapPairs(conditionsPair.value, problems, `${label}: conditions`, conditionsPair.key as Node)) {
      const field = scalarString(pair.key);
      if (field === undefined || fieldType(field) === undefined) {
        problems.at(pair.key, `${label}: condition on ${String(field)}, which is not a Vigil field of ${scopeText}`);
        continue;
      }
      if (!isSeq(pair.value) || pair.value.items.length === 0) {
        problems.at(pair.value ?? pair.key, `${label}: condition ${field} must be a non-empty list of values`);
        continue;
      }
      const anyOf: (string | number)[] = [];
      for (const item of pair.value.items as Node[]) {
        const value = isScalar(item) ? item.value : undefined;
        if (typeof value !== 'string' && typeof value !== 'number') {
          problems.at(item, `${label}: condition ${field} values must be strings or numbers`);
          continue;
        }
        if (field === 'event.action' && !scope.some((category) => category.actionNames.has(String(value)))) {
          problems.at(item, `${label}: event.action ${String(value)} is not an action of ${scopeText}`);
        }
        anyOf.push(value);
      }
      conditions.push({ field, anyOf });
    }
  }

  const absent: string[] = [];
  const absentPair = keys.get('absent');
  if (absentPair) {
    if (!isSeq(absentPair.value)) problems.at(absentPair.value ?? absentPair.key, `${label}: absent must be a list of Vigil fields`);
    else {
      for (const item of absentPair.value.items as Node[]) {
        const field = isScalar(item) && typeof item.value === 'string' ? item.value : undefined;
        if (field === undefined || fieldType(field) === undefined) problems.at(item, `${label}: absent lists ${String(field)}, which is not a Vigil field of ${scopeText}`);
        else absent.push(field);
      }
    }
  }

  let raw: RawSource = 'none';
  const rawPair = keys.get('raw');
  if (rawPair) {
    const value = scalarString(rawPair.value);
    if (value === undefined || !rawSources.includes(value as RawSource)) problems.at(rawPair.value ?? rawPair.key, `${label}: raw must be one of ${rawSources.join(', ')}`);
    else raw = value as RawSource;
  }
  if (raw === 'winlog_event_data' && fieldType('winlog.event_data') === undefined) problems.at(rawPair?.value, `${label}: raw winlog_event_data needs a category with winlog.event_data`);
  if (raw === 'message_pairs' && fieldType('message') === undefined) problems.at(rawPair?.value, `${label}: raw message_pairs needs the message field`);

  const fields = new Map<string, FieldRule>();
  const fieldsLower = new Map<string, FieldRule>();
  const addFields = (specs: GroupSpec['fields'], rawFirst: boolean, from: string) => {
    for (const spec of specs) {
      const targets: Target[] = [];
      for (const target of spec.targets) {
        if ('raw' in target.spec) {
          if (fieldType('winlog.event_data') === undefined) problems.at(target.node, `${label}: ${from}.${spec.name} reads raw Windows data, which ${scopeText} does not carry`);
          targets.push({ kind: 'raw', name: target.spec.raw });
          continue;
        }
        const type = fieldType(target.spec.field);
        if (type === undefined) {
          problems.at(target.node, `${label}: ${from}.${spec.name} maps to ${target.spec.field}, which is not a Vigil field of ${scopeText}`);
          continue;
        }
        if ('values' in target.spec) targets.push({ kind: 'translated', field: target.spec.field, values: target.spec.values });
        else targets.push({ kind: 'field', field: target.spec.field, sqlType: sqlTypeOf(type) });
      }
      const lower = spec.name.toLowerCase();
      if (fieldsLower.has(lower)) continue; // the entry's own fields and earlier groups take precedence
      const rule: FieldRule = { name: spec.name, targets, rawFirst };
      fields.set(spec.name, rule);
      fieldsLower.set(lower, rule);
    }
  };
  const ownFields = keys.get('fields');
  if (ownFields) addFields(parseFieldMap(ownFields.value, problems, `${label}: fields`), true, 'fields');
  const groupsPair = keys.get('field_groups');
  if (groupsPair) {
    for (const { value, node: item } of stringList(groupsPair.value, problems, `${label}: field_groups`)) {
      const group = groups.get(value);
      if (!group) problems.at(item, `${label}: unknown field group ${value}`);
      else addFields(group.fields, group.rawFirst, `field_groups.${value}`);
    }
  }

  const keywords: string[] = [];
  const keywordsPair = keys.get('keywords');
  if (keywordsPair) {
    for (const { value, node: item } of stringList(keywordsPair.value, problems, `${label}: keywords`)) {
      if (fieldType(value) === undefined) problems.at(item, `${label}: keyword field ${value} is not a Vigil field of ${scopeText}`);
      else keywords.push(value);
    }
  }

  const vigilFields = new Map<string, string>();
  const vigilFieldsLower = new Map<string, string>();
  const vigilTypes = new Map<string, string>();
  for (const category of scope) {
    for (const field of category.fields) {
      vigilFields.set(field.name, field.name);
      if (!vigilFieldsLower.has(field.name.toLowerCase())) vigilFieldsLower.set(field.name.toLowerCase(), field.name);
      vigilTypes.set(field.name, sqlTypeOf(field.type));
    }
  }

  if (!match) return undefined;
  const route: LogsourceRoute = {
    ...(categories ? { categories: categories.map((c) => c.name) } : {}),
    conditions,
    ...(absent.length ? { absent } : {}),
  };
  return { entry: { id, label, route, raw, fields, fieldsLower, vigilFields, vigilFieldsLower, vigilTypes, keywords }, match, matchNode };
}

interface LoadedMapping {
  entries: Map<string, Entry>;
  unsupported: Unsupported[];
}

function parseMappingFile(path: string): LoadedMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new VigilError('invalid_config', `cannot read the Sigma mapping ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      location: { file: path, line: 1, column: 1 },
      cause: error,
    });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems = new Problems(path, lines);
  for (const error of doc.errors) problems.atOffset(error.pos[0], `YAML: ${error.message.split('\n')[0] ?? error.code}`);
  problems.throwIfAny();

  const top = checkKeys(mapPairs(doc.contents, problems, 'the mapping file', doc.contents), ['version', 'field_groups', 'logsources', 'unsupported'], problems, 'the mapping file');
  const version = top.get('version');
  if (!version || !isScalar(version.value) || version.value.value !== 1) problems.at(version?.value ?? doc.contents, 'version must be 1');

  const groups = new Map<string, GroupSpec>();
  const groupsPair = top.get('field_groups');
  if (groupsPair) {
    for (const pair of mapPairs(groupsPair.value, problems, 'field_groups', groupsPair.key as Node)) {
      const name = scalarString(pair.key);
      if (name === undefined) {
        problems.at(pair.key, 'field group names must be strings');
        continue;
      }
      const keys = checkKeys(mapPairs(pair.value, problems, `field_groups.${name}`, pair.key), ['fields', 'raw_first'], problems, `field_groups.${name}`);
      let rawFirst = true;
      const rawFirstPair = keys.get('raw_first');
      if (rawFirstPair) {
        if (!isScalar(rawFirstPair.value) || typeof rawFirstPair.value.value !== 'boolean') problems.at(rawFirstPair.value ?? rawFirstPair.key, `field_groups.${name}.raw_first must be true or false`);
        else rawFirst = rawFirstPair.value.value;
      }
      if (!keys.has('fields')) problems.at(pair.key, `field_groups.${name} has no fields`);
      groups.set(name, { name, rawFirst, fields: parseFieldMap(keys.get('fields')?.value, problems, `field_groups.${name}`) });
    }
  }

  const entries = new Map<string, Entry>();
  const logsourcesPair = top.get('logsources');
  if (!logsourcesPair || !isSeq(logsourcesPair.value)) problems.at(logsourcesPair?.value ?? doc.contents, 'logsources must be a list');
  else {
    (logsourcesPair.value.items as Node[]).forEach((item, index) => {
      const built = buildEntry(index, item, groups, problems);
      if (!built) return;
      const key = logsourceKey(built.match);
      if (entries.has(key)) problems.at(built.matchNode, `logsource ${built.entry.label} is listed twice`);
      else entries.set(key, built.entry);
    });
  }

  const unsupported: Unsupported[] = [];
  const unsupportedPair = top.get('unsupported');
  if (unsupportedPair) {
    if (!isSeq(unsupportedPair.value)) problems.at(unsupportedPair.value ?? unsupportedPair.key, 'unsupported must be a list');
    else {
      (unsupportedPair.value.items as Node[]).forEach((item, index) => {
        const what = `unsupported[${index}]`;
        const keys = checkKeys(mapPairs(item, problems, what, item), ['match', 'reason'], problems, what);
        const matchNode = keys.get('match')?.value;
        const match = parseLogsourceMatch(matchNode, problems, what);
        const reason = scalarString(keys.get('reason')?.value);
        if (!reason) problems.at(keys.get('reason')?.value ?? item, `${what} needs a reason`);
        if (!match || !reason) return;
        for (const [key, entry] of entries) {
          const [product, category, service] = key.split('|');
          if (unsupportedCovers(match, { product: product || undefined, category: category || undefined, service: service || undefined } as Logsource)) {
            problems.at(matchNode, `${what} (${describeLogsource(match)}) also covers the routed logsource ${entry.label}`);
          }
        }
        unsupported.push({ match, reason });
      });
    }
  }
  problems.throwIfAny();
  return { entries, unsupported };
}

/** An unsupported entry covers a logsource when every key it names has the same value there. */
function unsupportedCovers(match: Logsource, logsource: Logsource): boolean {
  return logsourceKeys.every((key) => match[key] === undefined || match[key].toLowerCase() === (logsource[key] ?? '').trim().toLowerCase());
}

// ---- accessors ----

type Step =
  | { kind: 'raw'; name: string }
  | { kind: 'pairs'; name: string }
  | { kind: 'field'; field: string; sqlType: string }
  | { kind: 'translated'; field: string; values: ReadonlyMap<string, string> };

const lowerIndexes = new WeakMap<object, Map<string, unknown>>();

function lowerIndex(data: Record<string, unknown>): Map<string, unknown> {
  let index = lowerIndexes.get(data);
  if (!index) {
    index = new Map();
    for (const key in data) {
      const lower = key.toLowerCase();
      if (!index.has(lower)) index.set(lower, data[key]);
      // Some providers (Defender: "Threat Name", "Process Name") put spaces in names that Sigma writes without them.
      if (key.includes(' ')) {
        const squeezed = lower.replace(/\s+/g, '');
        if (!index.has(squeezed)) index.set(squeezed, data[key]);
      }
    }
    lowerIndexes.set(data, index);
  }
  return index;
}

const pairIndexes = new WeakMap<object, Map<string, string>>();
// key=value tokens as auditd and sudo write them; a value is a double-quoted string or runs to the next separator.
const pairPattern = /(?:^|[\s'";,\x1d])([A-Za-z_][\w-]*)=("[^"]*"|[^\s'";,\x1d]*)/g;

function messagePairs(event: DetectEvent): Map<string, string> | undefined {
  const message = event['message'];
  if (typeof message !== 'string') return undefined;
  let pairs = pairIndexes.get(event);
  if (!pairs) {
    pairs = new Map();
    for (const match of message.matchAll(pairPattern)) {
      const key = match[1] as string;
      let value = match[2] as string;
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (!pairs.has(key)) pairs.set(key, value);
      const lower = `\0${key.toLowerCase()}`;
      if (!pairs.has(lower)) pairs.set(lower, value);
    }
    pairIndexes.set(event, pairs);
  }
  return pairs;
}

function readRaw(event: DetectEvent, name: string, lower: string): unknown {
  const data = event['winlog.event_data'];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const record = data as Record<string, unknown>;
  const value = record[name];
  // A primitive is an own value: everything Object.prototype holds is a function or an object.
  if (value !== undefined && value !== null && typeof value !== 'object' && typeof value !== 'function') return value;
  if (Object.hasOwn(record, name)) return value;
  return lowerIndex(record).get(lower);
}

function stepGetter(step: Step): (event: DetectEvent) => unknown {
  switch (step.kind) {
    case 'raw': {
      const { name } = step;
      const lower = name.toLowerCase();
      return (event) => readRaw(event, name, lower);
    }
    case 'pairs': {
      const { name } = step;
      const lower = `\0${name.toLowerCase()}`;
      return (event) => {
        const pairs = messagePairs(event);
        return pairs ? (pairs.get(name) ?? pairs.get(lower)) : undefined;
      };
    }
    case 'field': {
      const { field } = step;
      return (event) => event[field];
    }
    case 'translated': {
      const { field, values } = step;
      return (event) => {
        const value = event[field];
        return value === undefined || value === null ? undefined : values.get(String(value));
      };
    }
  }
}

const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const quoteString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const escapeRegex = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/** SQL alternatives of one step, tried in order; each yields NULL when the step has no value. */
function stepSql(step: Step, mixed: boolean): string[] {
  switch (step.kind) {
    case 'raw': {
      const data = quoteIdentifier('winlog.event_data');
      const path = `$."${step.name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
      const anyCase = `list_filter(json_keys(${data}), lambda k: replace(lower(k), ' ', '') = ${quoteString(step.name.toLowerCase())})[1]`;
      return [`json_extract_string(${data}, ${quoteString(path)})`, `json_extract_string(${data}, ${anyCase})`];
    }
    case 'pairs': {
      const pattern = `(?:^|[\\s'";,\\x1d])${escapeRegex(step.name)}=("[^"]*"|[^\\s'";,\\x1d]*)`;
      const extract = (flags: string) => `nullif(trim(regexp_extract(${quoteIdentifier('message')}, ${quoteString(flags + pattern)}, 1), '"'), '')`;
      return [extract(''), extract('(?i)')];
    }
    case 'field': {
      const column = quoteIdentifier(step.field);
      return [mixed && step.sqlType !== 'string' ? `CAST(${column} AS VARCHAR)` : column];
    }
    case 'translated': {
      const cases = [...step.values].map(([from, to]) => `WHEN ${quoteString(from)} THEN ${quoteString(to)}`).join(' ');
      return [`CASE CAST(${quoteIdentifier(step.field)} AS VARCHAR) ${cases} END`];
    }
  }
}

function stepKey(step: Step): string {
  switch (step.kind) {
    case 'raw':
      return `winlog.event_data[${step.name}]`;
    case 'pairs':
      return `message[${step.name}=]`;
    case 'field':
      return step.field;
    case 'translated':
      return `${step.field}{${[...step.values].map(([from, to]) => `${from}=${to}`).join(',')}}`;
  }
}

function buildAccessor(steps: Step[]): FieldAccessor {
  const getters = steps.map(stepGetter);
  const mixed = steps.length > 1;
  const parts = steps.flatMap((step) => stepSql(step, mixed));
  const sql = parts.length === 1 ? (parts[0] as string) : `coalesce(${parts.join(', ')})`;
  const key = steps.map(stepKey).join(' | ');
  let get: (event: DetectEvent) => unknown;
  if (getters.length === 1) get = getters[0] as (event: DetectEvent) => unknown;
  else if (getters.length === 2) {
    const [first, second] = getters as [(event: DetectEvent) => unknown, (event: DetectEvent) => unknown];
    get = (event) => {
      const value = first(event);
      return value === undefined || value === null ? second(event) : value;
    };
  } else {
    get = (event) => {
      for (const getter of getters) {
        const value = getter(event);
        if (value !== undefined && value !== null) return value;
      }
      return undefined;
    };
  }
  return { key, get, sql };
}

/** The object of raw Windows event data values, or undefined. */
function eventData(event: DetectEvent): Record<string, unknown> | undefined {
  const data = event['winlog.event_data'];
  return data === null || typeof data !== 'object' || Array.isArray(data) ? undefined : (data as Record<string, unknown>);
}

function rawValuesAccessor(): FieldAccessor {
  return {
    key: 'winlog.event_data[*]',
    get: (event) => {
      const data = eventData(event);
      if (data === undefined) return undefined;
      const values: string[] = [];
      for (const value of Object.values(data)) if (typeof value === 'string') values.push(value);
      return values.length > 0 ? values : undefined;
    },
    forEachValue(event, visit) {
      const data = eventData(event);
      if (data === undefined) return;
      const values = Object.values(data);
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (typeof value === 'string') visit(value);
      }
    },
    sql: `json_extract_string(${quoteIdentifier('winlog.event_data')}, '$.*')`,
  };
}

// ---- the mapping ----

function createMapping(loaded: LoadedMapping): SigmaMapping {
  const { entries, unsupported } = loaded;
  const accessorsByKey = new Map<string, FieldAccessor>();
  const resolved = new Map<string, FieldAccessor | null>();
  const keywordCache = new Map<number, FieldAccessor[]>();

  const shared = (accessor: FieldAccessor): FieldAccessor => {
    const known = accessorsByKey.get(accessor.key);
    if (known) return known;
    accessorsByKey.set(accessor.key, accessor);
    return accessor;
  };

  const entryOf = (logsource: Logsource): Entry | undefined => entries.get(logsourceKey(logsource));

  const stepsFor = (entry: Entry, field: string): Step[] => {
    const rule = entry.fields.get(field) ?? entry.fieldsLower.get(field.toLowerCase());
    const exactVigil = entry.vigilFields.get(field);
    if (!rule && exactVigil) return [{ kind: 'field', field: exactVigil, sqlType: entry.vigilTypes.get(exactVigil) ?? 'string' }];
    const steps: Step[] = [];
    const name = rule?.name ?? field;
    if (rule?.rawFirst !== false) {
      if (entry.raw === 'winlog_event_data') steps.push({ kind: 'raw', name });
      else if (entry.raw === 'message_pairs') steps.push({ kind: 'pairs', name });
    }
    for (const target of rule?.targets ?? []) {
      if (target.kind === 'raw') steps.push({ kind: 'raw', name: target.name });
      else steps.push(target);
    }
    const vigil = exactVigil ?? entry.vigilFieldsLower.get(field.toLowerCase());
    if (vigil && !steps.some((step) => (step.kind === 'field' || step.kind === 'translated') && step.field === vigil)) {
      steps.push({ kind: 'field', field: vigil, sqlType: entry.vigilTypes.get(vigil) ?? 'string' });
    }
    const seen = new Set<string>();
    return steps.filter((step) => {
      const key = stepKey(step);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };

  const resolver: FieldResolver = {
    resolve(field, logsource) {
      const entry = entryOf(logsource);
      if (!entry || field === '') return undefined;
      const cacheKey = `${entry.id}\0${field}`;
      const cached = resolved.get(cacheKey);
      if (cached !== undefined) return cached ?? undefined;
      const steps = stepsFor(entry, field);
      const accessor = steps.length > 0 ? shared(buildAccessor(steps)) : null;
      resolved.set(cacheKey, accessor);
      return accessor ?? undefined;
    },
    keywordFields(logsource) {
      const entry = entryOf(logsource);
      if (!entry) return [];
      let accessors = keywordCache.get(entry.id);
      if (!accessors) {
        accessors = entry.keywords.map((field) => shared(buildAccessor([{ kind: 'field', field, sqlType: entry.vigilTypes.get(field) ?? 'string' }])));
        if (entry.raw === 'winlog_event_data') accessors.unshift(shared(rawValuesAccessor()));
        keywordCache.set(entry.id, accessors);
      }
      return accessors;
    },
  };

  const router: LogsourceRouter = {
    route(logsource) {
      return entryOf(logsource)?.route;
    },
  };

  const mapping: SigmaMapping = { resolver, router };
  unsupportedLists.set(mapping, unsupported);
  return mapping;
}

const unsupportedLists = new WeakMap<SigmaMapping, readonly Unsupported[]>();

/** Why Vigil has no events for a logsource, as the mapping file documents it; undefined when it is routed or not listed. */
export function unsupportedReason(mapping: SigmaMapping, logsource: Logsource): string | undefined {
  return unsupportedLists.get(mapping)?.find((entry) => unsupportedCovers(entry.match, logsource))?.reason;
}

/** Loads and validates a mapping file; a bad file throws VigilError('invalid_config') with file, line and column. */
export function loadSigmaMapping(path: string): SigmaMapping {
  return createMapping(parseMappingFile(path));
}
