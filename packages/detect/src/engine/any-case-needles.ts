// A few ASCII needles searched in text as read, without lower-casing it: one case-insensitive regex over all of them.
// Must never miss a needle that `text.toLowerCase()` contains; may report one it does not (only around U+0130).

import type { MultiPatternMatcher } from './aho-corasick.js';

/** Whether `needles` (lower-case) can be searched with `anyCaseNeedles`: all ASCII, none empty. */
export function anyCaseSearchable(needles: readonly string[]): boolean {
  return needles.length > 0 && needles.every((needle) => needle.length > 0 && /^[\x00-\x7f]+$/.test(needle) && needle === needle.toLowerCase());
}

/**
 * The source of a regex that, with the `i` flag and without `u`, matches every text whose lower-cased form contains
 * `needle`. Without `u`, `i` folds ASCII letters only among themselves; of all other characters only U+0130 (to "i̇")
 * and U+212A KELVIN SIGN (to "k") lower-case to something with an ASCII character, so those two are allowed for i and k.
 */
function needleSource(needle: string): string {
  let source = '';
  for (const char of needle) {
    if (char === 'i') source += '(?:i|\u0130)';
    else if (char === 'k') source += '[k\u212a]';
    else source += /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
  }
  return source;
}

/** The matcher over texts as read: `search(text)` reports needle i when `text.toLowerCase().includes(needles[i])`. */
export function anyCaseNeedles(needles: readonly string[]): MultiPatternMatcher {
  if (!anyCaseSearchable(needles)) throw new RangeError('anyCaseNeedles takes non-empty lower-case ASCII needles');
  const sources = needles.map(needleSource);
  const any = new RegExp(sources.join('|'), 'i');
  const each = sources.map((source) => new RegExp(source, 'i'));
  // Each needle unit comes from its own text unit (lower-casing maps one unit to one or more, never several to one
  // ASCII unit), so a text shorter than the shortest needle holds none: skipped without running the regex.
  const shortest = Math.min(...needles.map((needle) => needle.length));
  return {
    patternCount: needles.length,
    stateCount: 0,
    search(text, found) {
      if (text.length < shortest || !any.test(text)) return;
      if (each.length === 1) found(0);
      else for (let i = 0; i < each.length; i++) if (each[i]!.test(text)) found(i);
    },
    test: (text) => text.length >= shortest && any.test(text),
  };
}
