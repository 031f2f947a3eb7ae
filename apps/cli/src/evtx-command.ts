// `vigil evtx scan|import`: offline triage of Windows event logs (.evtx, evtx_dump JSON, rendered XML) with the server's
// Sigma engine, and upload of the mapped events to a server. Never stops at a bad file or record: it reports and goes on.

import { createWriteStream, readdirSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { createProgress, repoRoot, VigilError } from '@vigil/common';
import { sigmaLevels, type CompiledRule, type DetectEvent, type Detection, type FieldHit, type LoadProblem, type SigmaLevel, type SigmaMeta } from '@vigil/detect';
import { createIndexedEngine } from '@vigil/detect/engine/indexed';
import { createCorrelationEngine, type BaseRuleMatch } from '@vigil/detect/sigma/correlation-engine';
import { loadSigmaRules, readRuleSources, type RuleSource } from '@vigil/detect/sigma/index';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import { readEvtxFile, toWindowsRecord } from '@vigil/evtx';
import { createEventXmlSplitter } from '@vigil/sources';
import { mapWindowsEvent, MAX_EVENT_XML_LENGTH, parseConcatenatedJson, parseEventXml, recordFromEventElement, recordFromEvtxJson, type WindowsEventRecord } from '@vigil/windows';
import { apiRequest, type ApiTarget } from './api-client.js';
import { ruleSourcesFrom } from './rules-command.js';

// ---- inputs ----

export type InputKind = 'evtx' | 'json' | 'xml';

export interface ScanInput {
  /** The path as the user named it (or joined to the directory they named). */
  path: string;
  kind: InputKind;
  bytes: number;
}

const kindByExtension: Readonly<Record<string, InputKind>> = { '.evtx': 'evtx', '.json': 'json', '.xml': 'xml' };

/**
 * Files to read: a named file of a known kind (.evtx, .json from evtx_dump, .xml of rendered events), or every .evtx file
 * under a named directory (recursively, sorted). Unknown or missing paths are VigilErrors (`invalid_config`).
 */
export function collectInputs(paths: readonly string[]): ScanInput[] {
  const inputs: ScanInput[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && extname(entry.name).toLowerCase() === '.evtx') inputs.push({ path, kind: 'evtx', bytes: statSync(path).size });
    }
  };
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new VigilError('invalid_config', `${path}: no such file or directory`);
    }
    if (stat.isDirectory()) walk(path);
    else {
      const kind = kindByExtension[extname(path).toLowerCase()];
      if (!kind) throw new VigilError('invalid_config', `${path}: not an .evtx, .json (evtx_dump) or .xml (rendered events) file`);
      inputs.push({ path, kind, bytes: stat.size });
    }
  }
  return inputs;
}

/** One record of an input, or a problem with one. */
export type RecordItem = { record: WindowsEventRecord } | { problem: string };

export interface FileSummary {
  records: number;
  recovered: number;
  /** Problems the reader reported (damaged chunks, bad records) plus records that could not be read. */
  problems: number;
  /** First problems, for the report. */
  messages: string[];
}

/** Reads one input's records in file order; `onBytes` follows the bytes read. Throws (VigilError) only when the file cannot be read at all. */
export async function* readInputRecords(input: ScanInput, onBytes: (bytesRead: number) => void, summary: FileSummary): AsyncGenerator<RecordItem> {
  const note = (message: string) => {
    summary.problems++;
    if (summary.messages.length < 5) summary.messages.push(message);
  };
  if (input.kind === 'evtx') {
    const reader = readEvtxFile(input.path, { onProgress: (p) => onBytes(p.bytesRead) });
    for (;;) {
      const next = await reader.next();
      if (next.done) {
        summary.recovered += next.value.recovered;
        for (const problem of next.value.problems) note(`offset ${problem.fileOffset}: ${problem.message}`);
        break;
      }
      summary.records++;
      try {
        yield { record: toWindowsRecord(next.value) };
      } catch (error) {
        const message = `record ${next.value.recordId}: ${VigilError.wrap(error, 'invalid_input').message}`;
        note(message);
        yield { problem: message };
      }
    }
    onBytes(input.bytes);
    return;
  }
  const text = readFileSync(input.path, 'utf8');
  if (input.kind === 'json') {
    let values: unknown[];
    try {
      values = parseConcatenatedJson(text, input.path);
    } catch (error) {
      throw VigilError.wrap(error, 'invalid_input');
    }
    for (const [index, value] of values.entries()) {
      summary.records++;
      try {
        yield { record: recordFromEvtxJson(value, `${input.path}#${index}`) };
      } catch (error) {
        const message = VigilError.wrap(error, 'invalid_input').message;
        note(message);
        yield { problem: message };
      }
    }
  } else {
    const splitter = createEventXmlSplitter(MAX_EVENT_XML_LENGTH);
    const first = splitter.push(text);
    const last = splitter.end();
    for (let i = 0; i < first.skipped + last.skipped; i++) note('text outside any <Event> element, or an event cut off or too long');
    for (const xml of [...first.events, ...last.events]) {
      summary.records++;
      try {
        yield { record: recordFromEventElement(parseEventXml(xml, input.path)) };
      } catch (error) {
        const message = VigilError.wrap(error, 'invalid_input').message;
        note(message);
        yield { problem: message };
      }
    }
  }
  onBytes(input.bytes);
}

