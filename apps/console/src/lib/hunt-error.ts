// Where a hunt compile error points in the query text: the API reports a 1-based line and column; the editor marks
// the token that starts there (or the end of the query). Pure; any line/column gives a span inside the text.

export interface ErrorSpan {
  start: number;
  end: number;
}

export function offsetOf(text: string, line: number, column: number): number {
  const wantLine = Number.isFinite(line) ? Math.max(1, Math.floor(line)) : 1;
  const wantColumn = Number.isFinite(column) ? Math.max(1, Math.floor(column)) : 1;
  let offset = 0;
  for (let l = 1; l < wantLine; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  const limit = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(limit, offset + wantColumn - 1);
}

/** The span to mark: the word, string or operator starting at the position; empty at the end of the text. */
export function errorSpan(text: string, line: number, column: number): ErrorSpan {
  const start = offsetOf(text, line, column);
  if (start >= text.length) return { start: text.length, end: text.length };
  const c = text[start]!;
  let end = start + 1;
  if (/[A-Za-z0-9_.@]/.test(c)) {
    while (end < text.length && /[A-Za-z0-9_.@]/.test(text[end]!)) end++;
  } else if (c === '"' || c === "'") {
    while (end < text.length && text[end] !== c && text[end] !== '\n') end += text[end] === '\\' ? 2 : 1;
    end = Math.min(text.length, end + 1);
  } else if (/[=!<>~]/.test(c)) {
    while (end < text.length && /[=!<>~]/.test(text[end]!)) end++;
  }
  return { start, end: Math.min(end, text.length) };
}
