// `vigil evtx scan` on small written inputs (rendered XML and evtx_dump JSON): detections and the timeline, --min-level,
// correlations across files given in any order, raw-field rules on events kept as log records, the summary tables,
// rule pack selection, bad files reported without stopping the scan, and CSV quoting.
// The corpus run with the SigmaHQ rules is tests/src/evtx-scan.test.ts.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, VigilError } from '@vigil/common';
import { collectInputs, csvField, formatScanReport, scanEvtx, scanRuleSources, type ScanInput } from './evtx-command.js';

const work = mkdtempSync(join(tmpdir(), 'vigil-evtx-cmd-'));
after(() => rmSync(work, { recursive: true, force: true }));
const recorded = (name: string) => readFileSync(join(repoRoot(), 'packages', 'sources', 'src', 'windows-eventlog', 'testdata', name), 'utf8').trim();

/** The recorded 4771 (Kerberos pre-authentication failed for jdoe) at another time and record id. */
const preauth = (time: string, recordId: number) =>
  recorded('security-4771.xml').replace(/SystemTime='[^']*'/, `SystemTime='${time}'`).replace(/<EventRecordID>\d+</, `<EventRecordID>${recordId}<`);

function file(name: string, text: string): ScanInput {
  const path = join(work, name);
  writeFileSync(path, text);
  return collectInputs([path])[0]!;
}

const rule = (id: string, title: string, level: string, body: string, name?: string) =>
  `title: ${title}\nid: ${id}\n${name ? `name: ${name}\n` : ''}status: test\n${body}\nlevel: ${level}\n`;

const certutilRule = rule(
  '0b3c2a8e-0000-4000-8000-000000000001',
  'Certutil download',
  'high',
  'logsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: \\certutil.exe\n    CommandLine|contains: urlcache\n  condition: selection',
);
const preauthRule = rule(
  '0b3c2a8e-0000-4000-8000-000000000002',
  'Kerberos pre-authentication failed',
  'low',
  "logsource:\n  product: windows\n  service: security\ndetection:\n  selection:\n    EventID: 4771\n    Status: '0x18'\n  condition: selection",
  'kerberos_preauth_failed',
);
const sprayCorrelation = rule(
  '0b3c2a8e-0000-4000-8000-000000000003',
  'Repeated Kerberos pre-authentication failures for one account',
  'high',
  'correlation:\n  type: event_count\n  rules:\n    - kerberos_preauth_failed\n  group-by:\n    - TargetUserName\n  timespan: 1h\n  condition:\n    gte: 3',
);