// ---- rules ----

/** Vigil's shipped packs: every rule file under content/rules, without the packs' test example events. */
export function builtinRuleSources(): RuleSource[] {
  const root = join(repoRoot(), 'content', 'rules');
  return readRuleSources(root)
    .map((source) => ({ file: relative(root, source.file), text: source.text }))
    .filter((source) => !source.file.split(/[\\/]/).includes('tests'));
}

/** The rule files of a scan: the shipped packs (unless `builtin` is false) and every `--rules` path (directory, .zip or .yml). */
export function scanRuleSources(paths: readonly string[], builtin: boolean): RuleSource[] {
  const sources = builtin ? builtinRuleSources().map((s) => ({ file: `content/rules/${s.file}`, text: s.text })) : [];
  for (const path of paths) sources.push(...ruleSourcesFrom(path).map((s) => ({ file: `${path}/${s.file}`, text: s.text })));
  return sources;
}

// ---- scan ----

export interface ScanOptions {
  inputs: readonly ScanInput[];
  rules: readonly RuleSource[];
  /** Detections below this level are neither evaluated nor reported (rules a correlation needs are still evaluated). */
  minLevel?: SigmaLevel;
  /** Write one row per detection to this .csv or .jsonl file, sorted by time. */
  timeline?: string;
  /** Draw a progress bar on stderr. */
  progress?: boolean;
  /** Events evaluated per engine call. */
  chunkSize?: number;
}

export interface CountRow {
  key: string;
  count: number;
}

export interface RuleCount {
  id: string;
  title: string;
  level: SigmaLevel;
  count: number;
}

export interface ComputerCount {
  computer: string;
  events: number;
  detections: number;
}

export interface ScanReport {
  files: number;
  filesFailed: number;
  records: number;
  recovered: number;
  /** Reader problems (damaged chunks, records that could not be read). */
  readProblems: number;
  events: number;
  eventsWithHits: number;
  detections: number;
  detectionsByLevel: Record<SigmaLevel, number>;
  /** Every rule that fired, most detections first (ties by rule id). */
  byRule: RuleCount[];
  byComputer: ComputerCount[];
  rules: { files: number; loaded: number; correlations: number; errors: number; warnings: number; deprecated: number; unsupported: number };
  /** Per failed or damaged file: its path and what went wrong. */
  fileProblems: { file: string; failed: boolean; problems: number; messages: string[] }[];
  /** First rule load errors, formatted. */
  ruleErrors: string[];
  /** Wall time of the whole scan, of loading and compiling the rules, and of reading and evaluating the events. */
  seconds: number;
  ruleSeconds: number;
  scanSeconds: number;
}

/** One row of the timeline. */
export interface TimelineRow {
  time: string;
  computer: string;
  channel: string;
  event_id: number | null;
  record_id: number | null;
  rule_title: string;
  level: SigmaLevel;
  rule_id: string;
  kind: 'sigma' | 'correlation';
  file: string;
  /** The fields that made the match, `Field=value` joined with ` ¦ `. */
  details: string;
}

const TIMELINE_COLUMNS: readonly (keyof TimelineRow)[] = ['time', 'computer', 'channel', 'event_id', 'record_id', 'rule_title', 'level', 'rule_id', 'kind', 'file', 'details'];

