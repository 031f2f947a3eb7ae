// Scan sets of a rule set by file head and size: a rule whose condition has a top-level conjunct `uint16(0) == 0x5a4d`
// (or uint8/uint32, either byte order), a `pe.` test or `filesize < N` cannot match a file that fails it, so each file
// is scanned once, with the set of its head and size. Must never change a result: anything not recognised exactly
// keeps its rule in every set, and PartitionedRules.scan returns what the whole set returns, in its order.

import type { RuleMatch } from '@litko/yara-x';
import { VigilError } from '@vigil/common';
import { compileRuleSet, type CompiledRules, type CompileOptions } from './compile.js';
import type { RuleFile } from './core.js';
import { conjuncts, disjuncts, splitRuleSource, unwrap, type RuleDeclaration, type Token } from './internal/rule-source.js';

/** What a rule requires of a file, from its top-level conjuncts. Absent fields require nothing. */
export interface Precondition {
  /** The file starts with one of these byte strings (hex, lower case). */
  prefixes?: string[];
  /** filesize < maxSize. */
  maxSize?: number;
  /** filesize >= minSize. */
  minSize?: number;
}

/** Engine match objects, as @litko/yara-x returns them. */
export type RawMatch = RuleMatch;

/** What scanners need of compiled rules: the full set and a partitioned set both satisfy it. */
export interface RuleEngine {
  scan(data: Buffer, variables?: Record<string, string | number>): RawMatch[];
  /** Scan sets only: the key of the set that scans data of this size starting with `head` (see PartitionedRules). */
  setKey?(head: Uint8Array, size: number): string;
}

/**
 * One scan set: the rules a file of one head class and size range can match. Class `base` is every file whose first
 * two bytes are no other class's head; a head class (`4d5a` = MZ) holds the rules without a required head plus the
 * rules that require that head.
 */
export interface PartitionPlan {
  /** `base` or the 2-byte file head (hex) of the class, then `@<minSize>` for a size tier above the first. */
  key: string;
  /** The file head class (`base`, `4d5a`) and the file sizes [minSize, maxSize) the set is for. */
  head: string;
  minSize: number;
  maxSize: number;
  /** Names of the rules in the set (without the copies of referenced rules). */
  rules: string[];
  /** Source compiled for the set: imports, the rules and the rules they reference (copies), in set order. */
  source: string;
}

export interface PartitionOptions {
  /** A file head gets its own scan set when at least this many rules require it (default 100: MZ and ELF in signature-base). */
  minClassRules?: number;
  /**
   * File sizes where a new scan set starts (default [1 MiB]): a file of 2 MiB is not scanned with rules whose
   * top-level `filesize < N` excludes it. A tier whose rules equal the previous tier's is not compiled again.
   */
  sizeTiers?: number[];
}

const WIDTH: Record<string, { bytes: number; bigEndian: boolean }> = {
  uint8: { bytes: 1, bigEndian: false }, uint16: { bytes: 2, bigEndian: false }, uint32: { bytes: 4, bigEndian: false },
  uint8be: { bytes: 1, bigEndian: true }, uint16be: { bytes: 2, bigEndian: true }, uint32be: { bytes: 4, bigEndian: true },
};

/** A YARA integer literal (decimal, 0x hex, 0o octal, KB/MB suffix), undefined for anything else. */
export function parseInteger(text: string): number | undefined {
  const m = /^(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+)(KB|MB)?$/.exec(text);
  if (!m) return undefined;
  const base = Number(m[1]);
  if (!Number.isSafeInteger(base)) return undefined;
  return base * (m[2] === 'KB' ? 1024 : m[2] === 'MB' ? 1024 * 1024 : 1);
}

function texts(tokens: readonly Token[]): string[] {
  return tokens.map((t) => t.text);
}

