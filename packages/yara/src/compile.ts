// Compiles YARA rule sets with YARA-X: validates each file on its own (so every error and warning carries its file,
// line and column), then compiles the files together as one source. YARA-X 0.3.0 (@litko/yara-x) cannot serialise
// compiled rules, so a rule set travels as source plus a digest and each side compiles it (docs/yara.md).
// Never reads files: callers pass the texts.

import { createHash } from 'node:crypto';
import * as yarax from '@litko/yara-x';
import { VigilError } from '@vigil/common';
import { DEFAULT_EXTERNALS, type CompileProblem, type Externals, type RuleFile } from './core.js';

/** The compiled rules as the engine exposes them (scan, scanFile). */
export type CompiledRules = ReturnType<typeof yarax.compile>;

export interface CompileOptions {
  /** External variables and their defaults (default: DEFAULT_EXTERNALS). */
  externals?: Externals;
  /** Drop files that fail to compile and compile the rest (default false: any error fails the whole set). */
  skipInvalid?: boolean;
  /** Skip the per-file validation pass (faster; problems then come from the joint compile only). */
  trusted?: boolean;
}

export interface CompileResult {
  /** Undefined when the set has errors (and skipInvalid is off) or no rule file compiled. */
  rules: CompiledRules | undefined;
  problems: CompileProblem[];
  /** Files in the compiled set, in order. */
  compiledFiles: string[];
  /** Rule declarations counted in the compiled files' source (`rule name`, `private rule`, `global rule`). */
  ruleCount: number;
  compileMs: number;
}

/** Problems of a YARA-X diagnostic text: `error[E009]: unknown identifier ... --> line:1:46 ... ^^^ note`. */
export function parseDiagnostic(text: string, severity: 'error' | 'warning', fallbackCode: string): { code: string; message: string; line?: number; column?: number } {
  const body = text.replace(/^Compilation error \([A-Z0-9]+\): /, '');
  const head = /^(?:error|warning)\[([A-Za-z0-9_]+)\]: (.*)$/m.exec(body);
  const where = /-->\s*line:(\d+):(\d+)/.exec(body);
  const note = /^\s*\d*\s*\|\s*[\^-]+ (.+)$/m.exec(body);
  const message = [head?.[2] ?? body.split('\n')[0]!, note?.[1]].filter(Boolean).join(': ');
  return { code: head?.[1] ?? fallbackCode, message, ...(where ? { line: Number(where[1]), column: Number(where[2]) } : {}) };
}

/** String values YARA-X 0.3.0's binding would read as booleans or integers ("true", "123"): a trailing space keeps them strings. */
export function safeExternal(value: string): string {
  return /^(true|false|-?\d+)$/i.test(value) ? `${value} ` : value;
}

function defineVariables(externals: Externals): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(externals).map(([k, v]) => [k, typeof v === 'string' ? safeExternal(v) : v]));
}

/**
 * The digest of a rule set version: SHA-256 over the file names and texts in order, the externals and the
 * options the agent applies. Server and agent compute it the same way; the agent refuses a set whose digest differs.
 */
export function ruleSetDigest(files: readonly RuleFile[], externals: Externals = DEFAULT_EXTERNALS, options: unknown = {}): string {
  const hash = createHash('sha256');
  hash.update('vigil-yara-1\0');
  for (const file of files) hash.update(file.name).update('\0').update(file.text).update('\0');
  hash.update(JSON.stringify(Object.entries(externals).sort(([a], [b]) => (a < b ? -1 : 1))));
  hash.update('\0').update(JSON.stringify(options ?? {}));
  return hash.digest('hex');
}

export function countRules(text: string): number {
  return (text.match(/^\s*(?:(?:private|global)\s+)*rule\s+[A-Za-z_][A-Za-z0-9_]*/gm) ?? []).length;
}

/** Validates one file on its own: its errors and warnings with line and column. */
export function validateRuleFile(file: RuleFile, externals: Externals = DEFAULT_EXTERNALS): CompileProblem[] {
  let result: { errors: { code: string; message: string }[]; warnings: { code: string; message: string }[] };
  try {
    result = yarax.validate(file.text, { defineVariables: defineVariables(externals) });
  } catch (error) {
    return [{ severity: 'error', code: 'engine', message: VigilError.wrap(error).message, file: file.name }];
  }
  return [
    ...result.errors.map((e) => ({ severity: 'error' as const, file: file.name, ...parseDiagnostic(e.message, 'error', e.code) })),
    ...result.warnings.map((w) => ({ severity: 'warning' as const, file: file.name, ...parseDiagnostic(w.message, 'warning', w.code) })),
  ];
}

/** Where line `line` of the joined source comes from. */
function locate(offsets: readonly { name: string; start: number }[], line: number): { file: string; line: number } {
  let found = offsets[0]!;
  for (const entry of offsets) if (entry.start <= line) found = entry;
  return { file: found.name, line: line - found.start + 1 };
}

/** Compiles a rule set: per-file validation, then one joint compile (see the module header). */
export function compileRuleSet(files: readonly RuleFile[], options: CompileOptions = {}): CompileResult {
  const started = performance.now();
  const externals = options.externals ?? DEFAULT_EXTERNALS;
  const problems: CompileProblem[] = [];
  const names = new Set<string>();
  for (const file of files) {
    if (names.has(file.name)) problems.push({ severity: 'error', code: 'duplicate_file', message: `file ${file.name} given twice`, file: file.name });
    names.add(file.name);
  }
  let candidates = [...files];
  if (!options.trusted) {
    const failed = new Set<string>();
    for (const file of files) {
      const found = validateRuleFile(file, externals);
      problems.push(...found);
      if (found.some((p) => p.severity === 'error')) failed.add(file.name);
    }
    candidates = files.filter((f) => !failed.has(f.name));
  }
  const done = (rules: CompiledRules | undefined, compiled: RuleFile[]): CompileResult => ({
    rules,
    problems,
    compiledFiles: compiled.map((f) => f.name),
    ruleCount: compiled.reduce((sum, f) => sum + countRules(f.text), 0),
    compileMs: Math.round(performance.now() - started),
  });
  if (problems.some((p) => p.severity === 'error') && !options.skipInvalid) return done(undefined, []);
  // Cross-file problems (a rule name declared in two files) only show in the joint compile: drop the file and retry.
  for (let round = 0; round < 50 && candidates.length; round++) {
    const offsets: { name: string; start: number }[] = [];
    let line = 1;
    const parts: string[] = [];
    for (const file of candidates) {
      offsets.push({ name: file.name, start: line });
      const text = file.text.endsWith('\n') ? file.text : `${file.text}\n`;
      parts.push(text);
      line += text.split('\n').length - 1;
    }
    try {
      const rules = yarax.compile(parts.join(''), { defineVariables: defineVariables(externals) });
      return done(rules, candidates);
    } catch (error) {
      const diagnostic = parseDiagnostic(VigilError.wrap(error).message, 'error', 'compile');
      const where = diagnostic.line !== undefined ? locate(offsets, diagnostic.line) : { file: candidates[0]!.name, line: undefined };
      problems.push({ severity: 'error', code: diagnostic.code, message: `${diagnostic.message} (when compiled with the other files)`, file: where.file, ...(where.line !== undefined ? { line: where.line, column: diagnostic.column } : {}) });
      if (!options.skipInvalid) return done(undefined, []);
      candidates = candidates.filter((f) => f.name !== where.file);
    }
  }
  return done(undefined, []);
}
