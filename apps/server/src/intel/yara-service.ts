// YARA on the server: rule sets are compiled in a worker thread when uploaded (refused with every error's
// file:line:column), stored as source with a digest, and the active one is what agents fetch (YARA-X 0.3.0 cannot
// serialise compiled rules, so agents compile the source and check the digest). Match events that agents send
// (category `scan`) become alerts of kind `yara`. Never compiles on the event loop.

import { VigilError, createLogger } from '@vigil/common';
import type { DetectEvent, Detection, SigmaLevel } from '@vigil/detect';
import { DEFAULT_EXTERNALS, checkRuleSetInWorker, ruleSetDigest, type CompileReport, type RuleFile } from '@vigil/yara';
import { defaultRuleSetOptions, type RuleSetOptions, type RuleSetRecord, type RuleSetReport, type YaraDb } from './yara-db.js';

const log = createLogger('server.yara');

/** What an agent receives: everything needed to compile the set and to check it is the one the server meant. */
export interface RuleSetBundle {
  name: string;
  version: number;
  digest: string;
  files: RuleFile[];
  externals: Record<string, string>;
  /** In this key order (the digest covers its JSON text). */
  options: AgentRuleSetOptions;
}

export interface AgentRuleSetOptions {
  scan_on_exec: boolean;
  scan_on_write: boolean;
  watch_paths: string[];
  quarantine_on_hit: boolean;
  max_file_size: number;
}

export const agentOptions = (o: RuleSetOptions): AgentRuleSetOptions => ({
  scan_on_exec: o.scanOnExec,
  scan_on_write: o.scanOnWrite,
  watch_paths: [...o.watchPaths],
  quarantine_on_hit: o.quarantineOnHit,
  max_file_size: o.maxFileSize,
});

export const MAX_RULE_FILES = 5000;
export const MAX_RULESET_BYTES = 48 * 1024 * 1024;

export interface YaraService {
  /** Compiles and stores a new version; throws invalid_input (with every error) when it does not compile. */
  putRuleSet(input: { name: string; description?: string; files: RuleFile[]; options?: Partial<RuleSetOptions>; externals?: Record<string, string>; activate?: boolean }, actor: string): Promise<RuleSetRecord>;
  validate(files: RuleFile[], externals?: Record<string, string>): Promise<CompileReport>;
  /** The active set's name, version and digest (heartbeat replies), or null. */
  active(): { name: string; version: number; digest: string } | null;
  /** The active set's bundle for agents, or null. */
  bundle(): RuleSetBundle | null;
  /** Detections for the YARA match events of a batch. */
  match(events: readonly DetectEvent[]): Detection[];
}

/** Alert level of a YARA match from the rule's score meta (signature-base): none or >= 75 high, >= 50 medium, else low. */
export function yaraLevel(score: unknown): SigmaLevel {
  if (typeof score !== 'number') return 'high';
  if (score >= 75) return 'high';
  return score >= 50 ? 'medium' : 'low';
}

function checkFiles(files: readonly RuleFile[]): void {
  if (!files.length) throw new VigilError('invalid_input', 'a rule set needs at least one file', { location: { path: 'files' } });
  if (files.length > MAX_RULE_FILES) throw new VigilError('invalid_input', `at most ${MAX_RULE_FILES} files per rule set`, { location: { path: 'files' } });
  const size = files.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0);
  if (size > MAX_RULESET_BYTES) throw new VigilError('payload_too_large', `rule set of ${size} bytes; at most ${MAX_RULESET_BYTES}`, { location: { path: 'files' } });
  const seen = new Set<string>();
  files.forEach((file, index) => {
    if (seen.has(file.name)) throw new VigilError('invalid_input', `file ${file.name} given twice`, { location: { path: `files[${index}].name` } });
    seen.add(file.name);
  });
}

