// Splits YARA rule source into its imports and rule declarations, and a rule's condition into tokens, without the
// engine. Used only to partition a rule set (partition.ts); never decides a match. Throws VigilError on text it cannot
// split, so the caller falls back to the unpartitioned set.

import { VigilError } from '@vigil/common';

export interface Token {
  kind: 'ident' | 'number' | 'string' | 'regex' | 'hex' | 'punct';
  text: string;
  start: number;
  end: number;
}

/** One rule declaration: its full text (modifiers to closing brace), name and condition tokens. */
export interface RuleDeclaration {
  name: string;
  text: string;
  isPrivate: boolean;
  isGlobal: boolean;
  condition: Token[];
}

export interface SplitSource {
  /** Module names of the file's `import "x"` statements. */
  imports: string[];
  rules: RuleDeclaration[];
}

const PUNCT = ['..', '==', '!=', '<=', '>=', '<<', '>>', '(', ')', '[', ']', '{', '}', ':', ',', '=', '<', '>', '+', '-', '*', '\\', '%', '&', '|', '^', '~', '.', '@', '#', '!', '/'];

function fail(message: string, offset: number, text: string): never {
  const line = text.slice(0, offset).split('\n').length;
  throw new VigilError('invalid_input', `cannot split rule source: ${message} at line ${line}`);
}

/**
 * Tokens of a rule file; comments dropped. Context decides the two ambiguous forms: `{` after `=` opens a hex string,
 * `/` after `=` or `matches` opens a regular expression.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  const last = (): Token | undefined => tokens[tokens.length - 1];
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) fail('unterminated comment', i, text);
      i = close + 2;
      continue;
    }
    const start = i;
    if (c === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\') i++;
        if (text[i] === '\n') fail('newline in string', i, text);
        i++;
      }
      if (i >= n) fail('unterminated string', start, text);
      i++;
      tokens.push({ kind: 'string', text: text.slice(start, i), start, end: i });
      continue;
    }
    const prev = last();
    if (c === '{' && prev?.text === '=') {
      // Hex strings may hold comments, and a comment may hold a brace.
      i++;
      while (i < n && text[i] !== '}') {
        if (text.startsWith('//', i)) while (i < n && text[i] !== '\n') i++;
        else if (text.startsWith('/*', i)) {
          const end = text.indexOf('*/', i + 2);
          if (end < 0) fail('unterminated comment', i, text);
          i = end + 2;
        } else i++;
      }
      if (i >= n) fail('unterminated hex string', start, text);
      i++;
      tokens.push({ kind: 'hex', text: text.slice(start, i), start, end: i });
      continue;
    }
    if (c === '/' && (prev?.text === '=' || prev?.text === 'matches')) {
      i++;
      let inClass = false;
      while (i < n && (inClass || text[i] !== '/')) {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
        if (text[i] === '\n') fail('newline in regular expression', i, text);
        i++;
      }
      if (i >= n) fail('unterminated regular expression', start, text);
      i++;
      while (i < n && /[a-z]/.test(text[i]!)) i++;
      tokens.push({ kind: 'regex', text: text.slice(start, i), start, end: i });
      continue;
    }
    if (/[A-Za-z_$#@!]/.test(c) && (c !== '!' || /[A-Za-z_0-9*]/.test(text[i + 1] ?? ''))) {
      // Identifiers, keywords and pattern references ($a, #a, @a, !a, $a*, $).
      i++;
      while (i < n && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      if (text[i] === '*') i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c)) {
      i++;
      while (i < n && /[0-9A-Za-z_.]/.test(text[i]!) && !(text[i] === '.' && text[i + 1] === '.')) i++;
      tokens.push({ kind: 'number', text: text.slice(start, i), start, end: i });
      continue;
    }
    const punct = PUNCT.find((p) => text.startsWith(p, i));
    if (!punct) fail(`unexpected character ${JSON.stringify(c)}`, i, text);
    i += punct.length;
    tokens.push({ kind: 'punct', text: punct, start, end: i });
  }
  return tokens;
}

