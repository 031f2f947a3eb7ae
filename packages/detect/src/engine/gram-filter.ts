// Multi-pattern substring search for many needles over short texts (command lines, paths): a gram filter.
// Each needle is anchored on one of its grams (4 code units; 3 for 3-unit needles), chosen to be rare; the text is
// scanned once with a rolling window whose hash is tested against a small bit table (16 KiB, stays in L1 cache); only
// on a bit hit are the needles anchored on that exact gram verified with `startsWith`. Exact: every needle that occurs
// is reported (at least once), never one that does not. Patterns and text are compared code unit by code unit; callers
// lower-case both. Needles shorter than 3 units (non-ASCII ones the prefilter accepts) are checked with `includes`.
// Never allocates per search. Replaces a dense Aho-Corasick DFA whose table (~80,000 states for the Windows
// CommandLine needles) did not fit in cache.

import type { MultiPatternMatcher } from './aho-corasick.js';

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

/** The window value of `units` code units ending at `end` (exclusive): one byte per unit, the low byte (lossy for non-ASCII; verification is exact). */
function windowOf(text: string, end: number, units: number): number {
  let w = 0;
  for (let i = end - units; i < end; i++) w = (w << 8) | (text.charCodeAt(i) & 0xff);
  return w;
}

const hash4 = (w: number): number => Math.imul(w, HASH4) >>> SHIFT;
const hash3 = (w: number): number => Math.imul(w & 0xffffff, HASH3) >>> SHIFT;

export function buildGramMatcher(patterns: readonly string[]): MultiPatternMatcher {
  const shortNeedles: { pattern: string; index: number }[] = [];
  // Anchors: per needle of 3+ units, the gram window, its hash, the gram's end offset inside the needle and whether it is a 3-gram.
  const anchors: { index: number; window: number; hash: number; end: number }[] = [];
  const gramUse = new Map<string, number>();
  for (const pattern of patterns) {
    for (let end = 4; end <= pattern.length; end++) {
      const gram = pattern.slice(end - 4, end);
      gramUse.set(gram, (gramUse.get(gram) ?? 0) + 1);
    }
  }
  let has3 = false;
  patterns.forEach((pattern, index) => {
    if (pattern.length === 0) return;
    if (pattern.length < 3) {
      shortNeedles.push({ pattern, index });
      return;
    }
    if (pattern.length === 3) {
      has3 = true;
      const window = windowOf(pattern, 3, 3);
      anchors.push({ index, window: window | 0x40000000, hash: hash3(window), end: 3 });
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
    anchors.push({ index, window, hash: hash4(window), end: bestEnd });
  });

  const bits = new Int32Array(1 << (BITS - 5));
  for (const { hash } of anchors) bits[hash >>> 5] = bits[hash >>> 5]! | (1 << (hash & 31));
  // Verification lists per hash, compressed (CSR): exact window (3-grams tagged with bit 30), needle end offset, pattern.
  anchors.sort((a, b) => a.hash - b.hash);
  const hashes = Int32Array.from(new Set(anchors.map((a) => a.hash)));
  const listOf = new Map<number, number>();
  hashes.forEach((hash, i) => listOf.set(hash, i));
  const listStart = new Int32Array(hashes.length + 1);
  for (const anchor of anchors) listStart[listOf.get(anchor.hash)! + 1]!++;
  for (let i = 0; i < hashes.length; i++) listStart[i + 1] = listStart[i + 1]! + listStart[i]!;
  const slotOfHash = new Int32Array(1 << BITS).fill(-1);
  hashes.forEach((hash, i) => (slotOfHash[hash] = i));
  const entryWindow = new Int32Array(anchors.length);
  const entryBack = new Int32Array(anchors.length);
  const entryPattern = new Int32Array(anchors.length);
  const entryText: string[] = [];
  anchors.forEach((anchor, i) => {
    entryWindow[i] = anchor.window;
    // Start of the needle relative to the position after the window's last unit.
    entryBack[i] = anchor.end;
    entryPattern[i] = anchor.index;
    entryText.push(patterns[anchor.index]!);
  });
  const shortTexts = shortNeedles.map((s) => s.pattern);
  const shortIndexes = shortNeedles.map((s) => s.index);

  /** Verifies the needles of the list at `slot` against the window ending before `after`; calls found or returns true on the first. */
  function verify(text: string, after: number, w: number, tagged: number, slot: number, found: ((i: number) => void) | undefined): boolean {
    const end = listStart[slot + 1]!;
    for (let e = listStart[slot]!; e < end; e++) {
      const expected = entryWindow[e]!;
      if (expected !== w && expected !== tagged) continue;
      const start = after - entryBack[e]!;
      if (start < 0) continue;
      if (!text.startsWith(entryText[e]!, start)) continue;
      if (!found) return true;
      found(entryPattern[e]!);
    }
    return false;
  }

  function scan(text: string, found: ((i: number) => void) | undefined): boolean {
    const length = text.length;
    let w = 0;
    for (let i = 0; i < length; i++) {
      w = (w << 8) | (text.charCodeAt(i) & 0xff);
      if (i >= 3) {
        const h = Math.imul(w, HASH4) >>> SHIFT;
        if ((bits[h >>> 5]! & (1 << (h & 31))) !== 0) {
          const slot = slotOfHash[h]!;
          if (slot >= 0 && verify(text, i + 1, w, w, slot, found)) return true;
        }
      }
      if (has3 && i >= 2) {
        const w3 = w & 0xffffff;
        const h = Math.imul(w3, HASH3) >>> SHIFT;
        if ((bits[h >>> 5]! & (1 << (h & 31))) !== 0) {
          const slot = slotOfHash[h]!;
          if (slot >= 0 && verify(text, i + 1, -1, w3 | 0x40000000, slot, found)) return true;
        }
      }
    }
    for (let s = 0; s < shortTexts.length; s++) {
      if (text.includes(shortTexts[s]!)) {
        if (!found) return true;
        found(shortIndexes[s]!);
      }
    }
    return false;
  }

  return {
    patternCount: patterns.length,
    stateCount: 0,
    search(text, found) {
      scan(text, found);
    },
    test: (text) => scan(text, undefined),
  };
}