/** `uintN(0) == V` (either side) as the byte string the file must start with. */
function magicPrefix(tokens: readonly Token[]): string | undefined {
  const t = texts(unwrap(tokens));
  let fn: string | undefined;
  let value: string | undefined;
  if (t.length === 6 && t[1] === '(' && t[2] === '0' && t[3] === ')' && t[4] === '==') [fn, value] = [t[0], t[5]];
  else if (t.length === 6 && t[1] === '==' && t[3] === '(' && t[4] === '0' && t[5] === ')') [fn, value] = [t[2], t[0]];
  const width = fn ? WIDTH[fn] : undefined;
  const v = value !== undefined ? parseInteger(value) : undefined;
  if (!width || v === undefined || v >= 2 ** (8 * width.bytes)) return undefined;
  const bytes = Buffer.alloc(width.bytes);
  if (width.bytes === 1) bytes.writeUInt8(v);
  else if (width.bytes === 2) width.bigEndian ? bytes.writeUInt16BE(v) : bytes.writeUInt16LE(v);
  else width.bigEndian ? bytes.writeUInt32BE(v) : bytes.writeUInt32LE(v);
  return bytes.toString('hex');
}

/**
 * `pe.` conjuncts that are false on every file that does not start with `MZ`: YARA-X's pe module only parses data
 * with a DOS header, so on other data `pe.is_pe` is false and every other field is undefined (a comparison with an
 * undefined value is false). Only forms that are false both for false and for undefined are accepted: `pe.is_pe`,
 * `pe.is_dll()` / `is_32bit()` / `is_64bit()`, `pe.imports(...)` / `pe.exports(...)`, and `pe.<field> == <literal>`
 * or `pe.<field> > <number>` (never `!=`, `<`, `not`, `defined`).
 */
function peTest(tokens: readonly Token[]): boolean {
  const t = texts(unwrap(tokens));
  if (t[0] !== 'pe' || t[1] !== '.') return false;
  if (t.length === 3 && t[2] === 'is_pe') return true;
  if (t.length === 5 && ['is_dll', 'is_32bit', 'is_64bit'].includes(t[2]!) && t[3] === '(' && t[4] === ')') return true;
  const plain = unwrap(tokens);
  if ((t[2] === 'imports' || t[2] === 'exports') && t[3] === '(' && t[t.length - 1] === ')') {
    return plain.slice(4, -1).every((x) => x.kind === 'string' || x.kind === 'number' || x.text === ',');
  }
  // pe.a.b[0].c == "x" / pe.f("x") == 3 / pe.n > 2
  const op = t.findIndex((x) => x === '==' || x === '>');
  if (op < 3 || op !== t.length - 2) return false;
  const lhs = plain.slice(2, op);
  if (!lhs.every((x) => x.kind === 'ident' || x.kind === 'string' || x.kind === 'number' || ['.', '(', ')', '[', ']', ','].includes(x.text))) return false;
  if (lhs.some((x) => x.kind === 'ident' && (x.text.startsWith('$') || x.text.startsWith('#') || x.text.startsWith('@') || x.text.startsWith('!') || x.text === 'defined' || x.text === 'not'))) return false;
  const rhs = plain[op + 1]!;
  if (t[op] === '==') return rhs.kind === 'string' || (rhs.kind === 'number' && parseInteger(rhs.text) !== undefined);
  return rhs.kind === 'number' && (parseInteger(rhs.text) ?? -1) >= 0;
}

/** `filesize < N` / `filesize <= N` / `N > filesize` ... as bounds on the size. */
function sizeBound(tokens: readonly Token[]): { maxSize?: number; minSize?: number } | undefined {
  const t = texts(unwrap(tokens));
  if (t.length !== 3) return undefined;
  let [a, op, b] = t as [string, string, string];
  if (b === 'filesize' && a !== 'filesize') [a, op, b] = [b, ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[op] ?? op, a];
  if (a !== 'filesize') return undefined;
  const n = parseInteger(b);
  if (n === undefined) return undefined;
  if (op === '<') return { maxSize: n };
  if (op === '<=') return { maxSize: n + 1 };
  if (op === '>') return { minSize: n + 1 };
  if (op === '>=') return { minSize: n };
  if (op === '==') return { minSize: n, maxSize: n + 1 };
  return undefined;
}

