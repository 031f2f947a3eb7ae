// Reads text holding one or several JSON values written back to back (evtx_dump output, SigmaHQ regression .json files).
// Never accepts what JSON.parse would reject inside a value; every syntax error is a VigilError with file, line and column.

import { VigilError } from '@vigil/common';

/** Deepest nesting of arrays and objects accepted; deeper input is a syntax error rather than a stack overflow. */
const MAX_DEPTH = 512;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

class Reader {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  fail(message: string, at = this.position): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    const column = at - lineStart + 1;
    throw new VigilError('invalid_input', `${this.file}:${line}:${column}: ${message}`, { location: { file: this.file, line, column } });
  }

  /** Skips JSON whitespace; true when text remains. */
  skipWhitespace(): boolean {
    const text = this.text;
    while (this.position < text.length) {
      const code = text.charCodeAt(this.position);
      if (code !== 32 && code !== 9 && code !== 10 && code !== 13) return true;
      this.position++;
    }
    return false;
  }

  private found(): string {
    const char = this.text[this.position];
    return char === undefined ? 'the end of the text' : JSON.stringify(char);
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char) this.fail(`expected ${JSON.stringify(char)} but found ${this.found()}`);
    this.position++;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`values nested deeper than ${MAX_DEPTH} levels`);
    this.skipWhitespace();
    const char = this.text[this.position];
    switch (char) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
    }
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.number();
    return this.fail(`expected a JSON value but found ${this.found()}`);
  }

  private literal(word: string, value: unknown): unknown {
    if (!this.text.startsWith(word, this.position)) this.fail(`expected ${word} but found ${this.found()}`);
    this.position += word.length;
    return value;
  }

  private number(): number {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail(`malformed number`);
    this.position += match[0].length;
    return Number(match[0]);
  }

  private string(): string {
    const start = this.position;
    this.position++;
    for (;;) {
      STRING_RUN.lastIndex = this.position;
      this.position += (STRING_RUN.exec(this.text)?.[0] ?? '').length;
      const char = this.text[this.position];
      if (char === '"') {
        this.position++;
        return JSON.parse(this.text.slice(start, this.position)) as string;
      }
      if (char === '\\') {
        ESCAPE.lastIndex = this.position;
        const escape = ESCAPE.exec(this.text);
        if (!escape) this.fail('invalid escape sequence in string');
        this.position += escape[0].length;
        continue;
      }
      if (char === undefined) this.fail('unterminated string', start);
      this.fail('control character in string (must be escaped)');
    }
  }

  private array(depth: number): unknown[] {
    this.position++;
    const items: unknown[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.skipWhitespace();
      if (this.text[this.position] === ',') {
        this.position++;
        continue;
      }
      this.expect(']');
      return items;
    }
  }

  private object(depth: number): Record<string, unknown> {
    this.position++;
    const object: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return object;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail(`expected a property name in double quotes but found ${this.found()}`);
      const key = this.string();
      this.skipWhitespace();
      this.expect(':');
      // defineProperty keeps `__proto__` an ordinary key, as JSON.parse does.
      Object.defineProperty(object, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      if (this.text[this.position] === ',') {
        this.position++;
        continue;
      }
      this.expect('}');
      return object;
    }
  }
}

/** Splits a file holding one or several concatenated JSON objects (the corpus's regression .json files) into values; never throws on trailing whitespace; a syntax error is a VigilError with line and column. */
export function parseConcatenatedJson(text: string, file: string): unknown[] {
  const reader = new Reader(text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text, file);
  const values: unknown[] = [];
  while (reader.skipWhitespace()) values.push(reader.value(0));
  return values;
}