/** Imports and rule declarations of one rule file, in order. */
export function splitRuleSource(text: string): SplitSource {
  const tokens = tokenize(text);
  const imports: string[] = [];
  const rules: RuleDeclaration[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.text === 'import') {
      const name = tokens[i + 1];
      if (name?.kind !== 'string') fail('import without a module name', t.start, text);
      imports.push(JSON.parse(name.text) as string);
      i += 2;
      continue;
    }
    if (t.text === 'include') fail('include statements are not supported', t.start, text);
    const declStart = t.start;
    let isPrivate = false;
    let isGlobal = false;
    while (tokens[i]?.text === 'private' || tokens[i]?.text === 'global') {
      if (tokens[i]!.text === 'private') isPrivate = true;
      else isGlobal = true;
      i++;
    }
    if (tokens[i]?.text !== 'rule') fail(`expected a rule, found ${JSON.stringify(tokens[i]?.text ?? 'end of file')}`, tokens[i]?.start ?? text.length, text);
    const name = tokens[i + 1];
    if (name?.kind !== 'ident') fail('rule without a name', t.start, text);
    i += 2;
    while (i < tokens.length && tokens[i]!.text !== '{') i++;
    if (i >= tokens.length) fail('rule without a body', t.start, text);
    i++;
    let depth = 1;
    let conditionAt = -1;
    const bodyStart = i;
    while (i < tokens.length && depth > 0) {
      const b = tokens[i]!;
      if (b.text === '{') depth++;
      else if (b.text === '}') depth--;
      else if (b.text === 'condition' && tokens[i + 1]?.text === ':' && depth === 1) conditionAt = i + 2;
      i++;
    }
    if (depth > 0) fail(`rule ${name.text} is not closed`, t.start, text);
    if (conditionAt < bodyStart) fail(`rule ${name.text} has no condition`, t.start, text);
    const close = tokens[i - 1]!;
    rules.push({ name: name.text, text: text.slice(declStart, close.end), isPrivate, isGlobal, condition: tokens.slice(conditionAt, i - 1) });
  }
  return { imports, rules };
}

/** Splits tokens at depth-0 occurrences of a keyword (`and`, `or`). */
function splitTop(tokens: readonly Token[], keyword: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    if (depth === 0 && t.kind === 'ident' && t.text === keyword) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}

/** True when the tokens are one parenthesised group: `( ... )` with the first paren closing at the end. */
function wrapped(tokens: readonly Token[]): boolean {
  if (tokens[0]?.text !== '(' || tokens[tokens.length - 1]?.text !== ')') return false;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.text;
    if (t === '(') depth++;
    else if (t === ')') depth--;
    if (depth === 0 && i < tokens.length - 1) return false;
  }
  return true;
}

export function unwrap(tokens: readonly Token[]): readonly Token[] {
  let inner = tokens;
  while (wrapped(inner)) inner = inner.slice(1, -1);
  return inner;
}

/**
 * The top-level conjuncts of a condition: `a and (b and c)` gives a, b, c. A condition (or a group) with a depth-0
 * `or` is one conjunct (`and` binds tighter than `or`, so it cannot be split).
 */
export function conjuncts(tokens: readonly Token[]): Token[][] {
  const inner = unwrap(tokens);
  if (splitTop(inner, 'or').length > 1) return [[...inner]];
  const parts = splitTop(inner, 'and');
  if (parts.length === 1) return [[...inner]];
  return parts.flatMap((p) => conjuncts(p));
}

/** The depth-0 `or` alternatives of a conjunct (one element when there is no `or`). */
export function disjuncts(tokens: readonly Token[]): Token[][] {
  return splitTop(unwrap(tokens), 'or').map((p) => [...unwrap(p)]);
}
