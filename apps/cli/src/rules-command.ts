// `vigil rules check|import <dir|file.zip|file.yml>`: validates Sigma rule packs locally with a progress bar and a
// load report, then (import) installs them on a server as a versioned pack. Never uploads a pack it could not read.

import { readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { VigilError, createProgress, readZip } from '@vigil/common';
import { apiRequest, type ApiTarget } from './api-client.js';
import type { LoadProblem } from '@vigil/detect';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import { formatProblem, loadSigmaRules, readRuleSources, type RuleSource } from '@vigil/detect/sigma/index';

export interface RulesReport {
  files: number;
  rules: number;
  correlations: number;
  deprecated: number;
  unsupported: number;
  errors: number;
  warnings: number;
  byCode: Record<string, number>;
  problems: LoadProblem[];
}

/** Rule files from a directory (recursive), a .zip archive, or one YAML file; names relative to the input. */
export function ruleSourcesFrom(path: string): RuleSource[] {
  const full = resolve(path);
  let stat;
  try {
    stat = statSync(full);
  } catch {
    throw new VigilError('invalid_input', `${path}: no such file or directory`);
  }
  if (stat.isDirectory()) return readRuleSources(full).map((s) => ({ file: s.file.slice(full.length + 1), text: s.text }));
  if (extname(full).toLowerCase() === '.zip') {
    return readZip(readFileSync(full), path, { select: (p) => /\.ya?ml$/i.test(p) })
      .map((entry) => ({ file: entry.path, text: entry.data.toString('utf8') }))
      .sort((a, b) => a.file.localeCompare(b.file));
  }
  return [{ file: basename(full), text: readFileSync(full, 'utf8') }];
}

/** Loads the sources the way the server will, in chunks so that a progress bar can follow. */
export function checkRuleSources(sources: readonly RuleSource[], showProgress = true): RulesReport {
  const mapping = defaultSigmaMapping();
  const progress = showProgress ? createProgress('checking rules', sources.length) : undefined;
  const chunk = 200;
  let problems: LoadProblem[] = [];
  let rules = 0;
  let correlations = 0;
  let deprecated = 0;
  let unsupported = 0;
  for (let start = 0; start < sources.length; start += chunk) {
    const set = loadSigmaRules(sources.slice(start, start + chunk), { resolver: mapping.resolver, router: mapping.router });
    problems.push(...set.problems);
    rules += set.rules.length;
    correlations += set.correlations.length;
    deprecated += set.deprecated;
    unsupported += set.unsupported;
    progress?.update(Math.min(sources.length, start + chunk), sources[start]?.file);
  }
  if (correlations || sources.length > chunk) {
    // References between files (correlations, filters, duplicate ids) only show when everything loads together.
    const whole = loadSigmaRules(sources, { resolver: mapping.resolver, router: mapping.router });
    problems = whole.problems;
    rules = whole.rules.length;
    correlations = whole.correlations.length;
    deprecated = whole.deprecated;
    unsupported = whole.unsupported;
  }
  progress?.finish();
  const byCode: Record<string, number> = {};
  for (const p of problems) byCode[`${p.severity}:${p.code}`] = (byCode[`${p.severity}:${p.code}`] ?? 0) + 1;
  return {
    files: sources.length,
    rules,
    correlations,
    deprecated,
    unsupported,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
    byCode,
    problems,
  };
}

export function formatReport(report: RulesReport, maxProblems = 50): string {
  const lines = [
    `files ${report.files}  rules ${report.rules}  correlations ${report.correlations}  deprecated (skipped) ${report.deprecated}  unsupported logsource ${report.unsupported}  errors ${report.errors}  warnings ${report.warnings}`,
  ];
  for (const [code, count] of Object.entries(report.byCode).sort((a, b) => b[1] - a[1])) lines.push(`  ${code.padEnd(40)} ${count}`);
  const shown = [...report.problems.filter((p) => p.severity === 'error'), ...report.problems.filter((p) => p.severity === 'warning')].slice(0, maxProblems);
  for (const problem of shown) lines.push(formatProblem(problem));
  if (report.problems.length > shown.length) lines.push(`... and ${report.problems.length - shown.length} more`);
  return lines.join('\n');
}

export interface UploadOptions {
  pack: string;
  version: string;
  description: string;
}

/** PUT /api/v1/rule-packs/:name; resolves with the server's load report. */
export function uploadPack(target: ApiTarget, sources: readonly RuleSource[], options: UploadOptions): Promise<Record<string, unknown>> {
  return apiRequest(target, 'PUT', `/api/v1/rule-packs/${encodeURIComponent(options.pack)}`, {
    version: options.version,
    description: options.description,
    files: sources.map((s) => ({ file: s.file, text: s.text })),
  });
}

/** A pack version derived from its content when none is given: the same files give the same version. */
export function contentVersion(sources: readonly RuleSource[]): string {
  const hash = createHash('sha256');
  for (const s of sources) hash.update(s.file).update('\0').update(s.text).update('\0');
  return hash.digest('hex').slice(0, 12);
}
