// A small character-level n-gram language model (Witten-Bell interpolation) that learns online and scores a string
// by its mean surprisal in bits per character. Pure TypeScript, bounded memory; never throws on any input string.

import { VigilError } from '@vigil/common';

const START = '\u0002';
const END = '\u0003';
/** Characters outside Latin-1 share one symbol (the alphabet stays small and the base distribution uniform). */
const OTHER = '\u00ff';
const ALPHABET = 256;
const MAX_LINE = 512;

interface ContextCounts {
  total: number;
  next: Map<string, number>;
}

export interface CharModelOptions {
  /** n of the n-grams: each character is predicted from up to n-1 before it (default 5). */
  order?: number;
  /** Most contexts kept; beyond it new contexts are not added (existing ones still count). Default 1,000,000. */
  maxContexts?: number;
}

function symbols(line: string): string[] {
  const out: string[] = [];
  const text = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  for (const ch of text) out.push(ch.charCodeAt(0) < 256 && ch.length === 1 ? ch : OTHER);
  return out;
}

export class CharNgramModel {
  readonly order: number;
  readonly #maxContexts: number;
  readonly #contexts = new Map<string, ContextCounts>();
  #lines = 0;

  constructor(options: CharModelOptions = {}) {
    this.order = Math.max(1, Math.min(8, options.order ?? 5));
    this.#maxContexts = options.maxContexts ?? 1_000_000;
  }

  get lines(): number {
    return this.#lines;
  }

  get contexts(): number {
    return this.#contexts.size;
  }

  #probability(history: string, symbol: string): number {
    let p = 1 / ALPHABET;
    // From the empty context up to the longest, each level interpolates with the one below (Witten-Bell).
    for (let k = 0; k <= history.length; k++) {
      const context = this.#contexts.get(history.slice(history.length - k));
      if (!context) break;
      const types = context.next.size;
      p = ((context.next.get(symbol) ?? 0) + types * p) / (context.total + types);
    }
    return p;
  }

  /** Mean surprisal of the string in bits per character (its end included). */
  surprisal(line: string): number {
    const chars = [...symbols(line), END];
    let history = START.repeat(this.order - 1);
    let bits = 0;
    for (const c of chars) {
      bits -= Math.log2(this.#probability(history, c));
      history = (history + c).slice(1);
    }
    return bits / chars.length;
  }

  learn(line: string): void {
    const chars = [...symbols(line), END];
    let history = START.repeat(this.order - 1);
    for (const c of chars) {
      for (let k = 0; k < this.order; k++) {
        const key = history.slice(history.length - k);
        let context = this.#contexts.get(key);
        if (!context) {
          if (this.#contexts.size >= this.#maxContexts) continue;
          this.#contexts.set(key, (context = { total: 0, next: new Map() }));
        }
        context.total++;
        context.next.set(c, (context.next.get(c) ?? 0) + 1);
      }
      history = (history + c).slice(1);
    }
    this.#lines++;
  }

  toJSON(): unknown {
    return { order: this.order, lines: this.#lines, contexts: [...this.#contexts].map(([key, c]) => [key, [...c.next]]) };
  }

  static fromJSON(state: unknown, path = 'model'): CharNgramModel {
    const s = state as { order?: unknown; lines?: unknown; contexts?: unknown } | null;
    const fail = (at: string, message: string) => new VigilError('invalid_input', `character model: ${message}`, { location: { path: at } });
    if (!s || typeof s !== 'object' || typeof s.order !== 'number' || typeof s.lines !== 'number' || !Array.isArray(s.contexts)) throw fail(path, 'expected { order, lines, contexts }');
    const model = new CharNgramModel({ order: s.order });
    s.contexts.forEach((row: unknown, i: number) => {
      const r = row as unknown[];
      if (!Array.isArray(r) || typeof r[0] !== 'string' || !Array.isArray(r[1])) throw fail(`${path}.contexts[${i}]`, 'expected [context, [[symbol, count]...]]');
      const next = new Map<string, number>();
      let total = 0;
      for (const pair of r[1] as unknown[]) {
        const p = pair as unknown[];
        if (!Array.isArray(p) || typeof p[0] !== 'string' || typeof p[1] !== 'number' || !(p[1] > 0)) throw fail(`${path}.contexts[${i}]`, 'expected [symbol, positive count]');
        next.set(p[0], p[1]);
        total += p[1];
      }
      model.#contexts.set(r[0], { total, next });
    });
    model.#lines = s.lines;
    return model;
  }
}
