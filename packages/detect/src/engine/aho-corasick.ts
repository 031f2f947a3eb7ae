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
  // Transitions store the target's row offset (state × classCount), with the sign bit set when the target state has
  // outputs: the search loop does one table load per code unit and a sign test.
  const stateCount = children.length;
  const stride = classCount;
  const next = new Int32Array(stateCount * stride);
  const fail = new Int32Array(stateCount);
  const order: number[] = [0];
  for (let head = 0; head < order.length; head++) {
    const state = order[head]!;
    const base = state * stride;
    const failBase = fail[state]! * stride;
    for (let cls = 0; cls < classCount; cls++) {
      const child = children[state]!.get(cls);
      if (child !== undefined) {
        fail[child] = state === 0 ? 0 : next[failBase + cls]! / stride;
        next[base + cls] = child * stride;
        order.push(child);
      } else {
        next[base + cls] = state === 0 ? 0 : next[failBase + cls]!;
      }
    }
    if (state !== 0) {
      const inherited = outputs[fail[state]!]!;
      if (inherited.length) outputs[state] = [...outputs[state]!, ...inherited];
    }
  }
  const outStart = new Int32Array(stateCount + 1);
  for (let s = 0; s < stateCount; s++) outStart[s + 1] = outStart[s]! + outputs[s]!.length;
  const outList = new Int32Array(outStart[stateCount]!);
  for (let s = 0; s < stateCount; s++) outList.set(outputs[s]!, outStart[s]!);
  // Mark transitions into states with outputs (row offsets stay below 2^31 for any table that fits in memory).
  for (let i = 0; i < next.length; i++) {
    const target = next[i]! / stride;
    if (outputs[target]!.length) next[i] = next[i]! | 0x80000000;
  }
  const OFFSET = 0x7fffffff;
  return {
    patternCount: patterns.length,
    stateCount,
    search(text, found) {
      let row = 0;
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        const target = next[row + (unit < 128 ? asciiClass[unit]! : (classOf.get(unit) ?? 0))]!;
        row = target & OFFSET;
        if (target < 0) {
          const state = row / stride;
          const end = outStart[state + 1]!;
          for (let o = outStart[state]!; o < end; o++) found(outList[o]!);
        }
      }
    },
    test(text) {
      let row = 0;
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        const target = next[row + (unit < 128 ? asciiClass[unit]! : (classOf.get(unit) ?? 0))]!;
        if (target < 0) return true;
        row = target;
      }
      return false;
    },
  };
}
