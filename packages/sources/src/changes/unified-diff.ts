// Line diff (Myers) and its unified-diff text, as `diff -u` prints it, for the change records' before/after diffs.
// Bounded: beyond `maxEdits` differing lines the diff degrades to "replace the differing middle", never to more work.

export type DiffOp = { kind: 'equal' | 'delete' | 'insert'; line: string };

export interface UnifiedDiffOptions {
  /** Lines of context around each change (default 3). */
  context?: number;
  /** Labels of the --- and +++ lines. */
  fromLabel?: string;
  toLabel?: string;
  /** Edit distance above which the middle is shown as deleted then inserted (default 4000). */
  maxEdits?: number;
}

/** Marks a last line without a newline, so it never equals the same text with one (as `diff` treats it). */
const NO_NEWLINE = '\u0000no-newline';

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += NO_NEWLINE;
  return lines;
}

/** Myers' O((N+M)·D) shortest edit script between two line lists; undefined when D would exceed `maxEdits`. */
function myers(a: readonly string[], b: readonly string[], maxEdits: number): DiffOp[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) (x++, y++);
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  if (found < 0) return undefined;
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && prev[offset + k - 1]! < prev[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = prev[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: 'equal', line: a[--x]! }), y--;
    if (down) ops.push({ kind: 'insert', line: b[--y]! });
    else ops.push({ kind: 'delete', line: a[--x]! });
  }
  while (x > 0 && y > 0) ops.push({ kind: 'equal', line: a[--x]! }), y--;
  return ops.reverse();
}

/** The edit script turning `a` into `b` (common head and tail first, Myers on the rest). */
export function diffLines(a: readonly string[], b: readonly string[], maxEdits = 4000): DiffOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const middle = myers(midA, midB, maxEdits) ?? [...midA.map((line) => ({ kind: 'delete' as const, line })), ...midB.map((line) => ({ kind: 'insert' as const, line }))];
  return [...a.slice(0, head).map((line) => ({ kind: 'equal' as const, line })), ...middle, ...a.slice(a.length - tail).map((line) => ({ kind: 'equal' as const, line }))];
}

const range = (start: number, count: number) => (count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`);

/** Unified diff text of two texts; '' when they are equal. */
export function unifiedDiff(before: string, after: string, options: UnifiedDiffOptions = {}): string {
  if (before === after) return '';
  const context = options.context ?? 3;
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b, options.maxEdits);
  // Positions in a and b of each op.
  const rows: { op: DiffOp; ia: number; ib: number }[] = [];
  let ia = 0;
  let ib = 0;
  for (const op of ops) {
    rows.push({ op, ia, ib });
    if (op.kind !== 'insert') ia++;
    if (op.kind !== 'delete') ib++;
  }
  const changed = rows.map((r, i) => (r.op.kind === 'equal' ? -1 : i)).filter((i) => i >= 0);
  if (!changed.length) return '';
  const out = [`--- ${options.fromLabel ?? 'before'}`, `+++ ${options.toLabel ?? 'after'}`];
  let i = 0;
  while (i < changed.length) {
    const start = Math.max(0, changed[i]! - context);
    let end = Math.min(rows.length - 1, changed[i]! + context);
    while (i + 1 < changed.length && changed[i + 1]! - context <= end + 1) {
      i++;
      end = Math.min(rows.length - 1, changed[i]! + context);
    }
    i++;
    const slice = rows.slice(start, end + 1);
    const countA = slice.filter((r) => r.op.kind !== 'insert').length;
    const countB = slice.filter((r) => r.op.kind !== 'delete').length;
    out.push(`@@ -${range(slice[0]!.ia + 1, countA)} +${range(slice[0]!.ib + 1, countB)} @@`);
    for (const row of slice) {
      const prefix = row.op.kind === 'equal' ? ' ' : row.op.kind === 'delete' ? '-' : '+';
      if (row.op.line.endsWith(NO_NEWLINE)) out.push(prefix + row.op.line.slice(0, -NO_NEWLINE.length), '\\ No newline at end of file');
      else out.push(prefix + row.op.line);
    }
  }
  return out.join('\n') + '\n';
}

/** Cuts `text` at `limit` characters with a note saying how much was left out. */
export function truncate(text: string, limit: number): { text: string; truncated: boolean } {
  if (text.length <= limit) return { text, truncated: false };
  return { text: `${text.slice(0, limit)}\n… ${text.length - limit} more characters not shown`, truncated: true };
}
