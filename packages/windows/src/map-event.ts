// Maps one Windows event record to one Vigil event by interpreting the channel tables in event-tables.ts.
// Never drops a raw EventData pair (winlog.event_data keeps them) and never emits a field that fails the schema.

import { VigilError } from '@vigil/common';
import { categoryByName, MAX_LIST_ITEM_LENGTH, MAX_OBJECT_KEYS, type CollectedEvent, type ResolvedCategory } from '@vigil/schema';
import { windowsChannelTables, windowsEventFallback, type ChannelTable, type EventRule, type FieldRule } from './event-tables.js';
import { coerceToField } from './internal/coerce.js';
import { converters, type ConversionContext, type RawValue } from './internal/converters.js';
import { assertWindowsEventRecord, type WindowsEventRecord } from './record.js';

/** Tag of events whose winlog.event_data had to be cut to the schema's limits (keys, key length, value length). */
export const EVENT_DATA_TRUNCATED_TAG = 'winlog.event_data_truncated';

/** Longest EventData name the schema accepts in an object field. */
const MAX_OBJECT_KEY_LENGTH = 256;

const tablesByChannel = new Map(windowsChannelTables.map((table) => [table.channel.toLowerCase(), table]));

/** WINEVENT_KEYWORD_* bits every provider shares (the low 48 bits are provider-defined and have no common name). */
const STANDARD_KEYWORDS: readonly [bigint, string][] = [
  [0x0001000000000000n, 'Response Time'],
  [0x0002000000000000n, 'WDI Context'],
  [0x0004000000000000n, 'WDI Diag'],
  [0x0008000000000000n, 'SQM'],
  [0x0010000000000000n, 'Audit Failure'],
  [0x0020000000000000n, 'Audit Success'],
  [0x0040000000000000n, 'Correlation Hint'],
  [0x0080000000000000n, 'Classic'],
];

const LEVEL_NAMES: readonly string[] = ['information', 'critical', 'error', 'warning', 'information', 'verbose'];

function keywordNames(keywords: unknown): string[] {
  if (typeof keywords !== 'string' || !/^0x[0-9a-f]{1,16}$/i.test(keywords.trim())) return [];
  const mask = BigInt(keywords.trim());
  return STANDARD_KEYWORDS.filter(([bit]) => (mask & bit) !== 0n).map(([, name]) => name);
}

/** Windows renders "no value" as an empty string or `-`; such values are never mapped (they stay in winlog.event_data). */
function isAbsent(value: RawValue | undefined): value is null | undefined {
  return value === undefined || value === null || value === '' || value === '-';
}

function dataValue(data: Readonly<Record<string, RawValue>>, name: string): RawValue | undefined {
  return Object.hasOwn(data, name) ? data[name] : undefined;
}

function categoryOf(name: string): ResolvedCategory {
  const category = categoryByName.get(name);
  if (!category) throw new VigilError('internal', `Windows event tables name category "${name}", which the schema does not define`);
  return category;
}

function ruleFor(record: WindowsEventRecord, table: ChannelTable | undefined): EventRule {
  const rule = table && Object.hasOwn(table.events, record.eventId) ? table.events[record.eventId] : undefined;
  if (!rule) return windowsEventFallback;
  if (rule.provider !== undefined && rule.provider.toLowerCase() !== record.provider.toLowerCase()) return windowsEventFallback;
  return rule;
}

function actionOf(rule: EventRule, data: Readonly<Record<string, RawValue>>): string | undefined {
  if (typeof rule.action === 'string') return rule.action;
  const value = dataValue(data, rule.action.source);
  const key = isAbsent(value) ? undefined : String(value).trim().toLowerCase();
  const chosen = key !== undefined && Object.hasOwn(rule.action.values, key) ? rule.action.values[key] : undefined;
  return chosen ?? rule.action.default;
}

/** The pairs as winlog.event_data may hold them: at most MAX_OBJECT_KEYS names of at most 256 characters, values cut to MAX_LIST_ITEM_LENGTH. */
function eventDataWithinLimits(data: Readonly<Record<string, RawValue>>): { pairs: Record<string, RawValue>; truncated: boolean } {
  const pairs: Record<string, RawValue> = {};
  let truncated = false;
  let count = 0;
  for (const key of Object.keys(data)) {
    if (key.length > MAX_OBJECT_KEY_LENGTH || count >= MAX_OBJECT_KEYS) {
      truncated = true;
      continue;
    }
    let value = data[key] as RawValue;
    if (typeof value === 'string' && value.length > MAX_LIST_ITEM_LENGTH) {
      value = value.slice(0, MAX_LIST_ITEM_LENGTH);
      truncated = true;
    }
    Object.defineProperty(pairs, key, { value, enumerable: true, writable: true, configurable: true });
    count++;
  }
  return { pairs, truncated };
}

