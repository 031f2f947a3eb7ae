// Reads Atomic Red Team technique files (atomics/T*/T*.yaml) into checked, typed tests and renders their commands.
// Never runs anything: execution is the runner's job; every shape problem is a VigilError with the file and test.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { VigilError, corpusPath } from '@vigil/common';

export interface AtomicDependency {
  description: string;
  prereqCommand: string;
  getPrereqCommand: string;
}

export interface AtomicTest {
  technique: string;
  /** 1-based position in the technique file (the number Atomic Red Team's tooling uses). */
  number: number;
  name: string;
  guid: string;
  platforms: string[];
  executor: { name: string; command: string; cleanup: string; elevation: boolean };
  /** Input argument defaults, as text. */
  inputs: Record<string, string>;
  dependencies: AtomicDependency[];
  dependencyExecutor: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(value: unknown, where: string, file: string, optional = false): string {
  if (value === undefined || value === null) {
    if (optional) return '';
    throw new VigilError('invalid_input', `${where} is missing`, { location: { file, path: where } });
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new VigilError('invalid_input', `${where} must be text, not ${Array.isArray(value) ? 'a list' : typeof value}`, { location: { file, path: where } });
}

/** Parses the text of one technique file; `file` is only used in error locations. */
export function parseAtomicFile(source: string, file: string): AtomicTest[] {
  let doc: unknown;
  try {
    doc = parse(source, { maxAliasCount: 100 });
  } catch (error) {
    const pos = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new VigilError('invalid_input', `not valid YAML: ${(error as Error).message.split('\n')[0]}`, { cause: error, location: { file, ...(pos ? { line: pos.line, column: pos.col } : {}) } });
  }
  if (!isObj(doc)) throw new VigilError('invalid_input', 'a technique file must be a mapping', { location: { file } });
  const technique = text(doc.attack_technique, 'attack_technique', file);
  if (!Array.isArray(doc.atomic_tests)) throw new VigilError('invalid_input', 'atomic_tests must be a list', { location: { file, path: 'atomic_tests' } });
  return doc.atomic_tests.map((raw, index): AtomicTest => {
    const at = `atomic_tests[${index}]`;
    if (!isObj(raw)) throw new VigilError('invalid_input', `${at} must be a mapping`, { location: { file, path: at } });
    const executor = raw.executor;
    if (!isObj(executor)) throw new VigilError('invalid_input', `${at}.executor must be a mapping`, { location: { file, path: `${at}.executor` } });
    const platforms = raw.supported_platforms;
    if (!Array.isArray(platforms)) throw new VigilError('invalid_input', `${at}.supported_platforms must be a list`, { location: { file, path: `${at}.supported_platforms` } });
    const inputs: Record<string, string> = {};
    if (raw.input_arguments !== undefined && raw.input_arguments !== null) {
      if (!isObj(raw.input_arguments)) throw new VigilError('invalid_input', `${at}.input_arguments must be a mapping`, { location: { file, path: `${at}.input_arguments` } });
      for (const [key, arg] of Object.entries(raw.input_arguments)) {
        if (!isObj(arg)) throw new VigilError('invalid_input', `${at}.input_arguments.${key} must be a mapping`, { location: { file, path: `${at}.input_arguments.${key}` } });
        inputs[key] = text(arg.default, `${at}.input_arguments.${key}.default`, file, true);
      }
    }
    const dependencies: AtomicDependency[] = [];
    if (raw.dependencies !== undefined && raw.dependencies !== null) {
      if (!Array.isArray(raw.dependencies)) throw new VigilError('invalid_input', `${at}.dependencies must be a list`, { location: { file, path: `${at}.dependencies` } });
      raw.dependencies.forEach((dep, d) => {
        const where = `${at}.dependencies[${d}]`;
        if (!isObj(dep)) throw new VigilError('invalid_input', `${where} must be a mapping`, { location: { file, path: where } });
        dependencies.push({
          description: text(dep.description, `${where}.description`, file, true),
          prereqCommand: text(dep.prereq_command, `${where}.prereq_command`, file),
          getPrereqCommand: text(dep.get_prereq_command, `${where}.get_prereq_command`, file, true),
        });
      });
    }
    const executorName = text(executor.name, `${at}.executor.name`, file);
    return {
      technique,
      number: index + 1,
      name: text(raw.name, `${at}.name`, file),
      guid: text(raw.auto_generated_guid, `${at}.auto_generated_guid`, file, true),
      platforms: platforms.map((p, i) => text(p, `${at}.supported_platforms[${i}]`, file)),
      executor: {
        name: executorName,
        command: executorName === 'manual' ? text(executor.steps, `${at}.executor.steps`, file, true) : text(executor.command, `${at}.executor.command`, file),
        cleanup: text(executor.cleanup_command, `${at}.executor.cleanup_command`, file, true),
        elevation: executor.elevation_required === true,
      },
      inputs,
      dependencies,
      dependencyExecutor: text(raw.dependency_executor_name, `${at}.dependency_executor_name`, file, true) || executorName,
    };
  });
}

/** Loads one technique from the corpus (`corpusPath('atomics')`); fails loudly when the corpus is missing. */
export function loadTechnique(technique: string): AtomicTest[] {
  const file = join(corpusPath('atomics', 'atomics', technique), `${technique}.yaml`);
  return parseAtomicFile(readFileSync(file, 'utf8'), file);
}

/** Replaces every `#{name}` with its value (overrides first, then defaults); an unknown name is an error. */
export function renderCommand(command: string, test: AtomicTest, overrides: Record<string, string> = {}): string {
  return command.replace(/#\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = overrides[name] ?? test.inputs[name];
    if (value === undefined) throw new VigilError('invalid_input', `${test.technique}#${test.number}: input argument #{${name}} has no value`, { location: { path: `${test.technique}#${test.number}` } });
    return value;
  });
}

/** Why a test cannot run here without payloads or the internet; undefined when it is a candidate. */
export function exclusionReason(test: AtomicTest): string | undefined {
  if (!test.platforms.includes('linux')) return 'not a Linux test';
  if (test.executor.name !== 'sh' && test.executor.name !== 'bash') return `executor ${test.executor.name} (only sh and bash run unattended)`;
  const all = [test.executor.command, test.executor.cleanup, ...test.dependencies.flatMap((d) => [d.prereqCommand, d.getPrereqCommand]), ...Object.values(test.inputs)].join('\n');
  if (/PathToAtomicsFolder|PathToPayloads/.test(all)) return 'needs payload files from the atomics src/ or bin/ folders (not in the corpus)';
  if (/\b(curl|wget)\b|https?:\/\//.test(all)) return 'downloads from the internet';
  return undefined;
}
