// `vigil evtx scan` over the corpus's hayabusa-sample-evtx with the SigmaHQ rules (rules, emerging threats, threat
// hunting): the summary (files, records, events, events with hits, detections per level, per rule and per computer) must
// equal the checked-in golden file exactly. Regenerate it only on purpose, after checking the difference:
//   VIGIL_UPDATE_GOLDEN=1 node --test tests/dist/evtx-scan.test.js
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { corpusPath, repoRoot } from '@vigil/common';

const golden = join(repoRoot(), 'tests', 'src', 'testdata', 'evtx-scan-hayabusa.golden.json');
const work = mkdtempSync(join(tmpdir(), 'vigil-evtx-scan-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot(), 'apps/cli/bin/vigil.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Report {
  files: number;
  filesFailed: number;
  records: number;
  recovered: number;
  readProblems: number;
  events: number;
  eventsWithHits: number;
  detections: number;
  detectionsByLevel: Record<string, number>;
  byRule: { id: string; title: string; level: string; count: number }[];
  byComputer: { computer: string; events: number; detections: number }[];
  rules: Record<string, number>;
  fileProblems: { file: string; failed: boolean; problems: number }[];
}

test('evtx scan of hayabusa-sample-evtx with the SigmaHQ rules gives the checked-in summary', async () => {
  const evtxDir = corpusPath('evtx', 'hayabusa-sample-evtx');
  const timeline = join(work, 'timeline.jsonl');
  const rules = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'].flatMap((folder) => ['--rules', corpusPath('sigma', folder)]);
  const run = await cli(['evtx', 'scan', evtxDir, '--no-builtin-rules', ...rules, '--json', '--quiet', '--timeline', timeline]);
  assert.equal(run.code, 1, `exit 1 means detections: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as Report;

  // Internal consistency, whatever the numbers are.
  assert.equal(Object.values(report.detectionsByLevel).reduce((a, b) => a + b, 0), report.detections);
  assert.equal(report.byRule.reduce((sum, rule) => sum + rule.count, 0), report.detections);
  assert.equal(report.byComputer.reduce((sum, c) => sum + c.events, 0), report.events);
  assert.ok(report.eventsWithHits > 0 && report.eventsWithHits <= report.events);
  const rows = readFileSync(timeline, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { time: string; rule_id: string });
  assert.equal(rows.length, report.detections, 'one timeline row per detection');
  assert.ok(rows.every((row, i) => i === 0 || Date.parse(rows[i - 1]!.time) <= Date.parse(row.time)), 'the timeline is sorted by time');

  const summary = {
    corpus: 'evtx/hayabusa-sample-evtx',
    rules: 'sigma/rules + sigma/rules-emerging-threats + sigma/rules-threat-hunting',
    files: report.files,
    filesFailed: report.filesFailed,
    records: report.records,
    recovered: report.recovered,
    readProblems: report.readProblems,
    events: report.events,
    eventsWithHits: report.eventsWithHits,
    detections: report.detections,
    detectionsByLevel: report.detectionsByLevel,
    rulesLoaded: report.rules,
    byRule: report.byRule.map((rule) => `${rule.count} ${rule.level} ${rule.id} ${rule.title}`),
    byComputer: report.byComputer.map((c) => `${c.computer} events=${c.events} detections=${c.detections}`),
    fileProblems: report.fileProblems.map((p) => `${relative(evtxDir, p.file)} failed=${p.failed} problems=${p.problems}`),
  };
  const text = JSON.stringify(summary, null, 2) + '\n';
  if (process.env.VIGIL_UPDATE_GOLDEN === '1') writeFileSync(golden, text);
  assert.ok(existsSync(golden), `${golden} is missing; run with VIGIL_UPDATE_GOLDEN=1 after checking the scan by hand`);
  assert.deepEqual(summary, JSON.parse(readFileSync(golden, 'utf8')));
});
