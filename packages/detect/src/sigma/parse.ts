// Parses Sigma rule files into detection rules, correlation rules and filters (Sigma v2), with located problems.
// Never throws, whatever the text, and never compiles or resolves fields: that is compile.ts.

import { createHash } from 'node:crypto';
import { sigmaLevels } from '../core.js';
import type {
  CorrelationCondition, CorrelationType, LoadProblem, Logsource, SigmaCondition, SigmaCorrelation, SigmaFieldItem, SigmaLevel, SigmaMeta,
  SigmaRule, SigmaScalar, SigmaSearch, SourceLocation,
} from '../core.js';
import { parseCondition } from './condition.js';
import type { RuleSource } from './rule-files.js';
import { entryOf, mergeMaps, parseYamlSource } from './yaml-source.js';
import type { YamlEntry, YamlMapValue, YamlScalarValue, YamlValue } from './yaml-source.js';

export interface SigmaFilter {
  file: string;
  location: SourceLocation;
  id: string;
  title: string;
  rules: string[];
  logsource: Logsource;
  searches: Map<string, SigmaSearch>;
  condition: SigmaCondition;
}

export interface ParsedSigmaFile {
  rules: SigmaRule[];
  correlations: SigmaCorrelation[];
  filters: SigmaFilter[];
  problems: LoadProblem[];
}

const valueLocations = new WeakMap<object, SourceLocation[]>();

/** Documents with `status: deprecated` in a parsed file: their problems, and how many were dropped for errors. */
export interface DeprecatedDocuments {
  problems: Set<LoadProblem>;
  dropped: number;
}
const deprecatedDocuments = new WeakMap<ParsedSigmaFile, DeprecatedDocuments>();

/** Lets the load pipeline count broken deprecated rules as deprecated and leave their problems out. */
export function deprecatedDocumentsOf(parsed: ParsedSigmaFile): DeprecatedDocuments {
  return deprecatedDocuments.get(parsed) ?? { problems: new Set(), dropped: 0 };
}

