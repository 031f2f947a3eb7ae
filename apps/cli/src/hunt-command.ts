// Renders hunt results for a terminal: an aligned text table with long cells cut, never wider than it must be.
// Pure formatting; never talks to a server.

const MAX_CELL = 80;

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ') : JSON.stringify(value);
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

export function formatHuntTable(columns: readonly { name: string }[], rows: readonly Record<string, unknown>[]): string {
  const names = columns.map((c) => c.name);
  const cells = rows.map((row) => names.map((name) => cell(row[name])));
  const widths = names.map((name, i) => Math.max(name.length, ...cells.map((r) => r[i]!.length)));
  const line = (parts: readonly string[]) => parts.map((part, i) => part.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(names), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
