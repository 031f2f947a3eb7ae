// Builds the one error shape of the hunting language: `invalid_input` with a 1-based line and column in the query.
// Never throws anything but VigilError, and never echoes more than a short excerpt of the query.

import { VigilError } from '@vigil/common';

/** 1-based line and column of a 0-based offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.max(0, Math.min(offset, text.length));
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * `problem` says what is wrong ("unknown field \"proces.name\""); the column is appended, then the hint
 * ("did you mean \"process.name\"?"), which is also the error's one detail.
 */
export function queryError(text: string, offset: number, problem: string, hint?: string): VigilError {
  const { line, column } = lineAndColumn(text, offset);
  const where = line > 1 ? `line ${line}, column ${column}` : `column ${column}`;
  return new VigilError('invalid_input', `${problem} at ${where}${hint ? `; ${hint}` : ''}`, {
    location: { path: 'query', line, column },
    details: hint ? [{ message: hint }] : [],
  });
}

/** Quotes a piece of user text for a message, cut short and with control characters made visible. */
export function quoted(text: string, max = 40): string {
  const cut = text.length > max ? text.slice(0, max) + '…' : text;
  return JSON.stringify(cut);
}

/** Edit distance (insert, delete, substitute, swap of neighbours) for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

/** Up to three candidates closest to `name`, nearest first; empty when nothing is plausibly meant. */
export function closest(name: string, candidates: Iterable<string>): string[] {
  const lower = name.toLowerCase();
  const limit = Math.max(2, Math.floor(name.length / 3));
  const scored: { candidate: string; distance: number }[] = [];
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    let distance = Math.abs(c.length - lower.length) > limit ? limit + 1 : editDistance(lower, c);
    if (distance > limit && (c.endsWith('.' + lower) || c.endsWith(lower) && lower.length >= 4)) distance = limit;
    if (distance <= limit) scored.push({ candidate, distance });
  }
  scored.sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, 3).map((s) => s.candidate);
}

/** "did you mean "a"?" / "did you mean "a" or "b"?" or undefined. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const best = closest(name, candidates);
  if (!best.length) return undefined;
  return `did you mean ${best.map((b) => `"${b}"`).join(' or ')}?`;
}
