import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { CharNgramModel } from './char-ngram.js';

/**
 * The model as first written: contexts as strings in one map. The shipped model keeps them in a suffix trie for speed;
 * both must give the same numbers for the same history, bit for bit.
 */
class StringKeyedModel {
  readonly contexts = new Map<string, { total: number; next: Map<string, number> }>();
  constructor(
    readonly order: number,
    readonly maxContexts: number,
  ) {}
  #symbols(line: string): string[] {
    const out: string[] = [];
    for (const ch of line.length > 512 ? line.slice(0, 512) : line) out.push(ch.charCodeAt(0) < 256 && ch.length === 1 ? ch : '\u00ff');
    return [...out, '\u0003'];
  }
  surprisal(line: string): number {
    const chars = this.#symbols(line);
    let history = '\u0002'.repeat(this.order - 1);
    let bits = 0;
    for (const c of chars) {
      let p = 1 / 256;
      for (let k = 0; k <= history.length; k++) {
        const context = this.contexts.get(history.slice(history.length - k));
        if (!context) break;
        p = ((context.next.get(c) ?? 0) + context.next.size * p) / (context.total + context.next.size);
      }
      bits -= Math.log2(p);
      history = (history + c).slice(1);
    }
    return bits / chars.length;
  }
  learn(line: string): void {
    let history = '\u0002'.repeat(this.order - 1);
    for (const c of this.#symbols(line)) {
      for (let k = 0; k < this.order; k++) {
        const key = history.slice(history.length - k);
        let context = this.contexts.get(key);
        if (!context) {
          if (this.contexts.size >= this.maxContexts) continue;
          this.contexts.set(key, (context = { total: 0, next: new Map() }));
        }
        context.total++;
        context.next.set(c, (context.next.get(c) ?? 0) + 1);
      }
      history = (history + c).slice(1);
    }
  }
}

const sortedContexts = (state: unknown) =>
  ((state as { contexts: [string, [string, number][]][] }).contexts.map(([key, next]) => [key, [...next].sort()]) as [string, unknown][]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

test('the trie model gives exactly the numbers of the string-keyed model, with and without a context cap', () => {
  const random = seededRandom(11);
  const alphabet = ['a', 'b', 'c', ' ', '-', '/', 'é', '\u0002', '\u00ff', '😀', '\ud800', 'x'];
  const line = () => Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]!).join('');
  for (const [order, maxContexts] of [[1, 1_000_000], [3, 1_000_000], [5, 1_000_000], [5, 300], [8, 50]] as const) {
    const model = new CharNgramModel({ order, maxContexts });
    const reference = new StringKeyedModel(order, maxContexts);
    for (let i = 0; i < 400; i++) {
      const probe = line();
      assert.equal(model.surprisal(probe), reference.surprisal(probe), `order ${order}, cap ${maxContexts}, line ${i}: ${JSON.stringify(probe)}`);
      const learned = line();
      model.learn(learned);
      reference.learn(learned);
      assert.equal(model.contexts, reference.contexts.size);
    }
    const expected = [...reference.contexts].map(([key, c]) => [key, [...c.next].sort()] as [string, unknown]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    assert.deepEqual(sortedContexts(model.toJSON()), expected);
    const copy = CharNgramModel.fromJSON(JSON.parse(JSON.stringify(model)));
    assert.equal(copy.contexts, model.contexts);
    for (let i = 0; i < 50; i++) {
      const probe = line();
      assert.equal(copy.surprisal(probe), model.surprisal(probe));
    }
  }
});

test('a restored state with a long context but not its shorter ones is learned and scored as the string-keyed model did', () => {
  const state = { order: 3, lines: 1, contexts: [['ab', [['c', 2]]], ['', [['a', 1], ['c', 1]]]] };
  const model = CharNgramModel.fromJSON(state);
  const reference = new StringKeyedModel(3, 1_000_000);
  reference.contexts.set('ab', { total: 2, next: new Map([['c', 2]]) });
  reference.contexts.set('', { total: 2, next: new Map([['a', 1], ['c', 1]]) });
  assert.equal(model.contexts, 2);
  assert.equal(model.surprisal('abc'), reference.surprisal('abc'));
  model.learn('zabc');
  reference.learn('zabc');
  assert.equal(model.surprisal('abcab'), reference.surprisal('abcab'));
  assert.equal(model.contexts, reference.contexts.size);
});

test('a restored state with a symbol that is not one character is refused with its location', () => {
  assert.throws(() => CharNgramModel.fromJSON({ order: 3, lines: 1, contexts: [['a', [['bc', 1]]]] }, 'state.model'), (error: Error & { location?: { path?: string } }) => {
    assert.match(error.message, /one-character symbol/);
    assert.equal(error.location?.path, 'state.model.contexts[0]');
    return true;
  });
});

test('equivalence: surprisalThenLearn returns what surprisal returned and learns what learn learns (caps, restored states)', () => {
  const random = seededRandom(2026_12_05);
  const alphabet = ['a', 'b', 'c', ' ', '-', '/', 'é', '\u0002', '\u0003', '\u00ff', '😀', '\ud800', 'x', '<', '>'];
  const line = () => Array.from({ length: Math.floor(random() * (random() < 0.05 ? 700 : 40)) }, () => alphabet[Math.floor(random() * alphabet.length)]!).join('');
  const restored = { order: 3, lines: 1, contexts: [['ab', [['c', 2]]], ['', [['a', 1], ['c', 1]]], ['xab', [['a', 1]]]] };
  const starts: [string, () => CharNgramModel][] = [
    ['order 1', () => new CharNgramModel({ order: 1 })],
    ['order 3', () => new CharNgramModel({ order: 3 })],
    ['order 5', () => new CharNgramModel({ order: 5 })],
    ['order 5, cap 300', () => new CharNgramModel({ order: 5, maxContexts: 300 })],
    ['order 8, cap 50', () => new CharNgramModel({ order: 8, maxContexts: 50 })],
    ['restored without shorter contexts', () => CharNgramModel.fromJSON(restored)],
  ];
  for (const [name, create] of starts) {
    const fused = create();
    const separate = create();
    for (let i = 0; i < 600; i++) {
      const text = i % 7 === 0 ? 'abcab' : line();
      const before = separate.surprisal(text);
      separate.learn(text);
      assert.equal(fused.surprisalThenLearn(text), before, `${name}, line ${i}: ${JSON.stringify(text)}`);
      assert.equal(fused.contexts, separate.contexts, `${name}, line ${i}`);
      if (i % 50 === 0) {
        const probe = line();
        assert.equal(fused.surprisal(probe), separate.surprisal(probe), name);
      }
    }
    assert.deepEqual(sortedContexts(fused.toJSON()), sortedContexts(separate.toJSON()), name);
    assert.equal(fused.lines, separate.lines);
  }
});