/** Where value `index` of a field item or keyword search is written (the item's location when unknown). */
export function valueLocation(owner: SigmaFieldItem | SigmaSearch, index: number): SourceLocation {
  return valueLocations.get(owner)?.[index] ?? owner.location;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A stable UUID-shaped id for a rule without a usable id, derived from its file and title. */
export function derivedRuleId(file: string, title: string): string {
  const hex = createHash('sha1').update(file).update('\u0000').update(title).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Never throws, whatever the text. Multi-document YAML (`---`) and Sigma rule collections (action: global / reset / repeat) are handled. */
export function parseSigmaFile(source: RuleSource): ParsedSigmaFile {
  const result: ParsedSigmaFile = { rules: [], correlations: [], filters: [], problems: [] };
  try {
    parseInto(source, result);
  } catch (error) {
    result.problems.push({
      severity: 'error',
      code: 'internal',
      message: `the rule file could not be parsed: ${error instanceof Error ? error.message : String(error)}`,
      location: { file: source.file, line: 1, column: 1 },
    });
  }
  return result;
}

function parseInto(source: RuleSource, result: ParsedSigmaFile): void {
  const yaml = parseYamlSource(source);
  result.problems.push(...yaml.problems);
  let global: YamlMapValue | undefined;
  let previous: YamlMapValue | undefined;
  for (const document of yaml.documents) {
    const contents = document.contents;
    if (contents === undefined) continue;
    if (contents.kind !== 'map') {
      result.problems.push(problem('error', 'invalid_document', 'a Sigma document must be a map of attributes', contents.location));
      continue;
    }
    const actionEntry = entryOf(contents, 'action');
    let body = contents;
    if (actionEntry) {
      const action = scalarText(actionEntry.value);
      const rest: YamlMapValue = { ...contents, entries: contents.entries.filter((entry) => entry.key !== 'action') };
      if (action === 'global') {
        global = global ? mergeMaps(global, rest) : rest;
        continue;
      }
      if (action === 'reset') {
        global = undefined;
        continue;
      }
      if (action === 'repeat') {
        if (!previous) {
          result.problems.push(problem('error', 'invalid_collection', "'action: repeat' needs a rule document before it", actionEntry.keyLocation));
          continue;
        }
        body = mergeMaps(previous, rest);
      } else {
        result.problems.push(problem('error', 'invalid_collection', `unknown collection action '${String(action)}' (global, reset, repeat)`, actionEntry.value.location));
        continue;
      }
    } else if (global) body = mergeMaps(global, contents);
    previous = body;
    parseDocument(source.file, body, document.location, result);
  }
}

function problem(severity: LoadProblem['severity'], code: string, message: string, location: SourceLocation, meta?: { id?: string; title?: string }): LoadProblem {
  const found: LoadProblem = { severity, code, message, location };
  if (meta?.id !== undefined) found.ruleId = meta.id;
  if (meta?.title !== undefined) found.ruleTitle = meta.title;
  return found;
}

function scalarText(value: YamlValue): string | undefined {
  if (value.kind !== 'scalar' || value.value === null) return undefined;
  return String(value.value);
}

/** Collects problems of one document, tagged with the rule's id and title. */
class DocumentProblems {
  readonly list: LoadProblem[] = [];
  meta: { id?: string; title?: string } = {};
  get errors(): number {
    return this.list.filter((found) => found.severity === 'error').length;
  }
  error(code: string, message: string, location: SourceLocation): void {
    this.list.push(problem('error', code, message, location));
  }
  warning(code: string, message: string, location: SourceLocation): void {
    this.list.push(problem('warning', code, message, location));
  }
  tagged(): LoadProblem[] {
    return this.list.map((found) => ({
      ...found,
      ...(this.meta.id !== undefined ? { ruleId: this.meta.id } : {}),
      ...(this.meta.title !== undefined ? { ruleTitle: this.meta.title } : {}),
    }));
  }
}

function parseDocument(file: string, map: YamlMapValue, location: SourceLocation, result: ParsedSigmaFile): void {
  const problems = new DocumentProblems();
  const meta = parseMeta(file, map, location, problems);
  let kept = false;
  if (entryOf(map, 'correlation')) {
    const correlation = meta && parseCorrelation(meta, map, problems);
    if (correlation && problems.errors === 0) kept = result.correlations.push(correlation) > 0;
  } else if (entryOf(map, 'filter')) {
    const filter = meta && parseFilter(meta, map, problems);
    if (filter && problems.errors === 0) kept = result.filters.push(filter) > 0;
  } else {
    const rule = meta && parseDetectionRule(meta, map, problems);
    if (rule && problems.errors === 0) kept = result.rules.push(rule) > 0;
  }
  const tagged = problems.tagged();
  result.problems.push(...tagged);
  const status = entryOf(map, 'status');
  if (status && scalarText(status.value) === 'deprecated') {
    let deprecated = deprecatedDocuments.get(result);
    if (!deprecated) deprecatedDocuments.set(result, (deprecated = { problems: new Set(), dropped: 0 }));
    for (const found of tagged) deprecated.problems.add(found);
    if (!kept && entryOf(map, 'correlation') === undefined && entryOf(map, 'filter') === undefined) deprecated.dropped++;
  }
}

function parseMeta(file: string, map: YamlMapValue, location: SourceLocation, problems: DocumentProblems): SigmaMeta | undefined {
  const titleEntry = entryOf(map, 'title');
  const title = titleEntry ? scalarText(titleEntry.value) : undefined;
  if (title === undefined || title.trim() === '') {
    problems.error('missing_field', "the rule has no 'title'", titleEntry?.value.location ?? location);
    return undefined;
  }
  problems.meta.title = title;
  const idEntry = entryOf(map, 'id');
  const writtenId = idEntry ? scalarText(idEntry.value) : undefined;
  let id: string;
  if (writtenId === undefined || writtenId.trim() === '') {
    id = derivedRuleId(file, title);
    problems.warning('missing_id', `the rule has no 'id'; using the derived id ${id}`, idEntry?.value.location ?? location);
  } else {
    id = writtenId;
    if (!uuidPattern.test(writtenId)) problems.warning('invalid_id', `the rule id '${writtenId}' is not a UUID`, (idEntry as YamlEntry).value.location);
  }
  problems.meta.id = id;
  const levelEntry = entryOf(map, 'level');
  let level: SigmaLevel = 'medium';
  const isCorrelationOrFilter = entryOf(map, 'correlation') !== undefined || entryOf(map, 'filter') !== undefined;
  if (!levelEntry) {
    if (!isCorrelationOrFilter) problems.warning('missing_level', "the rule has no 'level'; using medium", location);
  } else {
    const written = scalarText(levelEntry.value)?.toLowerCase();
    const known = sigmaLevels.find((candidate) => candidate === written);
    if (known) level = known;
    else problems.warning('invalid_level', `unknown level '${String(written)}' (${sigmaLevels.join(', ')}); using medium`, levelEntry.value.location);
  }
  const meta: SigmaMeta = {
    file, location, id, title, level,
    tags: stringList(map, 'tags', problems),
    references: stringList(map, 'references', problems),
    falsepositives: stringList(map, 'falsepositives', problems),
  };
  for (const key of ['name', 'status', 'description', 'author', 'date', 'modified'] as const) {
    const entry = entryOf(map, key);
    if (!entry) continue;
    const text = scalarText(entry.value);
    if (text === undefined) {
      if (entry.value.kind !== 'scalar') problems.warning('invalid_value', `'${key}' should be a single value`, entry.value.location);
      continue;
    }
    meta[key] = text;
  }
  return meta;
}

function stringList(map: YamlMapValue, key: string, problems: DocumentProblems): string[] {
  const entry = entryOf(map, key);
  if (!entry) return [];
  const value = entry.value;
  if (value.kind === 'scalar') return value.value === null ? [] : [String(value.value)];
  if (value.kind === 'map') {
    problems.warning('invalid_value', `'${key}' should be a list of values`, value.location);
    return [];
  }
  const list: string[] = [];
  for (const item of value.items) {
    if (item.kind === 'scalar' && item.value !== null) list.push(String(item.value));
    else if (item.kind !== 'scalar') problems.warning('invalid_value', `'${key}' should hold plain values`, item.location);
  }
  return list;
}

function parseLogsource(map: YamlMapValue, location: SourceLocation, problems: DocumentProblems): Logsource | undefined {
  const entry = entryOf(map, 'logsource');
  if (!entry) {
    problems.error('missing_field', "the rule has no 'logsource'", location);
    return undefined;
  }
  if (entry.value.kind !== 'map') {
    problems.error('invalid_value', "'logsource' must be a map (product, category, service, definition)", entry.value.location);
    return undefined;
  }
  const logsource: Logsource = {};
  for (const key of ['product', 'category', 'service', 'definition'] as const) {
    const field = entryOf(entry.value, key);
    if (!field) continue;
    const text = scalarText(field.value);
    if (text === undefined) {
      if (field.value.kind !== 'scalar') problems.error('invalid_value', `logsource '${key}' must be a single value`, field.value.location);
      continue;
    }
    logsource[key] = text;
  }
  return logsource;
}

function parseDetectionRule(meta: SigmaMeta, map: YamlMapValue, problems: DocumentProblems): SigmaRule | undefined {
  const logsource = parseLogsource(map, meta.location, problems);
  const detectionEntry = entryOf(map, 'detection');
  if (!detectionEntry) {
    problems.error('missing_field', "the rule has no 'detection'", meta.location);
    return undefined;
  }
  if (detectionEntry.value.kind !== 'map') {
    problems.error('invalid_value', "'detection' must be a map of searches and a condition", detectionEntry.value.location);
    return undefined;
  }
  const detection = parseDetectionBody(detectionEntry.value, detectionEntry.keyLocation, problems, ['timeframe']);
  if (!logsource || !detection) return undefined;
  return { ...meta, kind: 'detection', logsource, searches: detection.searches, condition: detection.condition, fields: stringList(map, 'fields', problems) };
}

/** Searches and condition of a `detection` (or filter) section; `ignored` keys are neither. */
function parseDetectionBody(
  body: YamlMapValue,
  location: SourceLocation,
  problems: DocumentProblems,
  ignored: readonly string[],
): { searches: Map<string, SigmaSearch>; condition: SigmaCondition } | undefined {
  const searches = new Map<string, SigmaSearch>();
  let conditionEntry: YamlEntry | undefined;
  for (const entry of body.entries) {
    if (entry.key === 'condition') conditionEntry = entry;
    else if (entry.key === 'timeframe' && ignored.includes('timeframe')) {
      problems.warning('unsupported_timeframe', "'timeframe' in a detection is only meaningful with aggregations; write a correlation rule", entry.keyLocation);
    } else if (!ignored.includes(entry.key)) {
      const search = parseSearch(entry, problems);
      if (search) searches.set(entry.key, search);
    }
  }
  if (!conditionEntry) {
    problems.error('missing_field', "the detection has no 'condition'", location);
    return undefined;
  }
  const texts: YamlScalarValue[] = [];
  const conditionValue = conditionEntry.value;
  if (conditionValue.kind === 'scalar' && typeof conditionValue.value === 'string') texts.push(conditionValue);
  else if (conditionValue.kind === 'seq' && conditionValue.items.length > 0) {
    for (const item of conditionValue.items) {
      if (item.kind === 'scalar' && typeof item.value === 'string') texts.push(item);
      else {
        problems.error('invalid_condition', 'each condition must be a string', item.location);
        return undefined;
      }
    }
  } else {
    problems.error('invalid_condition', "'condition' must be a string or a list of strings", conditionValue.location);
    return undefined;
  }
  const names = [...searches.keys()];
  const conditions: SigmaCondition[] = [];
  for (const text of texts) {
    const parsed = parseCondition(
      { text: text.value as string, location: text.location, ...(text.textStart ? { textStart: text.textStart } : {}) },
      names,
    );
    problems.list.push(...parsed.problems);
    if (parsed.condition) conditions.push(parsed.condition);
  }
  if (conditions.length !== texts.length) return undefined;
  const condition: SigmaCondition = conditions.length === 1 ? (conditions[0] as SigmaCondition) : { kind: 'or', operands: conditions };
  return { searches, condition };
}

function parseSearch(entry: YamlEntry, problems: DocumentProblems): SigmaSearch | undefined {
  const value = entry.value;
  const location = entry.keyLocation;
  if (value.kind === 'map') {
    const items = parseSearchMap(value, problems);
    return items && { kind: 'map', alternatives: [items], location };
  }
  if (value.kind === 'seq') {
    if (value.items.length > 0 && value.items.every((item) => item.kind === 'map')) {
      const alternatives: SigmaFieldItem[][] = [];
      for (const item of value.items) {
        const items = parseSearchMap(item as YamlMapValue, problems);
        if (!items) return undefined;
        alternatives.push(items);
      }
      return { kind: 'map', alternatives, location };
    }
    if (value.items.every((item) => item.kind === 'scalar')) {
      const search: SigmaSearch = { kind: 'keywords', values: value.items.map((item) => (item as YamlScalarValue).value), modifiers: [], location };
      valueLocations.set(search, value.items.map((item) => item.location));
      return search;
    }
    problems.error('invalid_search', `search '${entry.key}' mixes maps and plain values`, value.location);
    return undefined;
  }
  if (value.value === null) {
    problems.error('invalid_search', `search '${entry.key}' is empty`, location);
    return undefined;
  }
  const search: SigmaSearch = { kind: 'keywords', values: [value.value], modifiers: [], location };
  valueLocations.set(search, [value.location]);
  return search;
}

function parseSearchMap(map: YamlMapValue, problems: DocumentProblems): SigmaFieldItem[] | undefined {
  if (map.entries.length === 0) {
    problems.error('invalid_search', 'a search map must name at least one field', map.location);
    return undefined;
  }
  const items: SigmaFieldItem[] = [];
  for (const entry of map.entries) {
    const [fieldName = '', ...modifiers] = entry.key.split('|');
    const field = fieldName === '' ? null : fieldName;
    const values: SigmaScalar[] = [];
    const locations: SourceLocation[] = [];
    if (entry.value.kind === 'scalar') {
      values.push(entry.value.value);
      locations.push(entry.value.location);
    } else if (entry.value.kind === 'seq') {
      for (const item of entry.value.items) {
        if (item.kind !== 'scalar') {
          problems.error('invalid_value', `the values of '${entry.key}' must be plain values`, item.location);
          return undefined;
        }
        values.push(item.value);
        locations.push(item.location);
      }
    } else {
      problems.error('invalid_value', `the value of '${entry.key}' must be a plain value or a list of them`, entry.value.location);
      return undefined;
    }
    const item: SigmaFieldItem = { field, modifiers: modifiers.map((modifier) => modifier.toLowerCase()), values, location: entry.keyLocation };
    valueLocations.set(item, locations);
    items.push(item);
  }
  return items;
}

// ---- correlations ----

const correlationTypes: readonly CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered'];
const timespanUnits: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30s`, `5m`, `1h`, `2d`, `1w` in milliseconds; undefined when malformed or zero. */
export function parseTimespan(text: string): number | undefined {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = timespanUnits[match[2] as string] as number;
  return amount > 0 && Number.isSafeInteger(amount * unit) ? amount * unit : undefined;
}

function parseCorrelation(meta: SigmaMeta, map: YamlMapValue, problems: DocumentProblems): SigmaCorrelation | undefined {
  const entry = entryOf(map, 'correlation') as YamlEntry;
  if (entry.value.kind !== 'map') {
    problems.error('invalid_correlation', "'correlation' must be a map (type, rules, timespan, ...)", entry.value.location);
    return undefined;
  }
  const body = entry.value;
  const typeEntry = entryOf(body, 'type');
  const typeText = typeEntry ? scalarText(typeEntry.value) : undefined;
  const type = correlationTypes.find((candidate) => candidate === typeText);
  if (!typeEntry) problems.error('missing_field', "the correlation has no 'type'", entry.keyLocation);
  else if (!type) problems.error('invalid_correlation', `unknown correlation type '${String(typeText)}' (${correlationTypes.join(', ')})`, typeEntry.value.location);

  const rulesEntry = entryOf(body, 'rules');
  const rules = rulesEntry ? scalarList(rulesEntry.value) : undefined;
  if (!rulesEntry) problems.error('missing_field', "the correlation has no 'rules'", entry.keyLocation);
  else if (!rules || rules.length === 0) problems.error('invalid_correlation', "'rules' must list at least one rule id or name", rulesEntry.value.location);

  const groupEntry = entryOf(body, 'group-by');
  const groupBy = groupEntry ? scalarList(groupEntry.value) : [];
  if (groupEntry && !groupBy) problems.error('invalid_correlation', "'group-by' must be a list of field names", groupEntry.value.location);

  const spanEntry = entryOf(body, 'timespan') ?? entryOf(body, 'timeframe');
  const spanText = spanEntry ? scalarText(spanEntry.value) : undefined;
  const timespanMs = spanText === undefined ? undefined : parseTimespan(spanText);
  if (!spanEntry) problems.error('missing_field', "the correlation has no 'timespan'", entry.keyLocation);
  else if (timespanMs === undefined) problems.error('invalid_timespan', `bad timespan '${String(spanText)}': use a number and s, m, h, d or w (for example 5m)`, spanEntry.value.location);

  const conditionEntry = entryOf(body, 'condition');
  let condition: CorrelationCondition | undefined;
  if (conditionEntry) condition = parseCorrelationCondition(conditionEntry, problems);
  else if (type === 'event_count' || type === 'value_count') problems.error('missing_field', `a ${type} correlation needs a 'condition'`, entry.keyLocation);
  if (type === 'value_count' && condition && condition.field === undefined) {
    problems.error('missing_field', "a value_count correlation needs 'field' in its condition", (conditionEntry as YamlEntry).value.location);
  }

  const aliases = new Map<string, Map<string, string>>();
  const aliasEntry = entryOf(body, 'aliases');
  if (aliasEntry) {
    if (aliasEntry.value.kind !== 'map') problems.error('invalid_correlation', "'aliases' must map alias names to {rule: field} maps", aliasEntry.value.location);
    else {
      for (const alias of aliasEntry.value.entries) {
        if (alias.value.kind !== 'map') {
          problems.error('invalid_correlation', `alias '${alias.key}' must map rule ids or names to fields`, alias.value.location);
          continue;
        }
        const fields = new Map<string, string>();
        for (const ruleField of alias.value.entries) {
          const field = scalarText(ruleField.value);
          if (field === undefined) problems.error('invalid_correlation', `alias '${alias.key}' for rule '${ruleField.key}' must name a field`, ruleField.value.location);
          else fields.set(ruleField.key, field);
        }
        aliases.set(alias.key, fields);
      }
    }
  }

  const generateEntry = entryOf(body, 'generate') ?? entryOf(map, 'generate');
  let generate = false;
  if (generateEntry) {
    if (generateEntry.value.kind === 'scalar' && typeof generateEntry.value.value === 'boolean') generate = generateEntry.value.value;
    else problems.error('invalid_correlation', "'generate' must be true or false", generateEntry.value.location);
  }
  if (!type || !rules || rules.length === 0 || !groupBy || timespanMs === undefined || problems.errors > 0) return undefined;
  const correlation: SigmaCorrelation = { ...meta, kind: 'correlation', type, rules, groupBy, timespanMs, aliases, generate };
  if (condition) correlation.condition = condition;
  return correlation;
}

function scalarList(value: YamlValue): string[] | undefined {
  if (value.kind === 'scalar') return value.value === null ? undefined : [String(value.value)];
  if (value.kind === 'map') return undefined;
  const list: string[] = [];
  for (const item of value.items) {
    if (item.kind !== 'scalar' || item.value === null) return undefined;
    list.push(String(item.value));
  }
  return list;
}

const correlationOperators = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;

function parseCorrelationCondition(entry: YamlEntry, problems: DocumentProblems): CorrelationCondition | undefined {
  if (entry.value.kind !== 'map') {
    problems.error('invalid_correlation', "the correlation 'condition' must be a map such as {gte: 10}", entry.value.location);
    return undefined;
  }
  let found: CorrelationCondition | undefined;
  let field: string | undefined;
  for (const part of entry.value.entries) {
    if (part.key === 'field') {
      field = scalarText(part.value);
      if (field === undefined) problems.error('invalid_correlation', "'field' must name one field", part.value.location);
      continue;
    }
    const operator = correlationOperators.find((candidate) => candidate === part.key);
    if (!operator) {
      problems.error('invalid_correlation', `unknown condition operator '${part.key}' (gt, gte, lt, lte, eq, field)`, part.keyLocation);
      continue;
    }
    const value = part.value.kind === 'scalar' ? part.value.value : undefined;
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
    if (number === undefined) {
      problems.error('invalid_correlation', `'${operator}' needs a number`, part.value.location);
      continue;
    }
    if (found) {
      problems.error('invalid_correlation', 'only one comparison per correlation condition is supported', part.keyLocation);
      continue;
    }
    found = { operator, value: number };
  }
  if (!found) {
    if (problems.errors === 0) problems.error('invalid_correlation', 'the correlation condition needs one of gt, gte, lt, lte, eq', entry.value.location);
    return undefined;
  }
  if (field !== undefined) found.field = field;
  return found;
}

// ---- filters ----

function parseFilter(meta: SigmaMeta, map: YamlMapValue, problems: DocumentProblems): SigmaFilter | undefined {
  const entry = entryOf(map, 'filter') as YamlEntry;
  const logsource = parseLogsource(map, meta.location, problems);
  if (entry.value.kind !== 'map') {
    problems.error('invalid_filter', "'filter' must be a map with 'rules', searches and a 'condition'", entry.value.location);
    return undefined;
  }
  const rulesEntry = entryOf(entry.value, 'rules');
  const rules = rulesEntry ? scalarList(rulesEntry.value) : undefined;
  if (!rulesEntry) problems.error('missing_field', "the filter has no 'rules'", entry.keyLocation);
  else if (!rules || rules.length === 0) problems.error('invalid_filter', "'rules' must list rule ids or names", rulesEntry.value.location);
  const body = parseDetectionBody(entry.value, entry.keyLocation, problems, ['rules']);
  if (!logsource || !body || !rules || rules.length === 0) return undefined;
  return { file: meta.file, location: meta.location, id: meta.id, title: meta.title, rules, logsource, searches: body.searches, condition: body.condition };
}
