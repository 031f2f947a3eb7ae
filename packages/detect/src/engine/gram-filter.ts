// Multi-pattern substring search for many needles over short texts (command lines, paths): a gram filter.
// Each needle of 4+ code units is anchored on one of its 4-grams, chosen to be rare; 3-unit needles on themselves.
// The text is scanned once with a rolling window whose hash is tested against small bit tables (16 KiB each, they
// stay in L1 cache); only on a bit hit are the needles anchored on that exact window verified with `startsWith`.
// Exact: every needle that occurs is reported (at least once), never one that does not. Patterns and text are
// compared code unit by code unit; callers lower-case both. Needles shorter than 3 units (the prefilter's non-ASCII
// ones: homoglyphs, emoji) go to a small Aho-Corasick automaton, run only on texts with a non-ASCII unit when they all are.
// Never allocates per search. Used instead of a dense Aho-Corasick DFA for large needle sets: the DFA of the Windows
// CommandLine needles (~65,000 states) does not fit in cache, and every character then costs a cache miss.

import { buildAhoCorasick, type MultiPatternMatcher } from './aho-corasick.js';

const BITS = 17;
const SHIFT = 32 - BITS;
const HASH4 = 0x9e3779b1 | 0;
const HASH3 = 0x85ebca6b | 0;

/**
 * Rough commonness of a code unit in process command lines, paths and registry keys (0 = rare, 10 = very common):
 * a needle is anchored on the gram with the lowest sum, so that bit hits that need verifying stay rare.
 */
function unitWeight(unit: number): number {
  if (unit === 0x20 || unit === 0x5c || unit === 0x2e || unit === 0x65) return 10; // space \ . e
  if (unit === 0x73 || unit === 0x74 || unit === 0x69 || unit === 0x72 || unit === 0x6f || unit === 0x61 || unit === 0x6e) return 8; // s t i r o a n
  if (unit === 0x78 || unit === 0x63 || unit === 0x6d || unit === 0x6c || unit === 0x3a || unit === 0x2d || unit === 0x2f || unit === 0x22) return 7; // x c m l : - / "
  if (unit === 0x64 || unit === 0x70 || unit === 0x77 || unit === 0x75 || unit === 0x67 || unit === 0x68 || unit === 0x66) return 6; // d p w u g h f
  if (unit >= 0x30 && unit <= 0x39) return 5; // digits
  if (unit === 0x62 || unit === 0x79 || unit === 0x76 || unit === 0x6b || unit === 0x5f) return 4; // b y v k _
  if (unit < 0x80) return 2;
  return 0;
}

/** The window of `units` code units ending at `end` (exclusive): one byte per unit, the low byte (lossy for non-ASCII; verification is exact). */
function windowOf(text: string, end: number, units: number): number {
  let w = 0;
  for (let i = end - units; i < end; i++) w = (w << 8) | (text.charCodeAt(i) & 0xff);
  return w;
}

interface Anchor {
  pattern: number;
  window: number;
  hash: number;
  /** Offset just after the gram inside the needle. */
  end: number;
}

/**
 * Bit table and verification lists of one gram length. A hit's list number is its rank among set bits (lists are
 * numbered in hash order): `rank` holds the number of bits set before each word (16 KiB, read only on a hit).
 */
interface GramTable {
  bits: Int32Array;
  rank: Int32Array;
  listStart: Int32Array;
  window: Int32Array;
  back: Int32Array;
  pattern: Int32Array;
  text: string[];
}

