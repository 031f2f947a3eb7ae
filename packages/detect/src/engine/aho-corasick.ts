// Multi-pattern substring search (Aho-Corasick) compiled to a dense DFA over a compressed alphabet.
// Patterns and text are compared code unit by code unit; callers lower-case both. Never allocates per search.

export interface MultiPatternMatcher {
  readonly patternCount: number;
  readonly stateCount: number;
  /** Calls `found(index)` for every pattern occurring in `text`; an index may be reported more than once. */
  search(text: string, found: (patternIndex: number) => void): void;
  /** Whether any pattern occurs in `text` (stops at the first). */
  test(text: string): boolean;
}

/**
 * Builds the automaton. Empty patterns are ignored (they never report). Memory is states × alphabet classes × 4 bytes,
 * where the classes are the distinct code units of the patterns plus one for every other unit.
 */
export function buildAhoCorasick(patterns: readonly string[]): MultiPatternMatcher {
  // Alphabet compression: class 0 is "a unit no pattern uses".
  const classOf = new Map<number, number>();
  for (const pattern of patterns) {
    for (let i = 0; i < pattern.length; i++) {
      const unit = pattern.charCodeAt(i);
      if (!classOf.has(unit)) classOf.set(unit, classOf.size + 1);
    }
  }
  const classCount = classOf.size + 1;
  const asciiClass = new Uint16Array(128);
  for (const [unit, cls] of classOf) if (unit < 128) asciiClass[unit] = cls;

  // Trie with sparse children first.
  const children: Map<number, number>[] = [new Map()];
  const outputs: number[][] = [[]];
  patterns.forEach((pattern, index) => {
    if (!pattern.length) return;
    let state = 0;
    for (let i = 0; i < pattern.length; i++) {
      const cls = classOf.get(pattern.charCodeAt(i))!;
      let next = children[state]!.get(cls);
      if (next === undefined) {
        next = children.length;
        children.push(new Map());
        outputs.push([]);
        children[state]!.set(cls, next);
      }
      state = next;
    }
    outputs[state]!.push(index);
  });

  // Breadth-first: failure links, then the dense transition table with outputs merged along failure chains.
  const stateCount = children.length;
  const stride = classCount;
  const dense = new Int32Array(stateCount * stride);
  const fail = new Int32Array(stateCount);
  const order: number[] = [0];
  for (let head = 0; head < order.length; head++) {
    const state = order[head]!;
    const base = state * stride;
    const failBase = fail[state]! * stride;
    for (let cls = 0; cls < classCount; cls++) {
      const child = children[state]!.get(cls);
      if (child !== undefined) {
        fail[child] = state === 0 ? 0 : dense[failBase + cls]!;
        dense[base + cls] = child;
        order.push(child);
      } else {
        dense[base + cls] = state === 0 ? 0 : dense[failBase + cls]!;
      }
    }
    if (state !== 0) {
      const inherited = outputs[fail[state]!]!;
      if (inherited.length) outputs[state] = [...outputs[state]!, ...inherited];
    }
  }
  // Renumbered so that states with outputs come last: the search loop does one table load per code unit and one
  // comparison (`state >= firstOutput`). The table holds state ids, 16-bit when there are at most 65,536 states
  // (half the memory: the table of a large automaton is what stops fitting in cache).
  const renumber = new Int32Array(stateCount);
  let nextId = 0;
  for (let s = 0; s < stateCount; s++) if (!outputs[s]!.length) renumber[s] = nextId++;
  const firstOutput = nextId;
  for (let s = 0; s < stateCount; s++) if (outputs[s]!.length) renumber[s] = nextId++;
  const next = stateCount <= 0x10000 ? new Uint16Array(stateCount * stride) : new Int32Array(stateCount * stride);
  for (let s = 0; s < stateCount; s++) {
    const from = s * stride;
    const to = renumber[s]! * stride;
    for (let cls = 0; cls < stride; cls++) next[to + cls] = renumber[dense[from + cls]!]!;
  }
  const outputStates = stateCount - firstOutput;
  const outStart = new Int32Array(outputStates + 1);
  const byId: number[][] = new Array(outputStates);
  for (let s = 0; s < stateCount; s++) if (outputs[s]!.length) byId[renumber[s]! - firstOutput] = outputs[s]!;
  for (let i = 0; i < outputStates; i++) outStart[i + 1] = outStart[i]! + byId[i]!.length;
  const outList = new Int32Array(outStart[outputStates]!);
  for (let i = 0; i < outputStates; i++) outList.set(byId[i]!, outStart[i]!);
  const start = renumber[0]!;
  return {
    patternCount: patterns.length,
    stateCount,
    search(text, found) {
      let state = start;
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        state = next[Math.imul(state, stride) + (unit < 128 ? asciiClass[unit]! : (classOf.get(unit) ?? 0))]!;
        if (state >= firstOutput) {
          const out = state - firstOutput;
          const end = outStart[out + 1]!;
          for (let o = outStart[out]!; o < end; o++) found(outList[o]!);
        }
      }
    },
    test(text) {
      let state = start;
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        state = next[Math.imul(state, stride) + (unit < 128 ? asciiClass[unit]! : (classOf.get(unit) ?? 0))]!;
        if (state >= firstOutput) return true;
      }
      return false;
    },
  };
}
