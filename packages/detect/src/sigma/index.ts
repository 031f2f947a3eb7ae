// Public API of Vigil's Sigma core: read rule files, parse them, compile them, load whole rule sets.
// Never exports internals (YAML conversion, wildcard and modifier helpers): they may change without notice.

export { readRuleSources } from './rule-files.js';
export type { RuleSource } from './rule-files.js';
export { parseSigmaFile } from './parse.js';
export type { ParsedSigmaFile, SigmaFilter } from './parse.js';
export { compileSigmaRule } from './compile.js';
export type { CompileOptions } from './compile.js';
export { formatProblem, loadSigmaRules } from './load.js';
export type { SigmaRuleSet } from './load.js';