function gramTable(anchors: Anchor[], patterns: readonly string[]): GramTable {
  anchors.sort((a, b) => a.hash - b.hash);
  const words = 1 << (BITS - 5);
  const bits = new Int32Array(words);
  const rank = new Int32Array(words);
  const starts: number[] = [];
  anchors.forEach((anchor, i) => {
    const word = anchor.hash >>> 5;
    const bit = 1 << (anchor.hash & 31);
    if ((bits[word]! & bit) === 0) {
      starts.push(i);
      bits[word] = bits[word]! | bit;
    }
  });
  starts.push(anchors.length);
  let before = 0;
  for (let w = 0; w < words; w++) {
    rank[w] = before;
    before += popcount(bits[w]!);
  }
  return {
    bits,
    rank,
    listStart: Int32Array.from(starts),
    window: Int32Array.from(anchors.map((a) => a.window)),
    back: Int32Array.from(anchors.map((a) => a.end)),
    pattern: Int32Array.from(anchors.map((a) => a.pattern)),
    text: anchors.map((a) => patterns[a.pattern]!),
  };
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function buildGramMatcher(patterns: readonly string[]): MultiPatternMatcher {
  const gramUse = new Map<string, number>();
  for (const pattern of patterns) {
    for (let end = 4; end <= pattern.length; end++) {
      const gram = pattern.slice(end - 4, end);
      gramUse.set(gram, (gramUse.get(gram) ?? 0) + 1);
    }
  }
  const anchors4: Anchor[] = [];
  const anchors3: Anchor[] = [];
  const shortTexts: string[] = [];
  const shortIndexes: number[] = [];
  patterns.forEach((pattern, index) => {
    if (pattern.length === 0) return;
    if (pattern.length < 3) {
      shortTexts.push(pattern);
      shortIndexes.push(index);
      return;
    }
    if (pattern.length === 3) {
      const window = windowOf(pattern, 3, 3);
      anchors3.push({ pattern: index, window, hash: Math.imul(window, HASH3) >>> SHIFT, end: 3 });
      return;
    }
    let bestEnd = 4;
    let bestScore = Infinity;
    for (let end = 4; end <= pattern.length; end++) {
      let score = 0;
      for (let i = end - 4; i < end; i++) score += unitWeight(pattern.charCodeAt(i));
      // Grams many needles share are common in text too (".exe", "\win"); they also make long verification lists.
      score += 3 * Math.log2(gramUse.get(pattern.slice(end - 4, end)) ?? 1);
      if (score < bestScore) {
        bestScore = score;
        bestEnd = end;
      }
    }
    const window = windowOf(pattern, bestEnd, 4);
    anchors4.push({ pattern: index, window, hash: Math.imul(window, HASH4) >>> SHIFT, end: bestEnd });
  });
  const t4 = gramTable(anchors4, patterns);
  const t3 = gramTable(anchors3, patterns);
  const has3 = anchors3.length > 0;
  const shortMatcher = shortTexts.length ? buildAhoCorasick(shortTexts) : undefined;
  const shortAllNonAscii = shortTexts.every((text) => /^[^\x00-\x7f]+$/.test(text));
  const bits4 = t4.bits;
  const bits3 = t3.bits;

  // The short needles' automaton reports its own indexes: mapped back without a closure per search.
  let shortFound: (patternIndex: number) => void = () => {};
  let shortReported = 0;
  const onShort = (index: number): void => {
    shortReported++;
    shortFound(shortIndexes[index]!);
  };

  /**
   * Reports the needles of the list of `hash` (whose bit is set; `word` is its word of the bit table) whose window is
   * `w` and that start at `after - back`.
   */
  function verify(table: GramTable, text: string, after: number, w: number, hash: number, word: number, found: (patternIndex: number) => void): number {
    const list = table.rank[hash >>> 5]! + popcount(word & ~(-1 << (hash & 31)));
    let reported = 0;
    const end = table.listStart[list + 1]!;
    for (let e = table.listStart[list]!; e < end; e++) {
      if (table.window[e] !== w) continue;
      const start = after - table.back[e]!;
      if (start < 0 || !text.startsWith(table.text[e]!, start)) continue;
      found(table.pattern[e]!);
      reported++;
    }
    return reported;
  }

  /** Scans `text`, reporting needles; with `stop`, returns at the first one. The number reported (capped by `stop`). */
  function scan(text: string, found: (patternIndex: number) => void, stop: boolean): number {
    let reported = 0;
    let w = 0;
    let units = 0;
    const length = text.length;
    for (let i = 0; i < length; i++) {
      const unit = text.charCodeAt(i);
      units |= unit;
      w = (w << 8) | (unit & 0xff);
      const h4 = Math.imul(w, HASH4) >>> SHIFT;
      const word4 = bits4[h4 >>> 5]!;
      if ((word4 & (1 << (h4 & 31))) !== 0 && i >= 3) {
        reported += verify(t4, text, i + 1, w, h4, word4, found);
        if (stop && reported) return reported;
      }
      if (has3 && i >= 2) {
        const w3 = w & 0xffffff;
        const h3 = Math.imul(w3, HASH3) >>> SHIFT;
        const word3 = bits3[h3 >>> 5]!;
        if ((word3 & (1 << (h3 & 31))) !== 0) {
          reported += verify(t3, text, i + 1, w3, h3, word3, found);
          if (stop && reported) return reported;
        }
      }
    }
    if (shortMatcher && (units > 0x7f || !shortAllNonAscii)) {
      if (stop) return shortMatcher.test(text) ? 1 : 0;
      shortFound = found;
      shortReported = 0;
      shortMatcher.search(text, onShort);
      reported += shortReported;
    }
    return reported;
  }

  const ignore = (_patternIndex: number): void => {};
  return {
    patternCount: patterns.length,
    stateCount: 0,
    search(text, found) {
      scan(text, found, false);
    },
    test: (text) => scan(text, ignore, true) > 0,
  };
}
