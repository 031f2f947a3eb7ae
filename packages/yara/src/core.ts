// Shared shapes of Vigil's YARA layer: rule files, compile problems with file:line:column, matches, scan results.
// Types only; the engine (YARA-X through @litko/yara-x) is used by compile.ts and the scanners.

/** One rule file of a rule set, by its path inside the set (`yara/apt_foo.yar`). */
export interface RuleFile {
  name: string;
  text: string;
}

export interface CompileProblem {
  severity: 'error' | 'warning';
  /** YARA-X code: E009 (unknown identifier), E012 (duplicate rule), text_as_hex, ... */
  code: string;
  /** The headline and the compiler's note at the location, on one line. */
  message: string;
  file: string;
  line?: number;
  column?: number;
}

/** Values of external variables: strings or integers (YARA-X also has floats and booleans; rules here use strings). */
export type Externals = Record<string, string | number | boolean>;

/**
 * The external variables the signature-base rule set (and LOKI/THOR rules) expect, defined at compile time and set per
 * file at scan time: file name, full path, extension (lower case, no dot), file type (from magic bytes) and owner name.
 */
export const DEFAULT_EXTERNALS: Readonly<Record<string, string>> = { filename: '', filepath: '', extension: '', filetype: '', owner: '' };

export interface YaraMatch {
  rule: string;
  namespace: string;
  tags: string[];
  meta: Record<string, unknown>;
  /** Identifiers of the patterns that matched, each once ($a, $s1). */
  strings: string[];
}

/** What happened to one file. `skipped` files were not scanned (and `matches` is empty). */
export interface FileScanResult {
  path: string;
  size: number;
  skipped?: 'too_large' | 'not_regular' | 'unreadable' | 'special_filesystem';
  /** Served from the scan cache (same device, inode, size, mtime and rule set). */
  cached: boolean;
  matches: YaraMatch[];
  error?: string;
}

export interface ScanProgress {
  files: number;
  bytes: number;
  skipped: number;
  matches: number;
  /** Set by process-memory scans. */
  regions?: number;
  current?: string;
}
