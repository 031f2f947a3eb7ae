// The exec blocklist policy as it travels from server to agents (long-poll on the agent listener), and its validator.
// Both sides validate with the same function; a policy that fails validation is never enforced, in part or whole.

import { VigilError, type VigilErrorDetail } from '@vigil/common';

export const blocklistPaths = {
  /** Agent listener (mTLS): POST a BlocklistPoll, answered with a BlocklistPollReply (held until changed or wait_s). */
  poll: '/agent/v1/blocklist',
} as const;

export const blocklistLimits = {
  maxEntries: 10_000,
  maxPathLength: 4096,
  maxPatternLength: 1024,
  maxDescriptionLength: 1024,
  /** Longest the server holds a poll before answering "unchanged". */
  maxWaitSeconds: 55,
} as const;

export type BlocklistKind = 'sha256' | 'path' | 'cmdline';

export interface BlocklistEntry {
  /** Server-assigned id (UUID); reported with every block so the alert names the entry that fired. */
  id: string;
  kind: BlocklistKind;
  /**
   * sha256: 64 lowercase hex characters of the executable file.
   * path: absolute path glob of the executable or script (`*` within a path segment, `**` across, `?` one character,
   *   `[abc]` a class); matched against the path given to execve and the resolved executable.
   * cmdline: JavaScript regular expression (no flags; nested quantifiers refused) tested against the command line.
   */
  value: string;
  description: string;
}

export interface BlocklistPolicy {
  /** Increases with every change; 0 = no policy ever set. */
  version: number;
  updated_at: string;
  entries: BlocklistEntry[];
}

/** What an agent sends with each poll: the version it enforces now and how. */
export interface BlocklistPoll {
  host_id: string;
  /** Version enforced now (0 when none). */
  applied_version: number;
  /** Seconds the server may hold the request when nothing changed (0..maxWaitSeconds). */
  wait_s: number;
  status: {
    /** running: entries enforced; idle: empty policy; failed: could not enforce (see error). */
    state: 'running' | 'idle' | 'failed';
    kernel_paths: number;
    userspace_entries: number;
    blocked: number;
    error?: string;
  };
}

export type BlocklistPollReply = { changed: false; version: number } | { changed: true; policy: BlocklistPolicy };

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * A quantified group that itself contains a quantifier (`(a+)+`, `(\w*)*`, `(x{2,})+`) can backtrack exponentially.
 * Such patterns are refused: command lines are tested on every exec, a slow pattern would stall enforcement.
 */
export function nestedQuantifier(pattern: string): boolean {
  const stack: { quantified: boolean }[] = [];
  let escaped = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c === '\\') {
      escaped = true;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      stack.push({ quantified: false });
      continue;
    }
    const quantifierFollows = (at: number) => {
      const q = pattern[at];
      return q === '*' || q === '+' || (q === '{' && /^\{\d+,\d*\}/.test(pattern.slice(at)));
    };
    if (c === ')') {
      const group = stack.pop();
      if (group?.quantified && quantifierFollows(i + 1)) return true;
      if (group?.quantified && stack.length) stack[stack.length - 1]!.quantified = true;
      if (quantifierFollows(i + 1) && stack.length) stack[stack.length - 1]!.quantified = true;
      continue;
    }
    if ((c === '*' || c === '+' || (c === '{' && /^\{\d+,\d*\}/.test(pattern.slice(i)))) && stack.length) stack[stack.length - 1]!.quantified = true;
  }
  return false;
}

