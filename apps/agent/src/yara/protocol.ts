// Messages between the agent's main thread and its YARA worker thread, and the rule set bundle the server sends.
// Types only: both sides import them so a message shape is defined once.

import type { FileScanResult, ScanProgress, YaraMatch } from '@vigil/yara';

/** A rule set as the server sends it (POST /agent/v1/yara/ruleset). */
export interface RuleSetBundle {
  name: string;
  version: number;
  digest: string;
  files: { name: string; text: string }[];
  externals: Record<string, string>;
  options: {
    scan_on_exec: boolean;
    scan_on_write: boolean;
    watch_paths: string[];
    quarantine_on_hit: boolean;
    max_file_size: number;
  };
}

export interface SweepRequest {
  roots: string[];
  exclude: string[];
  oneFileSystem: boolean;
  maxFileSize: number;
  cpuBudget: number;
}

export interface MemoryRequest {
  /** Empty: every process but the agent itself. */
  pids: number[];
  cpuBudget: number;
}

export type ToWorker =
  | { type: 'load'; digest: string; files: { name: string; text: string }[]; externals: Record<string, string> }
  | { type: 'unload' }
  | { type: 'scan'; id: number; path: string; maxFileSize: number }
  | { type: 'sweep'; id: number; request: SweepRequest }
  | { type: 'memory'; id: number; request: MemoryRequest }
  | { type: 'cancel'; id: number };

export interface MemoryHit {
  pid: number;
  executable: string | null;
  name: string | null;
  match: YaraMatch & { region: string; regionPath: string };
}

export type FromWorker =
  /** `sets`: the scan sets in use (`base`, `4d5a`, ...; `whole` when the set could not be partitioned). */
  | { type: 'loaded'; digest: string; ruleCount: number; ms: number; sets: string[] }
  | { type: 'load-failed'; digest: string; message: string }
  | { type: 'scanned'; id: number; result: FileScanResult; sha256: string | null }
  | { type: 'progress'; id: number; progress: ScanProgress }
  | { type: 'file-match'; id: number; result: FileScanResult; sha256: string | null }
  | { type: 'memory-match'; id: number; hit: MemoryHit }
  | { type: 'done'; id: number; summary: ScanProgress & { aborted: boolean; errors: number; cpuMs: number; sleptMs: number } }
  | { type: 'failed'; id: number; message: string };
