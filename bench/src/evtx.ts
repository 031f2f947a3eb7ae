// EVTX benchmark: parse throughput (MB/s, records/s) of @vigil/evtx against evtxexport (libevtx) and evtx_dump.py
// (python-evtx) on every EVTX file of the corpus, in the same run. Reads the corpus only; writes results and docs.

import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { readEvtxFile, renderXml } from '@vigil/evtx';
import { summariseCpuProfile } from './internal/cpu-profile.js';
import { updateBenchmarkDocs } from './internal/docs-section.js';
import { evtxCorpus, timeStartup, timeTool, type EvtxCorpus, type ToolRun } from './internal/evtx-corpus.js';
import { HAYABUSA_EVENTS_PER_S, timeEvtxScan } from './internal/evtx-scan.js';
import { parseOptions } from './internal/options.js';
import { formatInt, machineInfo, markdownTable, round, textTable } from './internal/report.js';

const options = parseOptions(
  {
    runs: { description: 'measured passes of our parser over the corpus (the median is reported); one warm-up pass comes first', default: 3 },
    python: { description: 'also time evtx_dump.py (python-evtx, ~80 s for the corpus)', default: true },
    'update-docs': { description: 'write the measured tables into docs/benchmarks.md (section "## EVTX")', default: false },
    profile: { description: 'profile one pass of our parser in-process and print its top costs', default: false },
  },
  process.argv.slice(2),
);
if (options.runs < 1) throw new Error('--runs must be at least 1');

const TARGET_RATIO_VS_EVTXEXPORT = 2;
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const resultsDir = join(repoRoot, 'bench', 'results');
const log = (line: string) => process.stderr.write(line + '\n');

interface ParseRun {
  seconds: number;
  records: number;
  recovered: number;
  problems: number;
}

