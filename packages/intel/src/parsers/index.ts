// One entry point for indicator files: picks the parser (STIX 2.1 bundle, MISP event, CSV with a header, plain list)
// from the content unless told, and turns a result with errors into one VigilError listing every problem.
// Never imports anything itself: callers store the indicators only when `refuseMalformed` did not throw.

import { VigilError, formatLocation } from '@vigil/common';
import type { IndicatorFormat, ParseOptions, ParseResult } from '../core.js';
import { isCsvHeaderName, parseCsvIndicators } from './csv.js';
import { parsePlainList } from './list.js';
import { parseMispEvent } from './misp.js';
import { parseStixBundle } from './stix.js';

export { parseCsvIndicators, splitCsv } from './csv.js';
export { parsePlainList } from './list.js';
export { parseMispEvent, mispTypes } from './misp.js';
export { parseStixBundle, indicatorsOfPattern } from './stix.js';
export { parseStixPattern, PatternSyntaxError } from './stix-pattern.js';

/** Inputs larger than this are refused before parsing (a feed of a few million lines fits). */
export const MAX_INDICATOR_FILE_BYTES = 256 * 1024 * 1024;

/** The format of a document, from its first non-blank characters and, for JSON, its top-level keys. */
export function detectFormat(text: string): IndicatorFormat | undefined {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{') || head.startsWith('[')) {
    const probe = head.slice(0, 4096);
    if (/"type"\s*:\s*"(bundle|indicator)"/.test(probe) || /"spec_version"\s*:/.test(probe)) return 'stix';
    if (/"(Event|Attribute|Object|response)"\s*:/.test(probe)) return 'misp';
    return undefined;
  }
  // The header is the first line that is neither blank nor a comment, or a commented-out header right above it.
  const lines = head.split('\n').slice(0, 200).map((l) => l.trim());
  const first = lines.findIndex((l) => l && !l.startsWith('#') && !l.startsWith('//'));
  const isHeader = (raw: string | undefined) => {
    if (raw === undefined) return false;
    const line = raw.replace(/^#\s*/, '');
    const delimiter = ([',', '\t', '|', ';'] as const).map((d) => [d, line.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]!;
    if (delimiter[1] < 2) return false;
    const known = line.split(delimiter[0]).filter((field) => isCsvHeaderName(field)).length;
    // `hash;description` data lines of LOKI lists must stay lists: a `;` header needs two known column names.
    return known >= (delimiter[0] === ';' ? 2 : 1);
  };
  if (first >= 0 && isHeader(lines[first])) return 'csv';
  const previous = first > 0 ? lines.slice(0, first).reverse().find((l) => l) : undefined;
  if (previous?.startsWith('#') && isHeader(previous)) return 'csv';
  return 'list';
}

export function parseIndicators(text: string, options: ParseOptions & { format?: IndicatorFormat }): ParseResult {
  const file = options.file ?? 'input';
  if (Buffer.byteLength(text) > MAX_INDICATOR_FILE_BYTES) {
    return { format: options.format ?? 'list', indicators: [], problems: [{ severity: 'error', message: `larger than ${MAX_INDICATOR_FILE_BYTES / 1024 / 1024} MiB`, location: { file } }], entries: 0 };
  }
  const format = options.format ?? detectFormat(text);
  if (!format) {
    return { format: 'list', indicators: [], problems: [{ severity: 'error', message: 'a JSON document that is neither a STIX 2.1 bundle nor a MISP event; give the format', location: { file, line: 1, column: 1 } }], entries: 0 };
  }
  const parse = { stix: parseStixBundle, misp: parseMispEvent, csv: parseCsvIndicators, list: parsePlainList }[format];
  return parse(text, { ...options, file });
}

/**
 * Throws `invalid_input` listing every error (at most 50 in details) when the result has any: a malformed input
 * imports nothing. Returns the result unchanged otherwise (warnings are the caller's to report).
 */
export function refuseMalformed(result: ParseResult): ParseResult {
  const errors = result.problems.filter((p) => p.severity === 'error');
  if (!errors.length) return result;
  const first = errors[0]!;
  throw new VigilError('invalid_input', `${result.format} input refused, nothing imported: ${errors.length} error(s); first at ${formatLocation(first.location)}: ${first.message}`, {
    location: first.location,
    details: errors.slice(0, 50).map((e) => ({ message: e.message, location: e.location })),
  });
}
