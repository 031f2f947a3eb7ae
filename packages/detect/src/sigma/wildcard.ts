// Sigma string patterns: `*` (any run), `?` (one character), escapes `\*` `\?` `\\`; compiled once into fast string tests.
// Never builds a RegExp at match time, and only builds one at all for patterns with `?` (plain `*` patterns use indexOf).

/** One piece of a Sigma string: literal text, or a wildcard. */
export type PatternPart = { kind: 'text'; text: string } | { kind: 'any' } | { kind: 'one' };

/** A test over an already normalized (lower-cased unless cased) event string. */
export type StringTest = (value: string) => boolean;

/** Splits a Sigma string into parts; `\*`, `\?`, `\\` are escapes, any other backslash is literal. */
export function parseSigmaString(value: string): PatternPart[] {
  const parts: PatternPart[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
  };
  for (let index = 0; index < value.length; index++) {
    const char = value[index] as string;
    if (char === '\\') {
      const following = value[index + 1];
      if (following === '*' || following === '?' || following === '\\') {
        text += following;
        index++;
      } else text += char;
    } else if (char === '*' || char === '?') {
      flush();
      parts.push(char === '*' ? { kind: 'any' } : { kind: 'one' });
    } else text += char;
  }
  flush();
  return normalizeParts(parts);
}

/** A pattern matching exactly `text` (no wildcards). */
export function literalPattern(text: string): PatternPart[] {
  return text === '' ? [] : [{ kind: 'text', text }];
}

/** Merges adjacent text parts and collapses runs of `*`. */
export function normalizeParts(parts: readonly PatternPart[]): PatternPart[] {
  const result: PatternPart[] = [];
  for (const part of parts) {
    const last = result[result.length - 1];
    if (part.kind === 'text') {
      if (part.text === '') continue;
      if (last?.kind === 'text') result[result.length - 1] = { kind: 'text', text: last.text + part.text };
      else result.push(part);
    } else if (part.kind === 'any') {
      if (last?.kind !== 'any') result.push(part);
    } else result.push(part);
  }
  return result;
}

export function hasWildcards(parts: readonly PatternPart[]): boolean {
  return parts.some((part) => part.kind !== 'text');
}

/** Text of a wildcard-free pattern. */
export function plainText(parts: readonly PatternPart[]): string {
  return parts.map((part) => (part.kind === 'text' ? part.text : '')).join('');
}

/** Applies contains/startswith/endswith: `*` added where the pattern is open. */
export function openPattern(parts: readonly PatternPart[], start: boolean, end: boolean): PatternPart[] {
  const result = parts.slice();
  if (start && result[0]?.kind !== 'any') result.unshift({ kind: 'any' });
  if (end && result[result.length - 1]?.kind !== 'any') result.push({ kind: 'any' });
  return result;
}

export function lowerParts(parts: readonly PatternPart[]): PatternPart[] {
  return parts.map((part) => (part.kind === 'text' ? { kind: 'text', text: part.text.toLowerCase() } : part));
}

/** The longest wildcard-free run of the pattern (as written: lower-case it for a case-insensitive needle). */
export function longestLiteral(parts: readonly PatternPart[]): string {
  let best = '';
  for (const part of parts) if (part.kind === 'text' && part.text.length > best.length) best = part.text;
  return best;
}

/** Compiles a pattern into a test on a string already normalized the same way as the pattern's text. */
export function compilePattern(parts: readonly PatternPart[]): StringTest {
  if (parts.length === 0) return (value) => value === '';
  if (parts.some((part) => part.kind === 'one')) return regexTest(parts);
  const first = parts[0] as PatternPart;
  const last = parts[parts.length - 1] as PatternPart;
  if (parts.length === 1) {
    if (first.kind === 'text') {
      const text = first.text;
      return (value) => value === text;
    }
    return () => true;
  }
  if (parts.length === 2) {
    if (first.kind === 'text') {
      const text = first.text;
      return (value) => value.startsWith(text);
    }
    if (last.kind === 'text') {
      const text = last.text;
      return (value) => value.endsWith(text);
    }
  }
  if (parts.length === 3 && first.kind === 'any' && last.kind === 'any') {
    const middle = parts[1] as { kind: 'text'; text: string };
    const text = middle.text;
    return (value) => value.includes(text);
  }
  return segmentTest(parts);
}

/** `*`-only patterns: anchored prefix and suffix, then the inner segments left to right. */
function segmentTest(parts: readonly PatternPart[]): StringTest {
  const texts = parts.filter((part): part is { kind: 'text'; text: string } => part.kind === 'text').map((part) => part.text);
  const anchoredStart = parts[0]?.kind === 'text';
  const anchoredEnd = parts[parts.length - 1]?.kind === 'text';
  const prefix = anchoredStart ? (texts.shift() as string) : '';
  const suffix = anchoredEnd ? (texts.pop() as string) : '';
  const inner = texts;
  const minimum = prefix.length + suffix.length;
  return (value) => {
    if (value.length < minimum) return false;
    if (anchoredStart && !value.startsWith(prefix)) return false;
    if (anchoredEnd && !value.endsWith(suffix)) return false;
    let position = prefix.length;
    const end = value.length - suffix.length;
    for (const text of inner) {
      const found = value.indexOf(text, position);
      if (found < 0 || found + text.length > end) return false;
      position = found + text.length;
    }
    return true;
  };
}

function regexTest(parts: readonly PatternPart[]): StringTest {
  const source = parts
    .map((part) => (part.kind === 'text' ? part.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : part.kind === 'any' ? '[\\s\\S]*' : '[\\s\\S]'))
    .join('');
  const expression = new RegExp('^' + source + '$');
  return (value) => expression.test(value);
}
