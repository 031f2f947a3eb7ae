// `vigil yara`: check a rule folder locally (every error and warning with file:line:column), scan local paths with it
// (the false-positive check of docs/yara.md), or upload it to a server as a rule set. Reads rule files only from
// the folder or files given; never changes the scanned files.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { VigilError } from '@vigil/common';
import type { RuleFile } from '@vigil/yara';
import { apiRequest, apiTarget } from './api-client.js';

type Values = Record<string, string | boolean | string[] | undefined>;

export interface YaraCommand {
  summary: string;
  usage: string;
  positionals: boolean;
  options: NonNullable<ParseArgsConfig['options']>;
  help: Record<string, string>;
  run(values: Values, positionals: string[]): Promise<number>;
}

/** The .yar/.yara files of a folder (recursively, sorted) or one file, named relative to the folder. */
export function readRuleFiles(path: string): RuleFile[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new VigilError('invalid_config', `cannot read ${path}`);
  }
  if (stat.isFile()) return [{ name: path.split('/').pop()!, text: readFileSync(path, 'utf8') }];
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.yara?$/i.test(entry.name)) files.push(full);
    }
  };
  walk(path);
  if (!files.length) throw new VigilError('invalid_config', `no .yar or .yara files under ${path}`);
  return files.sort().map((file) => ({ name: relative(path, file), text: readFileSync(file, 'utf8') }));
}

export function yaraCommand(defaultDataDir: string): YaraCommand {
  return {
    summary: 'check YARA rules, scan local paths with them, or upload them to a server as a rule set',
    usage: [
      'vigil yara check <rules-dir|file.yar> [--json]',
      '       vigil yara scan <rules-dir|file.yar> <path>... [--max-file-size BYTES] [--cpu-budget SHARE] [--json]',
      '       vigil yara push <rules-dir|file.yar> --name NAME [--activate] [--quarantine] [--watch DIR]... [--server URL] [--token TOKEN] [--ca-file FILE]',
    ].join('\n'),
    positionals: true,
    options: {
      json: { type: 'boolean' }, 'max-file-size': { type: 'string' }, 'cpu-budget': { type: 'string' }, name: { type: 'string' }, activate: { type: 'boolean' }, quarantine: { type: 'boolean' },
      watch: { type: 'string', multiple: true }, server: { type: 'string' }, token: { type: 'string' }, 'ca-file': { type: 'string' }, 'data-dir': { type: 'string' },
    },
    help: {
      '--json': 'machine-readable output (problems, or one JSON line per matching file)',
      '--max-file-size BYTES': 'scan: skip larger files (default 64 MiB)',
      '--cpu-budget SHARE': 'scan: share of one core to use (default: unlimited)',
      '--name NAME': 'push: rule set name on the server',
      '--activate': 'push: make it the set agents use',
      '--quarantine': 'push: agents quarantine files that match',
      '--watch DIR': 'push: folders agents watch for written files (repeat; default /tmp, /var/tmp, /dev/shm)',
    },
    async run(values, positionals) {
      const [verb, rulesPath, ...paths] = positionals;
      if (!verb || !rulesPath || !['check', 'scan', 'push'].includes(verb)) throw new VigilError('invalid_config', 'usage: vigil yara check|scan|push <rules-dir|file.yar> ...');
      const files = readRuleFiles(rulesPath);
      if (verb === 'push') {
        if (typeof values.name !== 'string') throw new VigilError('invalid_config', 'vigil yara push needs --name');
        const target = apiTarget({ server: values.server as string | undefined, token: values.token as string | undefined, caFile: values['ca-file'] as string | undefined, dataDir: values['data-dir'] as string | undefined }, defaultDataDir);
        const options = { ...(values.quarantine ? { quarantine_on_hit: true } : {}), ...(Array.isArray(values.watch) ? { watch_paths: values.watch } : {}) };
        const answer = await apiRequest<{ version: number; digest: string; rule_count: number; active: boolean; report: { warnings: number } }>(target, 'PUT', `/api/v1/yara/rulesets/${encodeURIComponent(values.name)}`, { files, options, ...(values.activate ? { activate: true } : {}) });
        console.log(`rule set ${values.name} v${answer.version}: ${answer.rule_count} rules from ${files.length} files, ${answer.report.warnings} warnings, digest ${answer.digest.slice(0, 16)}…${answer.active ? ', active' : ''}`);
        return 0;
      }
      // Loaded here: the YARA engine is a native addon that other vigil commands (the agent) should not carry.
      const { compileRuleSet, createCpuThrottle, createFileScanner, sweepPaths } = await import('@vigil/yara');
      const compiled = compileRuleSet(files, { skipInvalid: verb === 'scan' });
      const errors = compiled.problems.filter((p) => p.severity === 'error');
      const warnings = compiled.problems.filter((p) => p.severity === 'warning');
      if (verb === 'check') {
        if (values.json) console.log(JSON.stringify({ files: files.length, rules: compiled.ruleCount, errors: errors.length, warnings: warnings.length, compile_ms: compiled.compileMs, problems: compiled.problems }, null, 2));
        else {
          for (const p of compiled.problems) console.log(`${p.file}:${p.line ?? '?'}:${p.column ?? '?'}: ${p.severity} ${p.code}: ${p.message}`);
          console.log(`${files.length} files, ${compiled.ruleCount} rules, ${errors.length} errors, ${warnings.length} warnings (${compiled.compileMs} ms)`);
        }
        return errors.length ? 1 : 0;
      }
      if (!compiled.rules) throw new VigilError('invalid_input', `no rule file compiled (${errors.length} errors; run vigil yara check)`);
      if (!paths.length) throw new VigilError('invalid_config', 'give the paths to scan after the rules');
      if (errors.length) process.stderr.write(`${errors.length} error(s): the files with errors were left out (vigil yara check lists them)\n`);
      const budget = typeof values['cpu-budget'] === 'string' ? Number(values['cpu-budget']) : undefined;
      const scanner = createFileScanner({ rules: compiled.rules, rulesId: 'cli', cacheEntries: 0, ...(typeof values['max-file-size'] === 'string' ? { maxFileSize: Number(values['max-file-size']) } : {}) });
      let matchingFiles = 0;
      const summary = await sweepPaths({
        roots: paths,
        scanner,
        ...(budget ? { throttle: createCpuThrottle({ budget }) } : {}),
        onMatch: (result) => {
          matchingFiles++;
          const rules = result.matches.map((m) => m.rule);
          if (values.json) console.log(JSON.stringify({ path: result.path, size: result.size, rules, sha256: scanner.sha256(result.path) }));
          else console.log(`${result.path}\t${rules.join(',')}`);
        },
        onProgress: (p) => void (process.stderr.isTTY && process.stderr.write(`\r${p.files} files, ${(p.bytes / 1e6).toFixed(0)} MB, ${p.matches} matches`.padEnd(60))),
      });
      process.stderr.write(`scanned ${summary.files} files (${(summary.bytes / 1e6).toFixed(0)} MB, ${summary.skipped} skipped, ${summary.errors} unreadable folders) with ${compiled.ruleCount} rules: ${matchingFiles} matching file(s), ${summary.matches} match(es)\n`);
      return 0;
    },
  };
}