/** Problems of one entry's value (empty when valid). */
export function entryProblems(kind: unknown, value: unknown): string[] {
  if (kind !== 'sha256' && kind !== 'path' && kind !== 'cmdline') return ['kind must be sha256, path or cmdline'];
  if (typeof value !== 'string' || !value.length) return ['value must be a non-empty string'];
  if (kind === 'sha256') return HEX64.test(value) ? [] : ['a sha256 value is 64 lowercase hex characters'];
  if (kind === 'path') {
    if (value.length > blocklistLimits.maxPathLength) return [`a path is at most ${blocklistLimits.maxPathLength} characters`];
    if (!value.startsWith('/')) return ['a path glob must be absolute (start with /)'];
    if (value.includes('\0') || value.includes('\n')) return ['a path must not contain NUL or newline characters'];
    if (/^\/+(\*\*?\/*)*$/.test(value)) return ['a path glob must not match every executable'];
    return [];
  }
  if (value.length > blocklistLimits.maxPatternLength) return [`a pattern is at most ${blocklistLimits.maxPatternLength} characters`];
  try {
    new RegExp(value);
  } catch (error) {
    return [`not a valid regular expression: ${(error as Error).message}`];
  }
  if (nestedQuantifier(value)) return ['nested quantifiers (such as (a+)+) are refused: they can take exponential time'];
  if (new RegExp(value).test('')) return ['the pattern matches an empty command line, so it would match every process'];
  return [];
}

/** Validates a policy document; throws invalid_input listing every problem with its path. */
export function parseBlocklistPolicy(value: unknown, path = '$'): BlocklistPolicy {
  const problems: VigilErrorDetail[] = [];
  const fail = (message: string, at: string) => problems.push({ message, location: { path: at } });
  const policy = value as Partial<BlocklistPolicy> | null;
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) throw new VigilError('invalid_input', 'the blocklist policy must be an object', { location: { path } });
  if (!Number.isSafeInteger(policy.version) || (policy.version as number) < 0) fail('version must be a non-negative integer', `${path}.version`);
  if (typeof policy.updated_at !== 'string' || Number.isNaN(Date.parse(policy.updated_at))) fail('updated_at must be an ISO timestamp', `${path}.updated_at`);
  if (!Array.isArray(policy.entries)) fail('entries must be a list', `${path}.entries`);
  else if (policy.entries.length > blocklistLimits.maxEntries) fail(`at most ${blocklistLimits.maxEntries} entries`, `${path}.entries`);
  else {
    const ids = new Set<string>();
    policy.entries.forEach((entry, i) => {
      const at = `${path}.entries[${i}]`;
      if (typeof entry !== 'object' || entry === null) return fail('an entry must be an object', at);
      const extra = Object.keys(entry).filter((key) => !['id', 'kind', 'value', 'description'].includes(key));
      if (extra.length) fail(`unknown field(s) ${extra.join(', ')}`, at);
      if (typeof entry.id !== 'string' || !entry.id || entry.id.length > 64) fail('id must be a string of 1 to 64 characters', `${at}.id`);
      else if (ids.has(entry.id)) fail(`id ${entry.id} appears twice`, `${at}.id`);
      else ids.add(entry.id);
      if (typeof entry.description !== 'string' || entry.description.length > blocklistLimits.maxDescriptionLength) fail(`description must be a string of at most ${blocklistLimits.maxDescriptionLength} characters`, `${at}.description`);
      for (const message of entryProblems(entry.kind, entry.value)) fail(message, `${at}.value`);
    });
  }
  if (problems.length) throw new VigilError('invalid_input', `invalid blocklist policy: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { location: problems[0]!.location!, details: problems });
  return { version: policy.version!, updated_at: policy.updated_at!, entries: policy.entries!.map((e) => ({ id: e.id, kind: e.kind, value: e.value, description: e.description })) };
}

/** Validates a poll reply from the server. */
export function parseBlocklistPollReply(value: unknown): BlocklistPollReply {
  const reply = value as { changed?: unknown; version?: unknown; policy?: unknown } | null;
  if (typeof reply !== 'object' || reply === null) throw new VigilError('invalid_input', 'blocklist poll reply must be an object', { location: { path: '$' } });
  if (reply.changed === false) {
    if (!Number.isSafeInteger(reply.version)) throw new VigilError('invalid_input', 'version must be an integer', { location: { path: '$.version' } });
    return { changed: false, version: reply.version as number };
  }
  if (reply.changed === true) return { changed: true, policy: parseBlocklistPolicy(reply.policy, '$.policy') };
  throw new VigilError('invalid_input', 'changed must be true or false', { location: { path: '$.changed' } });
}