const levelRank = (level: SigmaLevel) => sigmaLevels.indexOf(level);

/** Host id of a computer name in scans (correlations group by it); the server derives its own for imports. */
function scanHostId(computer: string): string {
  return `evtx:${computer.trim().toLowerCase() || 'unknown'}`;
}

function detailsOf(fields: readonly FieldHit[]): string {
  return fields
    .map((hit) => {
      const value = typeof hit.value === 'string' ? hit.value : JSON.stringify(hit.value);
      return `${hit.field}=${(value ?? '').length > 300 ? `${value.slice(0, 300)}…` : value}`;
    })
    .join(' ¦ ');
}

/** RFC 4180 quoting; a leading =, +, @ or - (with more after it) gets a `'` so spreadsheets show the text instead of running it. */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+@\t\r]/.test(text) || (text.length > 1 && text.startsWith('-'))) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function timelineWriter(path: string): { write(rows: readonly TimelineRow[]): Promise<void> } {
  const format = extname(path).toLowerCase();
  if (format !== '.csv' && format !== '.jsonl') throw new VigilError('invalid_config', `--timeline ${path}: name a .csv or .jsonl file`);
  return {
    async write(rows) {
      const stream: WriteStream = createWriteStream(path);
      const failed = new Promise<never>((_, reject) => stream.on('error', (error) => reject(VigilError.wrap(error, 'system', `writing ${path}`))));
      failed.catch(() => undefined);
      const put = async (line: string) => {
        if (!stream.write(line)) await Promise.race([new Promise<void>((r) => stream.once('drain', () => r())), failed]);
      };
      if (format === '.csv') await put(TIMELINE_COLUMNS.join(',') + '\n');
      for (const row of rows) await put(format === '.csv' ? TIMELINE_COLUMNS.map((column) => csvField(row[column])).join(',') + '\n' : JSON.stringify(row) + '\n');
      await Promise.race([new Promise<void>((r) => stream.end(() => r())), failed]);
    },
  };
}

interface EventInfo {
  computer: string;
  channel: string;
  eventId: number | null;
  recordId: number | null;
  file: string;
}

/**
 * Scans the inputs: every record is mapped like the agent maps live events and evaluated by the indexed Sigma engine in
 * chunks. Correlation rules run after all files, over the matches of the rules they reference from every file, in event
 * time order, so files may be given in any order.
 */
