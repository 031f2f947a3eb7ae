// Plain indicator lists: one value per line, the type detected per line (or written as `type:value`), an optional
// description after `;` or a tab (LOKI/THOR style), `#` and `//` comment lines. A line that is no indicator is a
// warning with its line number; binary content is an error (nothing is imported).

import type { ImportProblem, IndicatorInput, ParseOptions, ParseResult } from '../core.js';
import { detectIndicator } from '../normalize.js';

export function parsePlainList(text: string, options: ParseOptions): ParseResult {
  const file = options.file ?? 'indicators.txt';
  const problems: ImportProblem[] = [];
  const indicators: IndicatorInput[] = [];
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    problems.push({ severity: 'error', message: 'binary content (a NUL byte): not a text list', location: { file, line } });
    return { format: 'list', indicators, problems, entries: 0 };
  }
  let entries = 0;
  const undetected: number[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  lines.forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, '');
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith('//')) return;
    entries++;
    const cut = /[;\t]/.exec(trimmed);
    const value = (cut ? trimmed.slice(0, cut.index) : trimmed).trim();
    const description = cut ? trimmed.slice(cut.index + 1).trim().slice(0, 2000) || null : null;
    const detected = detectIndicator(value);
    if (!detected) {
      undetected.push(index + 1);
      if (undetected.length <= 100) {
        problems.push({ severity: 'warning', message: `cannot tell the type of ${JSON.stringify(value.slice(0, 200))}: write it as type:value (types: md5, sha1, sha256, ip, cidr, domain, url, file_name, path, process_name, port)`, location: { file, line: index + 1, column: line.indexOf(value) + 1 } });
      }
      return;
    }
    indicators.push({ type: detected.type, value: detected.value, source: options.source, externalId: null, confidence: options.confidence ?? null, firstSeen: null, lastSeen: null, expiresAt: null, description });
  });
  if (undetected.length > 100) problems.push({ severity: 'warning', message: `${undetected.length - 100} more lines without a recognisable indicator`, location: { file, line: undetected[100]! } });
  // The same value twice in one list is one indicator (the first description wins).
  const seen = new Set<string>();
  const unique = indicators.filter((i) => {
    const key = `${i.type}\u0000${i.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { format: 'list', indicators: unique, problems, entries };
}