export function createYaraService(deps: { db: YaraDb }): YaraService {
  const { db } = deps;
  let cached: RuleSetBundle | null | undefined;

  function report(result: CompileReport): RuleSetReport {
    const errors = result.problems.filter((p) => p.severity === 'error');
    const warnings = result.problems.filter((p) => p.severity === 'warning');
    return { ruleCount: result.ruleCount, files: result.compiledFiles.length, errors: errors.length, warnings: warnings.length, compileMs: result.compileMs, problems: [...errors, ...warnings].slice(0, 500) };
  }

  return {
    async putRuleSet(input, actor) {
      checkFiles(input.files);
      const externals = input.externals ?? { ...DEFAULT_EXTERNALS };
      const result = await checkRuleSetInWorker(input.files, { externals });
      if (!result.ok) {
        const errors = result.problems.filter((p) => p.severity === 'error');
        const first = errors[0];
        throw new VigilError('invalid_input', `rule set ${input.name} does not compile: ${errors.length} error(s)${first ? `; first at ${first.file}:${first.line ?? '?'}:${first.column ?? '?'}: ${first.message}` : ''}`, {
          location: first ? { file: first.file, ...(first.line ? { line: first.line } : {}), ...(first.column ? { column: first.column } : {}) } : { path: 'files' },
          details: errors.slice(0, 100).map((e) => ({ message: `${e.code}: ${e.message}`, location: { file: e.file, ...(e.line ? { line: e.line } : {}), ...(e.column ? { column: e.column } : {}) } })),
        });
      }
      const options: RuleSetOptions = { ...defaultRuleSetOptions, ...(input.options ?? {}) };
      const digest = ruleSetDigest(input.files, externals, agentOptions(options));
      const record = db.putRuleSet({ name: input.name, description: input.description ?? '', files: input.files, options, externals, digest, report: report(result), activate: input.activate ?? false }, actor);
      cached = undefined;
      log.info('rule set stored', { name: record.name, version: record.version, rules: record.report.ruleCount, warnings: record.report.warnings, active: record.active, ms: result.compileMs });
      return record;
    },
    validate(files, externals) {
      checkFiles(files);
      return checkRuleSetInWorker(files, { externals: externals ?? { ...DEFAULT_EXTERNALS } });
    },
    active() {
      const set = db.activeRuleSet();
      return set ? { name: set.name, version: set.version, digest: set.digest } : null;
    },
    bundle() {
      const set = db.activeRuleSet();
      if (!set) return (cached = null);
      if (cached && cached.digest === set.digest) return cached;
      cached = { name: set.name, version: set.version, digest: set.digest, files: db.ruleSetFiles(set.name), externals: set.externals, options: agentOptions(set.options) };
      return cached;
    },
    match(events) {
      const detections: Detection[] = [];
      for (const event of events) {
        if (event['event.category'] !== 'scan') continue;
        const rule = String(event['yara.rule'] ?? '');
        if (!rule) continue;
        const namespace = String(event['yara.namespace'] ?? 'default');
        const target = event['event.action'] === 'memory_match' ? `pid ${String(event['process.pid'] ?? '?')}` : String(event['file.path'] ?? '?');
        const fields = [
          { field: 'yara.rule', value: rule },
          ...['yara.namespace', 'yara.tags', 'yara.strings', 'yara.ruleset', 'yara.ruleset_digest', 'yara.trigger', 'yara.sweep_id', 'yara.action', 'yara.score', 'file.path', 'file.hash.sha256', 'process.pid', 'process.executable']
            .filter((f) => event[f] !== undefined)
            .map((f) => ({ field: f, value: event[f] })),
        ];
        const pid = event['process.entity_id'] ?? event['process.pid'];
        detections.push({
          rule: { id: `yara:${namespace}.${rule}`, title: `YARA ${rule} matched ${target}`, level: yaraLevel(event['yara.score']), tags: ['yara', ...((event['yara.tags'] as string[] | undefined) ?? []).map((t) => `yara.tag.${t}`)] },
          kind: 'yara',
          hostId: String(event['host.id'] ?? ''),
          eventIds: [String(event['event.id'] ?? '')],
          time: String(event['@timestamp'] ?? new Date().toISOString()),
          fields,
          // One alert per rule, host and file (or process): repeats of the same file fold into it.
          processKey: String(event['event.action'] === 'memory_match' ? (pid ?? '') : (event['file.path'] ?? pid ?? '')),
        });
      }
      return detections;
    },
  };
}
