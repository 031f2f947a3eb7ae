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
    const { offset, message } = firstJsonError(body) ?? { offset: body.length, message: (error as Error).message };
    return { problem: { severity: 'error', message: `not valid JSON: ${message}`, location: { file, ...lineColumn(body, offset) } } };
  }
}

/**
 * The offset and a description of the first syntax error of a JSON text (JSON.parse does not always say where), or
 * undefined when the text is valid. Iterative, so deep nesting cannot overflow the stack.
 */
export function firstJsonError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const fail = (message: string) => ({ offset: i, message: i >= text.length ? `${message}: the text ends early` : `${message}, found ${JSON.stringify(text[i])}` });
  const scalar = (): { offset: number; message: string } | undefined => {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          const e = text[i + 1];
          if (e === 'u') {
            if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return fail('invalid \\u escape');
            i += 6;
            continue;
          }
          if (e === undefined || !'"\\/bfnrt'.includes(e)) return (i++, fail('invalid escape'));
          i += 2;
          continue;
        }
        if (text.charCodeAt(i) < 0x20) return fail('control character in a string');
        i++;
      }
      if (i >= text.length) return fail('unterminated string');
      i++;
      return undefined;
    }
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!literal) return fail('expected a value');
    i += literal[0].length;
    return undefined;
  };
  // Stack of open containers: '{' expects a key next, ':' a value after a key, '[' a value.
  const stack: string[] = [];
  ws();
  for (;;) {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      i++;
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) {
        i++;
      } else {
        stack.push(c);
        if (c === '{') {
          if (text[i] !== '"') return fail('expected a property name in double quotes');
          const e = scalar();
          if (e) return e;
          ws();
          if (text[i] !== ':') return fail('expected ":"');
          i++;
        }
        continue;
      }
    } else {
      const e = scalar();
      if (e) return e;
    }
    // A value ended: close containers or continue the current one.
    for (;;) {
      ws();
      const open = stack[stack.length - 1];
      if (open === undefined) {
        return i < text.length ? fail('unexpected text after the JSON value') : undefined;
      }
      if (text[i] === ',') {
        i++;
        ws();
        if (open === '{') {
          if (text[i] !== '"') return fail('expected a property name in double quotes');
          const e = scalar();
          if (e) return e;
          ws();
          if (text[i] !== ':') return fail('expected ":"');
          i++;
        }
        break;
      }
      if (text[i] === (open === '{' ? '}' : ']')) {
        i++;
        stack.pop();
        continue;
      }
      return fail(`expected "," or "${open === '{' ? '}' : ']'}"`);
    }
  }
}

/** A stable external id `<id>/<key>` of at most 200 characters (long keys are replaced by their SHA-256). */
export function externalIdOf(id: string, key: string): string {
  const full = `${id}/${key}`;
  return full.length <= 200 ? full : `${id.slice(0, 100)}/${createHash('sha256').update(key).digest('hex')}`;
}
