// A small character-level n-gram language model (Witten-Bell interpolation) that learns online and scores a string
// by its mean surprisal in bits per character. Pure TypeScript, bounded memory; never throws on any input string.

import { VigilError } from '@vigil/common';

const START = 2;
const END = 3;
/** Characters outside Latin-1 share one symbol (the alphabet stays small and the base distribution uniform). */
const OTHER = 0xff;
const ALPHABET = 256;
const MAX_LINE = 512;

/**
 * A node of the suffix trie of contexts: the root is the empty context, and the child for symbol s of the node of
 * context c is the context s + c (contexts are read backwards from the predicted character, so one walk from the root
 * visits every context length of a position without building strings).
 */
interface ContextNode {
  /** Characters counted after this context; -1 when the node only leads to longer contexts (never learned itself). */
  total: number;
  next: Map<number, number>;
  children: Map<number, ContextNode> | undefined;
}

export interface CharModelOptions {
  /** n of the n-grams: each character is predicted from up to n-1 before it (default 5). */
  order?: number;
  /** Most contexts kept; beyond it new contexts are not added (existing ones still count). Default 1,000,000. */
  maxContexts?: number;
}

const newNode = (): ContextNode => ({ total: -1, next: new Map(), children: undefined });

export class CharNgramModel {
  readonly order: number;
  readonly #maxContexts: number;
  readonly #root = newNode();
  #contextCount = 0;
  #lines = 0;
  /** Scratch of surprisalThenLearn: the node of each (position, context length), undefined where none existed. */
  readonly #found: (ContextNode | undefined)[] = [];

  constructor(options: CharModelOptions = {}) {
    this.order = Math.max(1, Math.min(8, options.order ?? 5));
    this.#maxContexts = options.maxContexts ?? 1_000_000;
  }

  get lines(): number {
    return this.#lines;
  }

  get contexts(): number {
    return this.#contextCount;
  }

