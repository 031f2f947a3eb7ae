// JSON documents for the STIX and MISP parsers: a syntax error becomes a problem with the file's line and column.
// Never returns a partial document.

import { createHash } from 'node:crypto';
import type { ImportProblem } from '../core.js';

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export function parseJsonDocument(text: string, file: string): { value: unknown } | { problem: ImportProblem } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { value: JSON.parse(body) };
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : body.length;
    return { problem: { severity: 'error', message: `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`, location: { file, ...lineColumn(body, offset) } } };
  }
}

/** A stable external id `<id>/<key>` of at most 200 characters (long keys are replaced by their SHA-256). */
export function externalIdOf(id: string, key: string): string {
  const full = `${id}/${key}`;
  return full.length <= 200 ? full : `${id.slice(0, 100)}/${createHash('sha256').update(key).digest('hex')}`;
}