/** What a condition requires of a file, from its top-level conjuncts only (see the module header). */
export function precondition(condition: readonly Token[]): Precondition {
  const result: Precondition = {};
  for (const conjunct of conjuncts(condition)) {
    const size = sizeBound(conjunct);
    if (size) {
      if (size.maxSize !== undefined) result.maxSize = Math.min(result.maxSize ?? Infinity, size.maxSize);
      if (size.minSize !== undefined) result.minSize = Math.max(result.minSize ?? 0, size.minSize);
      continue;
    }
    if (result.prefixes) continue;
    // One magic test, or an `or` of magic tests (`uint16(0) == 0x5a4d or uint32(0) == 0x464c457f`).
    const alternatives = disjuncts(conjunct).map((d) => magicPrefix(d) ?? (peTest(d) ? '4d5a' : undefined));
    if (alternatives.every((p) => p !== undefined)) result.prefixes = [...new Set(alternatives as string[])].sort();
  }
  return result;
}

/** Rule names a condition refers to (`other_rule`, `any of (prefix*)`), among the names of the set. */
function references(condition: readonly Token[], names: ReadonlySet<string>, sorted: readonly string[]): string[] {
  const found = new Set<string>();
  condition.forEach((t, i) => {
    if (t.kind !== 'ident' || condition[i - 1]?.text === '.') return;
    if (t.text.endsWith('*')) {
      const stem = t.text.slice(0, -1);
      for (const name of sorted) if (name.startsWith(stem)) found.add(name);
    } else if (names.has(t.text)) found.add(t.text);
  });
  return [...found];
}

interface AnalysedRule {
  decl: RuleDeclaration;
  index: number;
  imports: string[];
  refs: string[];
  pre: Precondition;
}

/**
 * Plans the scan sets of a rule set. Files are split into rule declarations. A rule whose top-level conjuncts
 * require file heads (the first two bytes of each required prefix) goes into the sets of those heads that are
 * classes, and into `base` when one of its heads is not a class; a rule without a required head goes into every set. A file is scanned with exactly one set, so it pays one
 * pass over its bytes. A set also carries copies of the rules its rules reference (transitively), so references
 * resolve (a set holds each rule once). Global rules gate every rule of the namespace, so a set with a
 * global rule gets only `base`. Throws VigilError when a file cannot be split.
 */
export function planPartitions(files: readonly RuleFile[], options: PartitionOptions = {}): PartitionPlan[] {
  const minClassRules = options.minClassRules ?? 100;
  const rules: AnalysedRule[] = [];
  for (const file of files) {
    const split = splitRuleSource(file.text);
    for (const decl of split.rules) rules.push({ decl, index: rules.length, imports: split.imports, refs: [], pre: precondition(decl.condition) });
  }
  const byName = new Map(rules.map((r) => [r.decl.name, r]));
  if (byName.size !== rules.length) throw new VigilError('invalid_input', 'a rule name is declared twice');
  const sortedNames = [...byName.keys()].sort();
  const names = new Set(byName.keys());
  for (const rule of rules) rule.refs = references(rule.decl.condition, names, sortedNames).filter((n) => n !== rule.decl.name);
  const global = rules.some((r) => r.decl.isGlobal);

  // Heads of a rule: the 2-byte starts of its required prefixes (a 1-byte prefix is too weak to route on).
  const headsOf = (r: AnalysedRule): string[] | undefined => {
    if (global || !r.pre.prefixes || r.pre.prefixes.some((p) => p.length < 4)) return undefined;
    return [...new Set(r.pre.prefixes.map((p) => p.slice(0, 4)))];
  };
  const perHead = new Map<string, number>();
  for (const rule of rules) for (const head of headsOf(rule) ?? []) perHead.set(head, (perHead.get(head) ?? 0) + 1);
  const classes = [...perHead].filter(([, count]) => count >= minClassRules).map(([head]) => head).sort();
  const members = new Map<string, AnalysedRule[]>([['base', []], ...classes.map((c) => [c, []] as [string, AnalysedRule[]])]);
  for (const rule of rules) {
    const heads = headsOf(rule);
    // No heads: every set. Heads that are all classes: those sets. Otherwise base and the classes among its heads.
    const targets = !heads ? ['base', ...classes] : heads.every((h) => classes.includes(h)) ? heads : ['base', ...heads.filter((h) => classes.includes(h))];
    for (const target of targets) members.get(target)!.push(rule);
  }
  const bounds = [0, ...[...new Set(options.sizeTiers ?? [1024 * 1024])].filter((t) => t > 0).sort((a, b) => a - b), Infinity];
  const plans: PartitionPlan[] = [];
  for (const [head, all] of members) {
   let previous: string | undefined;
   for (let tier = 0; tier < bounds.length - 1; tier++) {
    const [minSize, maxSize] = [bounds[tier]!, bounds[tier + 1]!];
    // A file of size s in [minSize, maxSize) can only match rules with maxSize > s and minSize <= s.
    const set = global ? all : all.filter((r) => (r.pre.maxSize ?? Infinity) > minSize && (r.pre.minSize ?? 0) < maxSize);
    const names = set.map((r) => r.decl.name).join('\n');
    if (names === previous) {
      plans[plans.length - 1]!.maxSize = maxSize;
      continue;
    }
    previous = names;
    const key = tier === 0 ? head : `${head}@${minSize}`;
    const included = new Set<AnalysedRule>();
    const visit = (r: AnalysedRule): void => {
      if (included.has(r)) return;
      included.add(r);
      for (const ref of r.refs) visit(byName.get(ref)!);
    };
    set.forEach(visit);
    const ordered = [...included].sort((a, b) => a.index - b.index);
    const imports = [...new Set(ordered.flatMap((r) => r.imports))].sort();
    plans.push({ key, head, minSize, maxSize, rules: set.map((r) => r.decl.name), source: [...imports.map((m) => `import ${JSON.stringify(m)}`), ...ordered.map((r) => r.decl.text)].join('\n') + '\n' });
   }
  }
  return plans;
}