  /** Symbol codes of the line (cut at MAX_LINE UTF-16 units) after order-1 start symbols, then the end symbol. */
  #codes(line: string): number[] {
    const out: number[] = new Array<number>(this.order - 1).fill(START);
    const text = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
    for (const ch of text) {
      const code = ch.charCodeAt(0);
      out.push(code < ALPHABET && ch.length === 1 ? code : OTHER);
    }
    out.push(END);
    return out;
  }

  /** Probability of codes[at] after the order-1 symbols before it, each context length interpolated with the shorter (Witten-Bell). */
  #probability(codes: readonly number[], at: number): number {
    const symbol = codes[at]!;
    let p = 1 / ALPHABET;
    let node: ContextNode | undefined = this.#root;
    for (let k = 0; k < this.order; k++) {
      if (k > 0) node = node.children?.get(codes[at - k]!);
      if (!node || node.total < 0) break;
      const types = node.next.size;
      p = ((node.next.get(symbol) ?? 0) + types * p) / (node.total + types);
    }
    return p;
  }

  /** Mean surprisal of the string in bits per character (its end included). */
  surprisal(line: string): number {
    const codes = this.#codes(line);
    let bits = 0;
    for (let at = this.order - 1; at < codes.length; at++) bits -= Math.log2(this.#probability(codes, at));
    return bits / (codes.length - (this.order - 1));
  }

  learn(line: string): void {
    this.#learnCodes(this.#codes(line), undefined);
  }

  /**
   * The surprisal the string had before this call, then learns it: exactly `surprisal(line)` followed by `learn(line)`,
   * with one walk finding the context nodes of each position (learning reuses the nodes the scoring walk found).
   */
  surprisalThenLearn(line: string): number {
    const codes = this.#codes(line);
    const order = this.order;
    const found = this.#found;
    found.length = (codes.length - (order - 1)) * order;
    let bits = 0;
    for (let at = order - 1; at < codes.length; at++) {
      const symbol = codes[at]!;
      const slot = (at - (order - 1)) * order;
      let p = 1 / ALPHABET;
      let scoring = true;
      let node: ContextNode | undefined = this.#root;
      for (let k = 0; k < order; k++) {
        if (k > 0) node = node!.children?.get(codes[at - k]!);
        found[slot + k] = node;
        if (!node) {
          for (let rest = k + 1; rest < order; rest++) found[slot + rest] = undefined;
          break;
        }
        // As in #probability: the interpolation stops at the first context not learned itself (the walk goes on, for learning).
        if (scoring && node.total < 0) scoring = false;
        if (scoring) {
          const types = node.next.size;
          p = ((node.next.get(symbol) ?? 0) + types * p) / (node.total + types);
        }
      }
      bits -= Math.log2(p);
    }
    this.#learnCodes(codes, found);
    found.length = 0;
    return bits / (codes.length - (order - 1));
  }

  /** Learns the symbol codes; `found[(at - (order - 1)) * order + k]`, when given, is the node of that context or undefined (look it up). */
  #learnCodes(codes: readonly number[], found: readonly (ContextNode | undefined)[] | undefined): void {
    for (let at = this.order - 1; at < codes.length; at++) {
      const symbol = codes[at]!;
      const slot = (at - (this.order - 1)) * this.order;
      let node = this.#root;
      for (let k = 0; k < this.order; k++) {
        if (k > 0) {
          const before = codes[at - k]!;
          let child = found?.[slot + k] ?? node.children?.get(before);
          if (!child) {
            // No node: no longer context of this position exists either.
            if (this.#contextCount >= this.#maxContexts) break;
            child = newNode();
            (node.children ??= new Map()).set(before, child);
          }
          node = child;
        }
        if (node.total < 0) {
          if (this.#contextCount >= this.#maxContexts) continue;
          node.total = 0;
          this.#contextCount++;
        }
        node.total++;
        node.next.set(symbol, (node.next.get(symbol) ?? 0) + 1);
      }
    }
    this.#lines++;
  }

  /** The node of a context given as text (its characters in reading order), created with its path when missing. */
  #nodeOf(context: string): ContextNode {
    let node = this.#root;
    for (let i = context.length - 1; i >= 0; i--) {
      const code = context.charCodeAt(i);
      let child = node.children?.get(code);
      if (!child) (node.children ??= new Map()).set(code, (child = newNode()));
      node = child;
    }
    return node;
  }

  /** `{ order, lines, contexts: [[context text, [[symbol, count]...]]...] }`, contexts in no particular order. */
  toJSON(): unknown {
    const contexts: [string, [string, number][]][] = [];
    const walk = (node: ContextNode, context: string) => {
      if (node.total >= 0) contexts.push([context, [...node.next].map(([code, count]) => [String.fromCharCode(code), count])]);
      if (node.children) for (const [code, child] of node.children) walk(child, String.fromCharCode(code) + context);
    };
    walk(this.#root, '');
    return { order: this.order, lines: this.#lines, contexts };
  }

  static fromJSON(state: unknown, path = 'model'): CharNgramModel {
    const s = state as { order?: unknown; lines?: unknown; contexts?: unknown } | null;
    const fail = (at: string, message: string) => new VigilError('invalid_input', `character model: ${message}`, { location: { path: at } });
    if (!s || typeof s !== 'object' || typeof s.order !== 'number' || typeof s.lines !== 'number' || !Array.isArray(s.contexts)) throw fail(path, 'expected { order, lines, contexts }');
    const model = new CharNgramModel({ order: s.order });
    s.contexts.forEach((row: unknown, i: number) => {
      const r = row as unknown[];
      if (!Array.isArray(r) || typeof r[0] !== 'string' || !Array.isArray(r[1])) throw fail(`${path}.contexts[${i}]`, 'expected [context, [[symbol, count]...]]');
      const next = new Map<number, number>();
      let total = 0;
      for (const pair of r[1] as unknown[]) {
        const p = pair as unknown[];
        if (!Array.isArray(p) || typeof p[0] !== 'string' || p[0].length !== 1 || typeof p[1] !== 'number' || !(p[1] > 0)) throw fail(`${path}.contexts[${i}]`, 'expected [one-character symbol, positive count]');
        next.set(p[0].charCodeAt(0), p[1]);
        total += p[1];
      }
      const node = model.#nodeOf(r[0]);
      if (node.total < 0) model.#contextCount++;
      node.total = total;
      node.next = next;
    });
    model.#lines = s.lines;
    return model;
  }
}