export async function scanEvtx(options: ScanOptions): Promise<{ report: ScanReport; timeline: TimelineRow[] }> {
  const started = performance.now();
  const chunkSize = Math.max(1, options.chunkSize ?? 512);
  const minRank = options.minLevel ? levelRank(options.minLevel) : 0;
  const writer = options.timeline ? timelineWriter(options.timeline) : undefined;

  const mapping = defaultSigmaMapping();
  const set = loadSigmaRules(options.rules, { resolver: mapping.resolver, router: mapping.router });
  const problems: LoadProblem[] = [...set.problems];
  const built = set.correlations.length ? createCorrelationEngine({ correlations: set.correlations, rules: set.rules.map((r) => r.rule), resolver: mapping.resolver }) : undefined;
  if (built) problems.push(...built.problems);
  const correlation = built?.engine;
  const referenced = correlation?.referencedRules;
  const isReferenced = (rule: SigmaMeta) => Boolean(referenced && (referenced.has(rule.id) || (rule.name !== undefined && referenced.has(rule.name))));
  const active: CompiledRule[] = set.rules.filter((compiled) => levelRank(compiled.rule.level) >= minRank || isReferenced(compiled.rule));
  const matches: (BaseRuleMatch & { sequence: number })[] = [];
  let sequence = 0;
  const engine = createIndexedEngine({
    rules: active,
    ...(correlation ? { suppressed: correlation.suppressedRules } : {}),
    ...(correlation
      ? {
          onMatch: (rule: SigmaMeta, event: DetectEvent) => {
            if (!isReferenced(rule)) return;
            const time = Date.parse(String(event['@timestamp']));
            matches.push({ rule, event, timeMs: Number.isFinite(time) ? time : 0, hostId: String(event['host.id'] ?? ''), sequence: matches.length });
          },
        }
      : {}),
  });

  const report: ScanReport = {
    files: options.inputs.length,
    filesFailed: 0,
    records: 0,
    recovered: 0,
    readProblems: 0,
    events: 0,
    eventsWithHits: 0,
    detections: 0,
    detectionsByLevel: Object.fromEntries(sigmaLevels.map((level) => [level, 0])) as Record<SigmaLevel, number>,
    byRule: [],
    byComputer: [],
    rules: {
      files: set.files,
      loaded: set.rules.length,
      correlations: set.correlations.length,
      errors: problems.filter((p) => p.severity === 'error').length,
      warnings: problems.filter((p) => p.severity === 'warning').length,
      deprecated: set.deprecated,
      unsupported: set.unsupported,
    },
    fileProblems: [],
    ruleErrors: problems.filter((p) => p.severity === 'error').slice(0, 20).map((p) => `${p.location.file}:${p.location.line}:${p.location.column} ${p.code}: ${p.message}`),
    seconds: 0,
    ruleSeconds: (performance.now() - started) / 1000,
    scanSeconds: 0,
  };
  const scanStarted = performance.now();
  const byRule = new Map<string, RuleCount>();
  const byComputer = new Map<string, ComputerCount>();
  const computerOf = new Map<string, string>();
  const timeline: TimelineRow[] = [];
  const computerCount = (computer: string): ComputerCount => {
    let entry = byComputer.get(computer);
    if (!entry) byComputer.set(computer, (entry = { computer, events: 0, detections: 0 }));
    return entry;
  };

  const record = (detection: Detection, info: EventInfo | undefined) => {
    if (levelRank(detection.rule.level) < minRank) return false;
    report.detections++;
    report.detectionsByLevel[detection.rule.level]++;
    let rule = byRule.get(detection.rule.id);
    if (!rule) byRule.set(detection.rule.id, (rule = { id: detection.rule.id, title: detection.rule.title, level: detection.rule.level, count: 0 }));
    rule.count++;
    const computer = info?.computer ?? computerOf.get(detection.hostId) ?? '';
    computerCount(computer).detections++;
    timeline.push({
      time: detection.time,
      computer,
      channel: info?.channel ?? '',
      event_id: info?.eventId ?? null,
      record_id: info?.recordId ?? null,
      rule_title: detection.rule.title,
      level: detection.rule.level,
      rule_id: detection.rule.id,
      kind: detection.kind === 'correlation' ? 'correlation' : 'sigma',
      file: info?.file ?? '',
      details: detection.kind === 'correlation' ? `${detection.eventIds.length} events${detection.group ? ` ¦ ${Object.entries(detection.group).map(([k, v]) => `${k}=${String(v)}`).join(' ¦ ')}` : ''}` : detailsOf(detection.fields),
    });
    return true;
  };

  const totalBytes = options.inputs.reduce((sum, input) => sum + input.bytes, 0);
  const progress = options.progress ? createProgress('evtx scan', totalBytes) : undefined;
  let bytesBefore = 0;

  /** Timeline columns of a mapped event; its id is `<input index>:<record ordinal>`. */
  const infoOf = (event: DetectEvent | undefined): EventInfo | undefined => {
    if (!event) return undefined;
    const id = String(event['event.id']);
    const recordId = event['winlog.record_id'];
    return {
      computer: String(event['winlog.computer_name'] ?? ''),
      channel: String(event['winlog.channel'] ?? ''),
      eventId: typeof event['winlog.event_id'] === 'number' ? event['winlog.event_id'] : null,
      recordId: typeof recordId === 'number' ? recordId : null,
      file: options.inputs[Number(id.slice(0, id.indexOf(':')))]?.path ?? '',
    };
  };

  const evaluate = (chunk: DetectEvent[]) => {
    if (!chunk.length) return;
    const byId = new Map(chunk.map((event) => [String(event['event.id']), event]));
    const hit = new Set<string>();
    for (const detection of engine.evaluate(chunk)) {
      const id = detection.eventIds[0] ?? '';
      if (record(detection, infoOf(byId.get(id)))) hit.add(id);
    }
    report.eventsWithHits += hit.size;
  };

  for (const [fileIndex, input] of options.inputs.entries()) {
    const summary: FileSummary = { records: 0, recovered: 0, problems: 0, messages: [] };
    let failed = false;
    let chunk: DetectEvent[] = [];
    try {
      for await (const item of readInputRecords(input, (bytesRead) => progress?.update(bytesBefore + Math.min(bytesRead, input.bytes), `${report.records + summary.records} records, ${report.detections} detections`), summary)) {
        if ('problem' in item) continue;
        let mapped: Record<string, unknown>;
        try {
          mapped = mapWindowsEvent(item.record) as unknown as Record<string, unknown>;
        } catch (error) {
          summary.problems++;
          if (summary.messages.length < 5) summary.messages.push(VigilError.wrap(error, 'invalid_input').message);
          continue;
        }
        const computer = item.record.computer;
        const hostId = scanHostId(computer);
        computerOf.set(hostId, computer);
        const id = `${fileIndex}:${summary.records}`;
        const event = mapped;
        event['event.id'] = id;
        event['event.sequence'] = ++sequence;
        event['host.id'] = hostId;
        report.events++;
        computerCount(computer).events++;
        chunk.push(event);
        if (chunk.length >= chunkSize) {
          evaluate(chunk);
          chunk = [];
        }
      }
    } catch (error) {
      failed = true;
      summary.messages.unshift(VigilError.wrap(error, 'invalid_input').message);
    }
    evaluate(chunk);
    if (!failed && summary.records === 0 && summary.problems > 0) {
      // Not an event log, or nothing in it could be read: as unreadable as a file that cannot be opened.
      failed = true;
      summary.messages.unshift('no record could be read');
    }
    report.records += summary.records;
    report.recovered += summary.recovered;
    report.readProblems += summary.problems;
    if (failed) report.filesFailed++;
    if (failed || summary.problems) report.fileProblems.push({ file: input.path, failed, problems: summary.problems, messages: summary.messages });
    bytesBefore += input.bytes;
    progress?.update(bytesBefore, `${report.records} records, ${report.detections} detections`);
  }

  if (correlation) {
    matches.sort((a, b) => a.timeMs - b.timeMs || a.sequence - b.sequence);
    const matched = new Map(matches.map((match) => [String(match.event['event.id']), match.event]));
    const found: Detection[] = [];
    for (const match of matches) found.push(...correlation.observe(match));
    found.push(...correlation.expire(Number.MAX_SAFE_INTEGER));
    for (const detection of found) {
      const last = infoOf(matched.get(detection.eventIds.at(-1) ?? ''));
      record(detection, last && { ...last, channel: '', eventId: null, recordId: null });
    }
  }

  report.byRule = [...byRule.values()].sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  report.byComputer = [...byComputer.values()].sort((a, b) => b.detections - a.detections || b.events - a.events || (a.computer < b.computer ? -1 : 1));
  // By instant (renderings differ in fraction digits, so text order is not time order), then as written.
  const instant = (time: string) => {
    const ms = Date.parse(time);
    return Number.isFinite(ms) ? ms : Number.MAX_SAFE_INTEGER;
  };
  timeline.sort((a, b) => instant(a.time) - instant(b.time) || (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  report.seconds = (performance.now() - started) / 1000;
  report.scanSeconds = (performance.now() - scanStarted) / 1000;
  progress?.finish();
  if (writer) await writer.write(timeline);
  return { report, timeline };
}

/** The parts of a report that do not depend on the machine or the run: what the golden test compares. */
export function stableReport(report: ScanReport): Omit<ScanReport, 'seconds' | 'ruleSeconds' | 'scanSeconds'> {
  const { seconds: _seconds, ruleSeconds: _rules, scanSeconds: _scan, ...rest } = report;
  return rest;
}

function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => String(row[i] ?? '').length)));
  const line = (cells: readonly (string | number)[]) =>
    cells.map((cell, i) => (typeof cell === 'number' ? String(cell).padStart(widths[i]!) : String(cell).padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatScanReport(report: ScanReport, top = 20): string {
  const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
  const parts = [
    `${report.files} file(s) (${report.filesFailed} unreadable), ${report.records} records (${report.recovered} recovered, ${report.readProblems} problems), ${report.events} events, ${report.eventsWithHits} with hits, ${report.detections} detections`,
    `time: ${report.seconds.toFixed(1)} s (rules ${report.ruleSeconds.toFixed(1)} s, events ${report.scanSeconds.toFixed(1)} s: ${Math.round(report.events / Math.max(report.scanSeconds, 1e-6))} events/s)`,
    `rules: ${report.rules.loaded} loaded from ${report.rules.files} files, ${report.rules.correlations} correlations, ${report.rules.errors} errors, ${report.rules.deprecated} deprecated skipped`,
    '',
    table(
      ['level', 'detections'],
      [...sigmaLevels].reverse().map((level) => [level, report.detectionsByLevel[level]]),
    ),
    '',
    table(
      ['detections', 'level', 'rule'],
      report.byRule.slice(0, top).map((rule) => [rule.count, rule.level, cut(rule.title, 90)]),
    ),
  ];
  if (report.byRule.length > top) parts.push(`... and ${report.byRule.length - top} more rules`);
  parts.push('', table(['computer', 'events', 'detections'], report.byComputer.slice(0, top).map((c) => [cut(c.computer || '(none)', 60), c.events, c.detections])));
  if (report.byComputer.length > top) parts.push(`... and ${report.byComputer.length - top} more computers`);
  if (report.fileProblems.length) {
    parts.push('', 'files with problems:');
    for (const problem of report.fileProblems.slice(0, top)) parts.push(`  ${problem.file}: ${problem.failed ? 'unreadable' : `${problem.problems} problem(s)`}${problem.messages[0] ? ` (${cut(problem.messages[0], 160)})` : ''}`);
    if (report.fileProblems.length > top) parts.push(`  ... and ${report.fileProblems.length - top} more`);
  }
  if (report.ruleErrors.length) parts.push('', `rule errors (first ${report.ruleErrors.length}):`, ...report.ruleErrors.map((e) => `  ${e}`));
  return parts.join('\n');
}

// ---- import ----

export interface ImportOptions {
  inputs: readonly ScanInput[];
  target: ApiTarget;
  /** Events per request (default 1000; the server takes at most 5000 and 8 MiB). */
  batchSize?: number;
  progress?: boolean;
}

export interface ImportResult {
  files: number;
  filesFailed: number;
  records: number;
  events: number;
  accepted: number;
  /** Events the server already held from an earlier import of the same records (not stored again). */
  duplicates: number;
  alerts: number;
  hosts: string[];
  problems: number;
}

export const IMPORT_PATH = '/api/v1/events/import';
const MAX_IMPORT_BYTES = 6 * 1024 * 1024;

interface ImportAnswer {
  accepted: number;
  duplicates: number;
  alerts: number;
  hosts: { computer: string; host_id: string; accepted: number; duplicates: number }[];
}

async function send(target: ApiTarget, body: unknown): Promise<ImportAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await apiRequest<ImportAnswer>(target, 'POST', IMPORT_PATH, body);
    } catch (error) {
      const retry = error instanceof VigilError && (error.code === 'rate_limited' || error.code === 'unavailable') && attempt < 6;
      if (!retry) throw error;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}

/** Reads and maps every input like `scan` and posts the events in batches; the server assigns host ids (from the computer name), sequence numbers and event ids, and runs detection. */
export async function importEvtx(options: ImportOptions): Promise<ImportResult> {
  const batchSize = Math.min(5000, Math.max(1, options.batchSize ?? 1000));
  const result: ImportResult = { files: options.inputs.length, filesFailed: 0, records: 0, events: 0, accepted: 0, duplicates: 0, alerts: 0, hosts: [], problems: 0 };
  const hosts = new Set<string>();
  const totalBytes = options.inputs.reduce((sum, input) => sum + input.bytes, 0);
  const progress = options.progress ? createProgress('evtx import', totalBytes) : undefined;
  let bytesBefore = 0;
  for (const input of options.inputs) {
    const summary: FileSummary = { records: 0, recovered: 0, problems: 0, messages: [] };
    let batch: Record<string, unknown>[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (!batch.length) return;
      const answer = await send(options.target, { source: 'evtx', file: basename(input.path), events: batch });
      result.accepted += answer.accepted;
      result.duplicates += answer.duplicates ?? 0;
      result.alerts += answer.alerts;
      for (const host of answer.hosts) hosts.add(host.host_id);
      batch = [];
      batchBytes = 0;
    };
    try {
      for await (const item of readInputRecords(input, (bytesRead) => progress?.update(bytesBefore + Math.min(bytesRead, input.bytes), `${result.events} events sent`), summary)) {
        if ('problem' in item) continue;
        let event: Record<string, unknown>;
        try {
          event = mapWindowsEvent(item.record) as unknown as Record<string, unknown>;
        } catch {
          summary.problems++;
          continue;
        }
        const size = JSON.stringify(event).length + 1;
        if (batch.length >= batchSize || batchBytes + size > MAX_IMPORT_BYTES) await flush();
        batch.push(event);
        batchBytes += size;
        result.events++;
      }
      await flush();
    } catch (error) {
      const failure = VigilError.wrap(error, 'invalid_input');
      // A server that refuses the token, the permission or the data refuses every file the same way: stop.
      if (['unauthenticated', 'forbidden', 'not_found', 'unavailable', 'rate_limited'].includes(failure.code)) throw failure;
      result.filesFailed++;
      process.stderr.write(`vigil evtx import: ${input.path}: ${failure.message}\n`);
    }
    result.records += summary.records;
    result.problems += summary.problems;
    bytesBefore += input.bytes;
  }
  progress?.finish();
  result.hosts = [...hosts].sort();
  return result;
}

export function resolveInputs(paths: readonly string[]): ScanInput[] {
  const inputs = collectInputs(paths.map((path) => path));
  if (!inputs.length) throw new VigilError('invalid_config', `no .evtx files found in ${paths.map((p) => resolve(p)).join(', ')}`);
  return inputs;
}

// ---- the command ----

export interface EvtxCommandValues {
  rules?: string[];
  'no-builtin-rules'?: boolean;
  'min-level'?: string;
  timeline?: string;
  json?: boolean;
  top?: string;
  quiet?: boolean;
  batch?: string;
}

/** `vigil evtx scan ...`: 0 without detections, 1 with detections, 2 when nothing could be scanned (bad options, no readable file). */
export async function runEvtxScan(values: EvtxCommandValues, paths: readonly string[]): Promise<number> {
  if (!paths.length) throw new VigilError('invalid_config', 'name the .evtx files or directories to scan: vigil evtx scan <file|dir>...');
  const minLevel = values['min-level'];
  if (minLevel !== undefined && !sigmaLevels.includes(minLevel as SigmaLevel)) throw new VigilError('invalid_config', `--min-level must be one of ${sigmaLevels.join(', ')}`);
  const top = values.top === undefined ? 20 : Number(values.top);
  if (!Number.isInteger(top) || top < 1) throw new VigilError('invalid_config', '--top must be a positive whole number');
  if (values.timeline !== undefined && !/\.(csv|jsonl)$/i.test(values.timeline)) throw new VigilError('invalid_config', `--timeline ${values.timeline}: name a .csv or .jsonl file`);
  const inputs = resolveInputs(paths);
  const rules = scanRuleSources(values.rules ?? [], !values['no-builtin-rules']);
  if (!rules.length) throw new VigilError('invalid_config', 'no rules: give --rules <dir|zip|yml> (the built-in packs were turned off)');
  const { report } = await scanEvtx({
    inputs,
    rules,
    ...(minLevel ? { minLevel: minLevel as SigmaLevel } : {}),
    ...(values.timeline ? { timeline: values.timeline } : {}),
    progress: !values.quiet && !values.json,
  });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatScanReport(report, top));
  if (values.timeline) console.error(`timeline: ${report.detections} row(s) written to ${values.timeline}`);
  if (report.filesFailed === report.files) return 2;
  return report.detections > 0 ? 1 : 0;
}

/** `vigil evtx import ...`: 0 when every file was sent, 1 when some could not be read, 2 for bad options. */
export async function runEvtxImport(values: EvtxCommandValues, paths: readonly string[], target: () => ApiTarget): Promise<number> {
  if (!paths.length) throw new VigilError('invalid_config', 'name the .evtx files or directories to import: vigil evtx import <file|dir>... --server URL --token TOKEN');
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 5000)) throw new VigilError('invalid_config', '--batch must be a whole number from 1 to 5000');
  const inputs = resolveInputs(paths);
  const result = await importEvtx({ inputs, target: target(), ...(batch ? { batchSize: batch } : {}), progress: !values.quiet && !values.json });
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`${result.files} file(s) (${result.filesFailed} unreadable), ${result.records} records, ${result.events} events sent, ${result.accepted} stored, ${result.duplicates} already imported, ${result.alerts} alert(s) raised`);
    console.log(`hosts: ${result.hosts.join(', ') || '(none)'}`);
  }
  return result.filesFailed ? 1 : 0;
}
