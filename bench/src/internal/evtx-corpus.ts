// The EVTX files of the shared corpus for benchmarks (every *.evtx under corpus/evtx, sorted), and timed runs of
// reference command-line parsers over them. Read-only: never writes into the corpus; children write to pipes only.

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { corpusPath } from '@vigil/common';

export interface EvtxCorpus {
  root: string;
  files: string[];
  bytes: number;
}

/** Every EVTX file under corpusPath('evtx'), sorted by path, with their total size. Throws when the corpus is missing. */
export function evtxCorpus(): EvtxCorpus {
  const root = corpusPath('evtx');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.toLowerCase().endsWith('.evtx')) files.push(path);
    }
  };
  walk(root);
  if (files.length === 0) throw new Error(`no .evtx files under ${root}`);
  const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  return { root, files, bytes };
}

export interface ToolRun {
  /** Wall seconds of the whole series, process starts included. */
  seconds: number;
  /** Events the tool printed (occurrences of `<Event ` in its output). */
  records: number;
  /** Files it exited non-zero on (it printed what it could before that). */
  failedFiles: string[];
}

/** Counts `<Event ` in a stream of output chunks without holding the output. */
function eventCounter(): { add(chunk: Buffer): void; count(): number } {
  const needle = Buffer.from('<Event ');
  let tail: Buffer = Buffer.alloc(0);
  let count = 0;
  return {
    add(chunk: Buffer) {
      const data = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      for (let p = data.indexOf(needle); p >= 0; p = data.indexOf(needle, p + needle.length)) count++;
      tail = data.subarray(Math.max(0, data.length - (needle.length - 1)));
    },
    count: () => count,
  };
}

/**
 * Runs `command args... file` once per file, one at a time, and times the whole series (process start included, as a
 * user of the tool pays it). Output goes to a pipe that is only scanned for event starts.
 */
export async function timeTool(command: string, args: readonly string[], files: readonly string[], root: string): Promise<ToolRun> {
  let seconds = 0;
  let records = 0;
  const failedFiles: string[] = [];
  for (const file of files) {
    const counter = eventCounter();
    const started = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, [...args, file], { stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout.on('data', (chunk: Buffer) => counter.add(chunk));
      child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
      child.on('close', (exitCode) => resolve(exitCode));
    });
    seconds += (performance.now() - started) / 1000;
    records += counter.count();
    if (code !== 0) failedFiles.push(relative(root, file));
  }
  return { seconds, records, failedFiles };
}

/**
 * Median wall seconds of starting the tool and letting it exit without reading a file (`args` such as `-V` or
 * `--help`), over `runs` starts: what one process start costs, subtracted to compare parsing alone.
 */
export async function timeStartup(command: string, args: readonly string[], runs = 15): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'ignore'] });
      child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
      child.on('close', () => resolve());
    });
    samples.push((performance.now() - started) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}