function build(record: WindowsEventRecord, table: ChannelTable | undefined, rule: EventRule, action: string): Record<string, unknown> {
  const category = categoryOf(rule.category);
  const actionDef = category.actions.find((candidate) => candidate.name === action);
  if (!actionDef) throw new VigilError('internal', `Windows event tables use action "${action}", which category ${category.name} does not define`);
  const event: Record<string, unknown> = {};
  const put = (name: string, value: unknown): void => {
    if (value === undefined || value === null || Object.hasOwn(event, name)) return;
    const field = category.fieldByName.get(name);
    if (!field) return;
    const coerced = coerceToField(field, value);
    if (coerced !== undefined) event[name] = coerced;
  };
  const context: ConversionContext = { data: record.data, put };
  const apply = (rule: FieldRule, value: string | number | boolean): void => {
    if (typeof rule === 'string') put(rule, value);
    else if ('convert' in rule) converters[rule.convert].apply(value, rule.target, context);
    else for (const part of rule) apply(part, value);
  };

  put('event.category', category.name);
  put('event.action', action);
  put('event.type', actionDef.type);
  put('event.provider', table?.eventProvider ?? 'evtx');
  for (const [name, value] of Object.entries(rule.constants ?? {})) put(name, value);

  const specific = rule.fields ?? {};
  for (const [source, fieldRule] of Object.entries(specific)) {
    const value = dataValue(record.data, source);
    if (!isAbsent(value)) apply(fieldRule, value);
  }
  for (const [source, fieldRule] of Object.entries(table?.common ?? {})) {
    if (Object.hasOwn(specific, source)) continue;
    const value = dataValue(record.data, source);
    if (!isAbsent(value)) apply(fieldRule, value);
  }
  const actor = rule.actor ?? table?.actor ?? [];
  if (actor.includes('processId')) put('process.pid', record.processId);
  if (actor.includes('userSid')) put('user.id', record.userSid);

  const keywords = keywordNames(record.keywords);
  if (keywords.includes('Audit Failure')) put('event.outcome', 'failure');
  else if (keywords.includes('Audit Success')) put('event.outcome', 'success');

  put('@timestamp', record.timeCreated);
  if (!Object.hasOwn(event, '@timestamp')) {
    throw new VigilError('invalid_input', `record.timeCreated: expected an ISO 8601 UTC time between 1970 and 2200, got ${JSON.stringify(record.timeCreated.slice(0, 64))}`, {
      location: { path: 'record.timeCreated' },
    });
  }
  put('host.name', record.computer);
  put('winlog.channel', record.channel);
  put('winlog.provider_name', record.provider);
  put('winlog.event_id', record.eventId);
  put('winlog.record_id', record.recordId);
  put('winlog.computer_name', record.computer);
  put('winlog.task', record.task);
  put('winlog.opcode', record.opcode);
  if (keywords.length) put('winlog.keywords', keywords);
  if (typeof record.level === 'number') put('winlog.level', LEVEL_NAMES[record.level] ?? String(record.level));
  put('winlog.user.identifier', record.userSid);
  const { pairs, truncated } = eventDataWithinLimits(record.data);
  event['winlog.event_data'] = pairs;
  if (truncated) put('tags', [EVENT_DATA_TRUNCATED_TAG]);
  return event;
}

function hasRequiredFields(event: Record<string, unknown>, category: ResolvedCategory): boolean {
  return category.required.every((name) => Object.hasOwn(event, name));
}

/**
 * The Vigil event (without event.id, event.sequence, host.id, which the pipeline assigns) for a record, following the
 * table in event-tables.ts. A record whose action cannot be decided, or that lacks a field its category requires
 * (process.pid, file.path, registry.path, ...), becomes log/windows_event. Throws VigilError('invalid_input') only for
 * a record of the wrong shape or with an unusable timeCreated.
 */
export function mapWindowsEvent(record: WindowsEventRecord): CollectedEvent {
  assertWindowsEventRecord(record);
  const table = tablesByChannel.get(record.channel.toLowerCase());
  const rule = ruleFor(record, table);
  const action = actionOf(rule, record.data);
  let event: Record<string, unknown> | undefined;
  if (action !== undefined) {
    event = build(record, table, rule, action);
    if (!hasRequiredFields(event, categoryOf(rule.category))) event = undefined;
  }
  event ??= build(record, table, windowsEventFallback, windowsEventFallback.action as string);
  // The table and the schema-checked `put` give every field its schema type; the tests run checkEvent on the result.
  return event as unknown as CollectedEvent;
}