/** One pass of our parser over every file; with `xml`, each event is also serialised (as the reference tools do). */
async function parsePass(corpus: EvtxCorpus, xml: boolean): Promise<ParseRun> {
  let records = 0;
  let recovered = 0;
  let problems = 0;
  let characters = 0;
  const started = performance.now();
  for (const file of corpus.files) {
    const it = readEvtxFile(file);
    for (;;) {
      const next = await it.next();
      if (next.done) {
        problems += next.value.problems.length;
        break;
      }
      records++;
      if (next.value.recovered) recovered++;
      if (xml) characters += renderXml(next.value.event).length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (xml && characters === 0) throw new Error('no XML rendered');
  return { seconds, records, recovered, problems };
}

function median(runs: ParseRun[]): ParseRun {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function profilePass(corpus: EvtxCorpus): Promise<void> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((res, rej) => session.post(method, params ?? {}, (error, result) => (error ? rej(error) : res(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  await parsePass(corpus, false);
  const { profile } = await post<{ profile: unknown }>('Profiler.stop');
  session.disconnect();
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'evtx-parse.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));
  const summary = summariseCpuProfile(file, 15);
  log(`profile ${relative(process.cwd(), file)} (${summary.totalMs} ms sampled)`);
  log(textTable(['function', 'self ms', '%'], summary.functions.map((f) => [f.name, String(f.selfMs), String(f.percent)])));
}

interface Row {
  parser: string;
  seconds: number;
  records: number;
  mbPerS: number;
  recordsPerS: number;
  note: string;
}

function row(parser: string, corpus: EvtxCorpus, seconds: number, records: number, note: string): Row {
  return { parser, seconds, records, mbPerS: corpus.bytes / 1e6 / seconds, recordsPerS: records / seconds, note };
}

async function main(): Promise<void> {
  const corpus = evtxCorpus();
  const machine = machineInfo();
  log(`evtx benchmark: ${corpus.files.length} files, ${round(corpus.bytes / 1e6, 1)} MB under ${corpus.root}; ${machine.cores} × ${machine.cpu_model}`);

  // ---- our parser: a warm-up pass, then the measured passes (records as trees; then also serialised to XML) ----
  await parsePass(corpus, false);
  const treeRuns: ParseRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    treeRuns.push(await parsePass(corpus, false));
    log(`vigil   pass ${i + 1}: ${treeRuns[i]!.seconds.toFixed(2)} s`);
  }
  const xmlRuns: ParseRun[] = [];
  for (let i = 0; i < options.runs; i++) xmlRuns.push(await parsePass(corpus, true));
  const tree = median(treeRuns);
  const xml = median(xmlRuns);
  if (options.profile) await profilePass(corpus);

  // ---- reference parsers, same files, same run; their process start is measured and taken out as well ----
  const evtxexport = await timeTool('evtxexport', ['-f', 'xml'], corpus.files, corpus.root);
  const evtxexportStart = await timeStartup('evtxexport', ['-V']);
  const evtxexportNet = Math.max(0.001, evtxexport.seconds - evtxexportStart * corpus.files.length);
  log(`evtxexport: ${evtxexport.seconds.toFixed(2)} s (${evtxexportNet.toFixed(2)} s without ${corpus.files.length} process starts of ${(evtxexportStart * 1000).toFixed(1)} ms), ${formatInt(evtxexport.records)} records, ${evtxexport.failedFiles.length} files failed`);
  let python: ToolRun | undefined;
  let pythonNet = Number.NaN;
  let pythonStart = Number.NaN;
  if (options.python) {
    python = await timeTool('evtx_dump.py', [], corpus.files, corpus.root);
    pythonStart = await timeStartup('evtx_dump.py', ['--help'], 7);
    pythonNet = Math.max(0.001, python.seconds - pythonStart * corpus.files.length);
    log(`evtx_dump.py: ${python.seconds.toFixed(2)} s (${pythonNet.toFixed(2)} s without process starts of ${(pythonStart * 1000).toFixed(0)} ms), ${formatInt(python.records)} records, ${python.failedFiles.length} files stopped early`);
  }

  // ---- scan phase: `vigil evtx scan` over the same files with all SigmaHQ Windows rules ----
  // A fresh CLI process per run, as a user runs it; events/s is over the scan's reading and evaluation (rule loading apart).
  const scan = await timeEvtxScan(corpus.files, options.runs, log);
  const scanEventsPerS = scan.median.events / scan.median.scanSeconds;
  const scanWallEventsPerS = scan.median.events / scan.median.wallSeconds;

  // The headline reference figures leave the tools' process starts out (the conservative comparison for us).
  const rows: Row[] = [
    row('@vigil/evtx (records as trees)', corpus, tree.seconds, tree.records, `in-process, median of ${options.runs}`),
    row('@vigil/evtx (trees + XML text)', corpus, xml.seconds, xml.records, `in-process, median of ${options.runs}`),
    row('evtxexport -f xml (libevtx 20181227)', corpus, evtxexportNet, evtxexport.records, `process starts taken out; ${evtxexport.failedFiles.length} files fail`),
    row('evtxexport, as run per file', corpus, evtxexport.seconds, evtxexport.records, `${(evtxexportStart * 1000).toFixed(1)} ms start per file included`),
  ];
  if (python) {
    rows.push(row('evtx_dump.py (python-evtx 0.6.1)', corpus, pythonNet, python.records, `process starts taken out; stops early on ${python.failedFiles.length} files`));
    rows.push(row('evtx_dump.py, as run per file', corpus, python.seconds, python.records, `${(pythonStart * 1000).toFixed(0)} ms start per file included`));
  }
  rows.push(row(`vigil evtx scan, ${formatInt(scan.median.rules)} SigmaHQ Windows rules`, corpus, scan.median.scanSeconds, scan.median.events, `read + map + Sigma; rules loaded apart in ${scan.median.ruleSeconds.toFixed(1)} s; median of ${options.runs}`));
  rows.push(row('vigil evtx scan, whole command', corpus, scan.median.wallSeconds, scan.median.events, 'process start and rule loading included'));
  const ratio = rows[0]!.mbPerS / rows[2]!.mbPerS;
  const xmlRatio = rows[1]!.mbPerS / rows[2]!.mbPerS;

  const header = ['parser', 'seconds', 'records', 'MB/s', 'records/s', 'note'];
  const text = rows.map((r) => [r.parser, r.seconds.toFixed(2), formatInt(r.records), r.mbPerS.toFixed(1), formatInt(r.recordsPerS), r.note]);
  process.stdout.write(`${textTable(header, text)}\n\n@vigil/evtx / evtxexport: ${ratio.toFixed(1)}x (trees), ${xmlRatio.toFixed(1)}x (with XML text); target ${TARGET_RATIO_VS_EVTXEXPORT}x\n`);

  const result: Record<string, unknown> = {
    benchmark: 'evtx',
    date: new Date().toISOString(),
    files: corpus.files.length,
    bytes: corpus.bytes,
    parse_mb_per_s: round(rows[0]!.mbPerS, 1),
    parse_records_per_s: Math.round(rows[0]!.recordsPerS),
    parse_xml_mb_per_s: round(rows[1]!.mbPerS, 1),
    parse_xml_records_per_s: Math.round(rows[1]!.recordsPerS),
    evtxexport_mb_per_s: round(rows[2]!.mbPerS, 1),
    evtxexport_records_per_s: Math.round(rows[2]!.recordsPerS),
    evtxexport_with_starts_mb_per_s: round(rows[3]!.mbPerS, 1),
    evtxexport_start_ms: round(evtxexportStart * 1000, 2),
    python_evtx_mb_per_s: python ? round(rows[4]!.mbPerS, 2) : null,
    python_evtx_records_per_s: python ? Math.round(rows[4]!.recordsPerS) : null,
    python_evtx_with_starts_mb_per_s: python ? round(rows[5]!.mbPerS, 2) : null,
    python_evtx_start_ms: python ? round(pythonStart * 1000, 1) : null,
    ratio_vs_evtxexport: round(ratio, 2),
    ratio_xml_vs_evtxexport: round(xmlRatio, 2),
    scan_events_per_s: Math.round(scanEventsPerS),
    scan_wall_events_per_s: Math.round(scanWallEventsPerS),
    scan_rule_load_seconds: round(scan.median.ruleSeconds, 2),
    scan_seconds: round(scan.median.scanSeconds, 3),
    scan_wall_seconds: round(scan.median.wallSeconds, 3),
    scan_rules: scan.median.rules,
    scan_events: scan.median.events,
    scan_detections: scan.median.detections,
    scan_events_with_hits: scan.median.eventsWithHits,
    scan_anchor_hayabusa_events_per_s: HAYABUSA_EVENTS_PER_S,
    scan_ratio_vs_hayabusa: round(scanEventsPerS / HAYABUSA_EVENTS_PER_S, 2),
    target_ratio_vs_evtxexport: TARGET_RATIO_VS_EVTXEXPORT,
    meets_target: ratio >= TARGET_RATIO_VS_EVTXEXPORT,
    records: tree.records,
    recovered_records: tree.recovered,
    problems: tree.problems,
    evtxexport_records: evtxexport.records,
    evtxexport_failed_files: evtxexport.failedFiles.length,
    python_evtx_records: python?.records ?? null,
    python_evtx_failed_files: python?.failedFiles.length ?? null,
    runs: options.runs,
    seconds: { vigil_tree: treeRuns.map((r) => round(r.seconds, 3)), vigil_xml: xmlRuns.map((r) => round(r.seconds, 3)), evtxexport: round(evtxexport.seconds, 3), python_evtx: python ? round(python.seconds, 3) : null, scan: scan.runs.map((r) => round(r.scanSeconds, 3)), scan_rules: scan.runs.map((r) => round(r.ruleSeconds, 3)) },
    machine,
  };
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, 'evtx.json');
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  log(`results ${relative(process.cwd(), out)}`);

  if (options['update-docs']) {
    const flags = process.argv.slice(2).filter((a) => a !== '--update-docs');
    const lines = [
      '## EVTX',
      '',
      `What is measured: wall time to read every EVTX file of the corpus (${corpus.files.length} files, ${round(corpus.bytes / 1e6, 1)} MB: \`hayabusa-sample-evtx/\`, \`parser-edge-cases/\`),`,
      'one file after another. `@vigil/evtx` runs in the benchmark process: one warm-up pass, then the median of the measured passes,',
      'each record rendered to its XML tree (what `readEvtxFile` yields), and again with every tree also serialised to XML text with',
      '`renderXml` (closer to what the reference tools print). The reference tools run in the same run as one process per file',
      '(`evtxexport -f xml <file>`, `evtx_dump.py <file>`), their output piped to the benchmark and only scanned for `<Event `;',
      'their process start (the median of repeated starts with `-V` / `--help`, times the number of files) is taken out for the headline',
      'rows and kept in the "as run per file" rows. MB/s is corpus bytes over wall seconds for every parser,',
      `so a tool that gives up on a file early looks faster than it is (evtxexport fails on ${evtxexport.failedFiles.length} files, python-evtx stops early on ${python?.failedFiles.length ?? 'n/a'}).`,
      '',
      `Target: at least ${TARGET_RATIO_VS_EVTXEXPORT}x evtxexport. This run: ${ratio.toFixed(1)}x with trees, ${xmlRatio.toFixed(1)}x with XML text (${ratio >= TARGET_RATIO_VS_EVTXEXPORT ? 'met' : 'not met'}).`,
      '',
      '```',
      `npx tsc -b packages/evtx bench && npm run bench -- evtx${flags.length ? ' ' + flags.join(' ') : ''}`,
      '```',
      '',
      `Machine: ${machine.cores} cores (\`nproc\`), ${machine.cpu_model}, ${machine.memory_gib} GiB RAM, Linux ${machine.kernel}, Node ${machine.node}. Date: ${String(result.date).slice(0, 10)}.`,
      '',
      markdownTable(header, text),
      '',
      `Records: @vigil/evtx ${formatInt(tree.records)} (${formatInt(tree.recovered)} recovered from damaged regions, ${formatInt(tree.problems)} problems reported),`,
      `evtxexport ${formatInt(evtxexport.records)}${python ? `, python-evtx ${formatInt(python.records)}` : ''}. Record-by-record agreement is checked by \`packages/evtx/src/reference.test.ts\`, not here.`,
      '',
      'Where the parse time goes (`--profile`, one pass sampled in-process): about 40% of the wall time is waiting for file',
      'reads (327 files, most of them 1 MiB with one or two used chunks), 8% garbage collection, the rest spread over template',
      'instantiation, element building and value rendering. What made it fast (warm passes over the corpus, same loop):',
      'templates compiled once per chunk into trees with substitution slots and only instantiated per record; names cached',
      'per chunk by offset; UTF-16 decoded natively (`ucs2Slice`), short names with `String.fromCharCode`; ISO timestamps',
      'from a per-second cached prefix; no closures in the token loops; nested XML values handed out without a copy on first',
      'use. The first complete version ran at ~240 MB/s warm; reading 1 MiB blocks ahead in two buffers (instead of awaiting',
      'each 64 KiB chunk) and the timestamp cache brought it to ~285 MB/s. Serialising to XML text (`renderXml`) costs about',
      'as much again as parsing.',
      '',
      `Scan: \`vigil evtx scan\` over the same files with ${formatInt(scan.median.rules)} SigmaHQ Windows rules (\`rules/windows\`, \`rules-threat-hunting/windows\` and the Windows`,
      'folders of `rules-emerging-threats`), a fresh CLI process per run as a user runs it, one core (the scan is single-threaded).',
      `${formatInt(Math.round(scanEventsPerS))} events/s over reading, mapping and evaluating (${formatInt(scan.median.events)} events in ${scan.median.scanSeconds.toFixed(2)} s, median of ${options.runs});`,
      `loading and compiling the rules takes ${scan.median.ruleSeconds.toFixed(1)} s more, so the whole command runs at ${formatInt(Math.round(scanWallEventsPerS))} events/s on this small corpus.`,
      `Anchor: Hayabusa publishes about ${formatInt(HAYABUSA_EVENTS_PER_S)} events/s on 4 cores (ratio ${(scanEventsPerS / HAYABUSA_EVENTS_PER_S).toFixed(2)}; not run here, different rules and machine).`,
      `${formatInt(scan.median.detections)} detections on ${formatInt(scan.median.eventsWithHits)} events. The passes took ${scan.runs.map((r) => r.scanSeconds.toFixed(2)).join(', ')} s (events) and`,
      `${scan.runs.map((r) => r.ruleSeconds.toFixed(1)).join(', ')} s (rules): on this shared 2-core machine other work moves these figures by up to 2x between runs.`,
      '',
    ];
    const file = updateBenchmarkDocs(repoRoot, 'EVTX', lines.join('\n'));
    log(`docs    ${relative(process.cwd(), file)} updated`);
  }
  if (ratio < TARGET_RATIO_VS_EVTXEXPORT) log(`note: ${ratio.toFixed(1)}x evtxexport is below the ${TARGET_RATIO_VS_EVTXEXPORT}x target`);
}

main().catch((error: unknown) => {
  log(`evtx benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