test('detections of written XML and JSON inputs, with the timeline in CSV and JSON lines', async () => {
  const sysmon = file('sysmon.xml', `<?xml version="1.0"?>\n<Events>\n${recorded('sysmon-1.xml')}\n${recorded('sysmon-3.xml')}\n</Events>\n`);
  const security = file('security.xml', preauth('2026-11-03T10:30:44.9000000Z', 1));
  const json = file(
    'dump.json',
    JSON.stringify({ Event: { System: { Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing' } }, EventID: 4771, Channel: 'Security', Computer: 'DC02', TimeCreated: { '#attributes': { SystemTime: '2026-11-03T10:31:00Z' } }, EventRecordID: 9 }, EventData: { TargetUserName: 'eve', Status: '0x18' } } }),
  );
  const csv = join(work, 'timeline.csv');
  const { report, timeline } = await scanEvtx({ inputs: [sysmon, security, json], rules: [{ file: 'a.yml', text: certutilRule }, { file: 'b.yml', text: preauthRule }], timeline: csv });
  assert.equal(report.files, 3);
  assert.equal(report.records, 4);
  assert.equal(report.events, 4);
  assert.equal(report.detections, 3);
  assert.equal(report.eventsWithHits, 3);
  assert.deepEqual(report.detectionsByLevel, { informational: 0, low: 2, medium: 0, high: 1, critical: 0 });
  assert.deepEqual(report.byRule.map((r) => [r.title, r.count]), [['Kerberos pre-authentication failed', 2], ['Certutil download', 1]]);
  assert.deepEqual(report.byComputer.map((c) => [c.computer, c.events, c.detections]), [['WKS-0042.vigil-lab.example', 2, 1], ['DC01.vigil-lab.example', 1, 1], ['DC02', 1, 1]]);
  assert.deepEqual(timeline.map((row) => [row.time, row.computer, row.channel, row.event_id, row.record_id, row.level]), [
    ['2026-11-03T09:14:22.529Z', 'WKS-0042.vigil-lab.example', 'Microsoft-Windows-Sysmon/Operational', 1, 88101, 'high'],
    ['2026-11-03T10:30:44.9000000Z', 'DC01.vigil-lab.example', 'Security', 4771, 1, 'low'],
    ['2026-11-03T10:31:00Z', 'DC02', 'Security', 4771, 9, 'low'],
  ]);
  assert.match(timeline[0]!.details, /Image=C:\\Windows\\System32\\certutil\.exe/);
  assert.equal(timeline[0]!.file, sysmon.path);
  const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'time,computer,channel,event_id,record_id,rule_title,level,rule_id,kind,file,details');
  assert.equal(lines.length, 4);
  assert.match(lines[1]!, /^2026-11-03T09:14:22\.529Z,WKS-0042\.vigil-lab\.example,Microsoft-Windows-Sysmon\/Operational,1,88101,Certutil download,high,0b3c2a8e-0000-4000-8000-000000000001,sigma,/);

  const jsonl = join(work, 'timeline.jsonl');
  const high = await scanEvtx({ inputs: [sysmon, security, json], rules: [{ file: 'a.yml', text: certutilRule }, { file: 'b.yml', text: preauthRule }], minLevel: 'high', timeline: jsonl });
  assert.equal(high.report.detections, 1, '--min-level high leaves out the low rule');
  assert.deepEqual(readFileSync(jsonl, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { rule_title: string }).rule_title), ['Certutil download']);
});

test('a correlation counts matches from every file in event-time order, whatever the order the files are given in', async () => {
  const rules = [
    { file: 'base.yml', text: preauthRule },
    { file: 'spray.yml', text: sprayCorrelation },
  ];
  // Three failures within the hour, spread over two files; the later file is named first.
  const late = file('late.xml', `${preauth('2026-11-03T10:40:00Z', 3)}\n${preauth('2026-11-03T10:45:00Z', 4)}`);
  const early = file('early.xml', preauth('2026-11-03T10:00:00Z', 2));
  const { report, timeline } = await scanEvtx({ inputs: [late, early], rules, minLevel: 'medium' });
  assert.equal(report.rules.correlations, 1);
  assert.deepEqual(report.byRule.map((r) => [r.title, r.count]), [['Repeated Kerberos pre-authentication failures for one account', 1]], 'the base rule (generate: false, low) reports nothing itself');
  assert.equal(timeline[0]!.kind, 'correlation');
  assert.equal(timeline[0]!.time, '2026-11-03T10:45:00.000Z');
  assert.equal(timeline[0]!.computer, 'DC01.vigil-lab.example');
  assert.match(timeline[0]!.details, /^3 events ¦ TargetUserName=jdoe/);
  // Only two within the window: no correlation.
  const two = await scanEvtx({ inputs: [file('two.xml', `${preauth('2026-11-03T08:00:00Z', 5)}\n${preauth('2026-11-03T10:40:00Z', 6)}`), early], rules });
  assert.equal(two.report.detections, 0);
});

test('events kept as log records (no table, or no category for the id) match Sigma rules on their raw EventData fields', async () => {
  // A Sysmon 9 (raw disk read) is written here; the other two are recorded events of a channel without a table (Task
  // Scheduler) and of a Security id kept as a log record (5145). The last event is of a channel Vigil knows nothing of.
  const rawRead = recorded('sysmon-1.xml')
    .replace(/<EventID>1<\/EventID>/, '<EventID>9</EventID>')
    .replace(/<EventData>[\s\S]*<\/EventData>/, "<EventData><Data Name='RuleName'>-</Data><Data Name='UtcTime'>2026-11-03 09:14:22.529</Data><Data Name='ProcessGuid'>{G}</Data><Data Name='ProcessId'>4242</Data><Data Name='Image'>C:\\Temp\\ninja.exe</Data><Data Name='Device'>\\Device\\HarddiskVolume2</Data><Data Name='User'>LAB\\bob</Data></EventData>");
  const bits =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Bits-Client'/><EventID>59</EventID><TimeCreated SystemTime='2026-11-03T11:00:00.0000000Z'/><EventRecordID>31</EventRecordID><Channel>Microsoft-Windows-Bits-Client/Operational</Channel><Computer>WKS-0042.vigil-lab.example</Computer></System><EventData><Data Name='transferId'>{T}</Data><Data Name='name'>job</Data><Data Name='url'>http://203.0.113.9/payload.exe</Data></EventData></Event>";
  const input = file('kept-as-log.xml', [recorded('taskscheduler-106.xml'), recorded('security-5145.xml'), rawRead, bits].join('\n'));
  const rules = [
    rule('0b3c2a8e-0000-4000-8000-000000000011', 'Task ran', 'low', "logsource:\n  product: windows\n  service: taskscheduler\ndetection:\n  selection:\n    EventID: 106\n    TaskName: '\\Updater'\n    UserContext|endswith: '\\mlopez'\n  condition: selection"),
    rule('0b3c2a8e-0000-4000-8000-000000000012', 'PsExec service binary written to ADMIN$', 'high', "logsource:\n  product: windows\n  service: security\ndetection:\n  selection:\n    EventID: 5145\n    ShareName: '\\\\*\\ADMIN$'\n    RelativeTargetName|endswith: 'PSEXESVC.exe'\n  condition: selection"),
    rule('0b3c2a8e-0000-4000-8000-000000000013', 'Raw disk read', 'medium', "logsource:\n  product: windows\n  category: raw_access_thread\ndetection:\n  selection:\n    Device|contains: HarddiskVolume\n    Image|endswith: '\\ninja.exe'\n  condition: selection"),
    rule('0b3c2a8e-0000-4000-8000-000000000014', 'BITS download from an address', 'medium', "logsource:\n  product: windows\ndetection:\n  selection:\n    Provider_Name: Microsoft-Windows-Bits-Client\n    EventID: 59\n    url|re: '^https?://\\d+\\.\\d+\\.\\d+\\.\\d+/'\n  condition: selection"),
    // the same raw field with another value must not match
    rule('0b3c2a8e-0000-4000-8000-000000000015', 'Other task ran', 'low', "logsource:\n  product: windows\n  service: taskscheduler\ndetection:\n  selection:\n    TaskName: '\\Other'\n  condition: selection"),
  ].map((text, i) => ({ file: `r${i}.yml`, text }));
  const { report, timeline } = await scanEvtx({ inputs: [input], rules });
  assert.equal(report.rules.errors, 0, report.ruleErrors.join('\n'));
  assert.equal(report.events, 4);
  assert.deepEqual(
    timeline.map((row) => [row.rule_title, row.channel, row.event_id]),
    [
      ['Raw disk read', 'Microsoft-Windows-Sysmon/Operational', 9],
      ['Task ran', 'Microsoft-Windows-TaskScheduler/Operational', 106],
      ['PsExec service binary written to ADMIN$', 'Security', 5145],
      ['BITS download from an address', 'Microsoft-Windows-Bits-Client/Operational', 59],
    ],
  );
});

test('the summary shows detections by level, rule and computer; --rules and --no-builtin-rules choose the packs', async () => {
  const input = file('summary.xml', `${recorded('sysmon-1.xml')}\n${preauth('2026-11-03T10:30:44.9000000Z', 1)}`);
  const { report } = await scanEvtx({ inputs: [input], rules: [{ file: 'a.yml', text: certutilRule }, { file: 'b.yml', text: preauthRule }] });
  const text = formatScanReport(report);
  assert.match(text, /^level\s+detections\n-+\s+-+\ncritical\s+0\nhigh\s+1\nmedium\s+0\nlow\s+1\ninformational\s+0$/m);
  assert.match(text, /^detections\s+level\s+rule\n-+\s+-+\s+-+\n\s*1\s+high\s+Certutil download\n\s*1\s+low\s+Kerberos pre-authentication failed$/m);
  assert.match(text, /^computer\s+events\s+detections\n-+\s+-+\s+-+\n(WKS-0042\.vigil-lab\.example\s+1\s+1\nDC01\.vigil-lab\.example\s+1\s+1|DC01\.vigil-lab\.example\s+1\s+1\nWKS-0042\.vigil-lab\.example\s+1\s+1)$/m);

  const pack = join(work, 'pack');
  mkdirSync(join(pack, 'windows'), { recursive: true });
  writeFileSync(join(pack, 'windows', 'certutil.yml'), certutilRule);
  const only = scanRuleSources([pack], false);
  assert.deepEqual(only.map((s) => s.file), [`${pack}/windows/certutil.yml`], 'without the built-in packs only the named pack is loaded');
  const both = scanRuleSources([pack], true);
  assert.ok(both.length > only.length && both.some((s) => s.file.startsWith('content/rules/')), 'the shipped packs come first unless turned off');
  assert.ok(both.every((s) => !s.file.split('/').includes('tests')), "the packs' example events are not rules");
  const { report: packReport } = await scanEvtx({ inputs: [input], rules: only });
  assert.deepEqual(packReport.byRule.map((r) => r.title), ['Certutil download']);
});

test('unreadable and damaged files are reported and the scan goes on', async () => {
  const good = file('good.xml', recorded('sysmon-1.xml'));
  const notEvtx = file('garbage.evtx', 'this is not an event log'.repeat(100));
  const badJson = file('bad.json', '{"Event": {"System": ');
  const partly = file('partly.xml', `${recorded('sysmon-1.xml')}\n<Event><System><EventID>x</EventID></System></Event>\n${recorded('sysmon-3.xml').slice(0, 200)}`);
  const { report } = await scanEvtx({ inputs: [notEvtx, badJson, good, partly], rules: [{ file: 'a.yml', text: certutilRule }, { file: 'bad.yml', text: 'title: [unclosed' }] });
  assert.equal(report.files, 4);
  assert.equal(report.detections, 2, 'the good events of good.xml and partly.xml are scanned');
  assert.equal(report.rules.errors, 1);
  assert.equal(report.ruleErrors.length, 1);
  const problems = Object.fromEntries(report.fileProblems.map((p) => [p.file.slice(work.length + 1), { failed: p.failed, problems: p.problems }]));
  assert.equal(problems['bad.json']?.failed, true);
  assert.equal(problems['partly.xml']?.failed, false);
  assert.equal(problems['partly.xml']?.problems, 2, 'the event without System parts and the cut-off event');
  assert.ok(problems['garbage.evtx'], JSON.stringify(report.fileProblems));
  assert.equal(report.filesFailed, report.fileProblems.filter((p) => p.failed).length);
});

test('inputs: directories give their .evtx files sorted; unknown kinds and missing paths are refused', () => {
  const dir = join(work, 'tree');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  for (const name of ['b.evtx', 'a.EVTX', 'notes.txt', 'sub/c.evtx']) writeFileSync(join(dir, name), 'x');
  assert.deepEqual(collectInputs([dir]).map((input) => input.path.slice(dir.length + 1)), ['a.EVTX', 'b.evtx', 'sub/c.evtx']);
  assert.throws(() => collectInputs([join(dir, 'notes.txt')]), (error: unknown) => error instanceof VigilError && error.code === 'invalid_config');
  assert.throws(() => collectInputs([join(work, 'missing')]), /no such file/);
});

test('CSV fields are quoted as RFC 4180 asks, and text a spreadsheet would run as a formula is defused', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"\nbye'), '"say ""hi""\nbye"');
  assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('-'), '-', 'the Windows "no value" dash stays as it is');
  assert.equal(csvField('-cmd'), "'-cmd");
  assert.equal(csvField(null), '');
  assert.equal(csvField(4771), '4771');
});