export interface PartitionedRules extends RuleEngine {
  sets: readonly { key: string; rules: number }[];
  /** Scans per set since creation (for benchmarks and metrics). */
  counters(): Record<string, number>;
  /**
   * Key of the set that scans a file of this size starting with `head` (its first two bytes suffice). Callers that
   * scan many files can order them by key: switching between compiled sets costs ~0.5 ms per switch (docs/yara.md).
   */
  setKey(head: Uint8Array, size: number): string;
}

/**
 * Compiles each scan set of a rule set (with the same externals) and returns an engine whose scan returns exactly
 * the matches of the full set, in the full set's rule order. The rule files must already compile together
 * (compileRuleSet); a set that fails to compile throws. Compiling costs about one full compile per set.
 */
export function compilePartitioned(files: readonly RuleFile[], options: Pick<CompileOptions, 'externals'> & PartitionOptions = {}): PartitionedRules {
  const plans = planPartitions(files, options);
  // Per head class, its size tiers in ascending order.
  const sets = new Map<string, { plan: PartitionPlan; rules: CompiledRules }[]>();
  for (const plan of plans) {
    const result = compileRuleSet([{ name: `set:${plan.key}`, text: plan.source }], { ...(options.externals ? { externals: options.externals } : {}), trusted: true });
    if (!result.rules) throw new VigilError('invalid_input', `scan set ${plan.key} does not compile: ${result.problems.map((p) => p.message).join('; ')}`);
    (sets.get(plan.head) ?? sets.set(plan.head, []).get(plan.head)!).push({ plan, rules: result.rules });
  }
  const base = sets.get('base')!;
  const order = new Map<string, number>();
  for (const file of files) for (const decl of splitRuleSource(file.text).rules) order.set(decl.name, order.size);
  const counters: Record<string, number> = Object.fromEntries(plans.map((p) => [p.key, 0]));
  const setOf = (head: Uint8Array, size: number) => {
    const tiers = (size >= 2 && head.length >= 2 ? sets.get(Buffer.from(head.buffer, head.byteOffset, 2).toString('hex')) : undefined) ?? base;
    return tiers.find((t) => size < t.plan.maxSize) ?? tiers[tiers.length - 1]!;
  };
  return {
    sets: plans.map((p) => ({ key: p.key, rules: p.rules.length })),
    counters: () => ({ ...counters }),
    setKey(head, size) {
      if (!Number.isSafeInteger(size) || size < 0) throw new VigilError('invalid_input', `setKey: size must be a non-negative integer, got ${size}`);
      return setOf(head, size).plan.key;
    },
    scan(data, variables) {
      const set = setOf(data, data.length);
      counters[set.plan.key]!++;
      const matches: RawMatch[] = set.rules.scan(data, variables);
      return matches.sort((a, b) => (order.get(a.ruleIdentifier) ?? 0) - (order.get(b.ruleIdentifier) ?? 0));
    },
  };
}
