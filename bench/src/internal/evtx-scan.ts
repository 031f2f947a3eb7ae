// The scan phase of the EVTX benchmark: `vigil evtx scan` as a user runs it (a fresh CLI process per run) over the corpus
// files with the SigmaHQ Windows rules; reads its JSON report. Loopback-free, read-only on the corpus; the child writes to a pipe.

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath, repoRoot } from '@vigil/common';

/** The anchor the issue names: Hayabusa's published throughput with its Sigma rules on 4 cores. */
export const HAYABUSA_EVENTS_PER_S = 17_000;

export interface ScanRun {
  /** Wall seconds of the child process (start, rule loading, reading and evaluating, report). */
  wallSeconds: number;
  /** The scan's own figures: rules loaded and compiled, then events read, mapped and evaluated. */
  ruleSeconds: number;
  scanSeconds: number;
  events: number;
  records: number;
  detections: number;
  eventsWithHits: number;
  rules: number;
}

/** Rule folders of SigmaHQ's Windows rules in the corpus: rules/windows, rules-threat-hunting/windows, and every windows folder of the emerging threats. */
export function sigmaWindowsRuleDirs(): string[] {
  const dirs = [corpusPath('sigma', 'rules', 'windows'), corpusPath('sigma', 'rules-threat-hunting', 'windows')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (!statSync(path).isDirectory()) continue;
      if (name === 'windows' || name === 'Windows') dirs.push(path);
      else walk(path);
    }
  };
  walk(corpusPath('sigma', 'rules-emerging-threats'));
  return dirs;
}

/** One `vigil evtx scan <files> --json` run; rejects when the command fails (exit code 2 or a crash). */
export function runEvtxScan(files: readonly string[], ruleDirs: readonly string[]): Promise<ScanRun> {
  const args = [join(repoRoot(), 'apps', 'cli', 'bin', 'vigil.js'), 'evtx', 'scan', ...files, '--no-builtin-rules', ...ruleDirs.flatMap((dir) => ['--rules', dir]), '--json', '--quiet'];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallSeconds = (performance.now() - started) / 1000;
      if (code !== 0 && code !== 1) return reject(new Error(`vigil evtx scan exited with ${code}: ${stderr.slice(-2000)}`));
      const report = JSON.parse(stdout) as { ruleSeconds: number; scanSeconds: number; events: number; records: number; detections: number; eventsWithHits: number; rules: { loaded: number } };
      resolve({
        wallSeconds,
        ruleSeconds: report.ruleSeconds,
        scanSeconds: report.scanSeconds,
        events: report.events,
        records: report.records,
        detections: report.detections,
        eventsWithHits: report.eventsWithHits,
        rules: report.rules.loaded,
      });
    });
  });
}

/** `runs` scans one after another; the median by scan seconds. */
export async function timeEvtxScan(files: readonly string[], runs: number, log: (line: string) => void): Promise<{ median: ScanRun; runs: ScanRun[] }> {
  const ruleDirs = sigmaWindowsRuleDirs();
  const all: ScanRun[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await runEvtxScan(files, ruleDirs);
    all.push(run);
    log(`scan    pass ${i + 1}: ${run.events} events in ${run.scanSeconds.toFixed(2)} s after ${run.ruleSeconds.toFixed(2)} s of rule loading (${run.rules} rules), ${run.wallSeconds.toFixed(2)} s wall, ${run.detections} detections`);
  }
  const median = [...all].sort((a, b) => a.scanSeconds - b.scanSeconds)[Math.floor(all.length / 2)]!;
  return { median, runs: all };
}
