// CSV indicator files, driven by the header row: a `value` column (with an optional `type` column, else the type is
// detected per row) and/or columns named after a type (`sha256`, `ip`, `domain`, ...), plus optional metadata columns.
// RFC 4180 quoting; the delimiter (, ; tab |) is taken from the header. Broken quoting or a row with the wrong number of
// fields is an error (nothing is imported); a value that is not of its type is a warning with its line and column.

import type { ImportProblem, IndicatorInput, IndicatorType, ParseOptions, ParseResult } from '../core.js';
import { indicatorTypes } from '../core.js';
import { addressOrRange, detectIndicator, refang, tryCanonical } from '../normalize.js';
import { externalIdOf } from './json.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the record's first character. */
  line: number;
  /** 1-based column of each field. */
  columns: number[];
}

/** Splits CSV text into records (RFC 4180; CRLF or LF; quotes may span lines). Throws a message with line:column. */
export function splitCsv(text: string, delimiter: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let columns: number[] = [];
  let field = '';
  let line = 1;
  let column = 1;
  let recordLine = 1;
  let fieldColumn = 1;
  let quoted = false;
  let quoteLine = 0;
  let quoteColumn = 0;
  let afterQuote = false;
  const endField = () => {
    fields.push(field);
    columns.push(fieldColumn);
    field = '';
    afterQuote = false;
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '' && !afterQuote)) records.push({ fields, line: recordLine, columns });
    fields = [];
    columns = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
          column += 2;
          continue;
        }
        quoted = false;
        afterQuote = true;
      } else {
        field += c;
        if (c === '\n') {
          line++;
          column = 0;
        }
      }
      column++;
      continue;
    }
    if (c === '"') {
      if (field !== '' || afterQuote) throw new Error(`${line}:${column}: a quote inside an unquoted field (quote the whole field and double inner quotes)`);
      quoted = true;
      quoteLine = line;
      quoteColumn = column;
      column++;
      continue;
    }
    if (c === delimiter) {
      endField();
      column++;
      fieldColumn = column;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') continue;
    if (c === '\n') {
      endRecord();
      line++;
      column = 1;
      recordLine = line;
      fieldColumn = 1;
      continue;
    }
    if (afterQuote) throw new Error(`${line}:${column}: text after a closing quote`);
    field += c;
    column++;
  }
  if (quoted) throw new Error(`${quoteLine}:${quoteColumn}: quote never closed`);
  endRecord();
  return records;
}

const aliases: Record<string, string> = {
  indicator: 'value', ioc: 'value', observable: 'value', value: 'value',
  type: 'type', indicator_type: 'type', ioc_type: 'type', kind: 'type',
  description: 'description', comment: 'description', info: 'description', tags: 'tags', threat: 'description', malware: 'description',
  confidence: 'confidence', score: 'confidence',
  first_seen: 'first_seen', firstseen: 'first_seen', valid_from: 'first_seen', first_seen_utc: 'first_seen',
  last_seen: 'last_seen', lastseen: 'last_seen', last_online: 'last_seen',
  expires: 'expires_at', expires_at: 'expires_at', expiry: 'expires_at', valid_until: 'expires_at',
  id: 'external_id', external_id: 'external_id', uuid: 'external_id',
};

/** Header names that are indicator types themselves (cells of that column are values of the type). */
const typeColumns: Record<string, IndicatorType | 'address'> = {
  ...Object.fromEntries(indicatorTypes.map((t) => [t, t])),
  md5_hash: 'md5', sha1_hash: 'sha1', sha256_hash: 'sha256', 'sha-1': 'sha1', 'sha-256': 'sha256',
  ip: 'address', ip_address: 'address', ipv4: 'address', ipv6: 'address', 'ip-dst': 'address', 'ip-src': 'address', dst_ip: 'address',
  hostname: 'domain', host: 'domain', fqdn: 'domain', filename: 'file_name', file: 'file_name', process: 'process_name', filepath: 'path', file_path: 'path', dst_port: 'port',
};

const typeNames: Record<string, IndicatorType | 'address'> = { ...typeColumns, hash: 'md5' };
const normalHeader = (h: string) => h.trim().toLowerCase().replace(/^#\s*/, '').replace(/^"|"$/g, '').replace(/\s+/g, '_');

/** Whether a header cell names a column this parser understands (for format detection). */
export function isCsvHeaderName(cell: string): boolean {
  const name = normalHeader(cell);
  return Object.hasOwn(aliases, name) || Object.hasOwn(typeColumns, name);
}

function iso(text: string): string | null | undefined {
  if (!text) return null;
  const time = Date.parse(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

export function parseCsvIndicators(text: string, options: ParseOptions): ParseResult {
  const file = options.file ?? 'indicators.csv';
  const problems: ImportProblem[] = [];
  const indicators: IndicatorInput[] = [];
  const at = (line: number, column?: number) => ({ file, line, ...(column ? { column } : {}) });
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Leading comment lines (abuse.ch style `# ...`) before the header are skipped; a commented-out header is used.
  const lines = body.split('\n');
  let headerIndex = 0;
  let headerText = '';
  for (; headerIndex < lines.length; headerIndex++) {
    const line = lines[headerIndex]!.replace(/\r$/, '');
    if (!line.trim()) continue;
    if (!line.startsWith('#')) {
      headerText = line;
      break;
    }
    const candidate = line.replace(/^#\s*/, '');
    const following = lines.slice(headerIndex + 1).find((l) => l.trim());
    if (following !== undefined && !following.startsWith('#') && /[,;\t|]/.test(candidate) && candidate.split(/[,;\t|]/).some((h) => aliases[normalHeader(h)] || typeColumns[normalHeader(h)])) {
      headerText = candidate;
      break;
    }
  }
  const delimiter = ([',', ';', '\t', '|'] as const).map((d) => [d, headerText.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  let records: CsvRecord[];
  try {
    // Line k of the text split here is line k + headerIndex of the file.
    records = splitCsv([headerText, ...lines.slice(headerIndex + 1)].join('\n'), delimiter).map((r) => ({ ...r, line: r.line + headerIndex }));
  } catch (error) {
    const match = /^(\d+):(\d+): (.*)$/.exec((error as Error).message);
    problems.push({ severity: 'error', message: `malformed CSV: ${match ? match[3] : (error as Error).message}`, location: match ? at(Number(match[1]) + headerIndex, Number(match[2])) : at(1) });
    return { format: 'csv', indicators, problems, entries: 0 };
  }
  const header = records[0];
  if (!header) {
    problems.push({ severity: 'error', message: 'empty CSV: expected a header row naming a value column (value, indicator, ioc) or type columns (sha256, ip, domain, ...)', location: at(1) });
    return { format: 'csv', indicators, problems, entries: 0 };
  }
  const names = header.fields.map(normalHeader);
  const role = names.map((n) => aliases[n]);
  const typed = names.map((n) => (aliases[n] === undefined ? typeColumns[n] : undefined));
  const valueIndex = role.indexOf('value');
  const typeIndex = role.indexOf('type');
  if (valueIndex < 0 && !typed.some(Boolean)) {
    problems.push({ severity: 'error', message: `the header names no value column (value, indicator, ioc, observable) and no type column (${indicatorTypes.join(', ')}); found: ${header.fields.join(', ')}`, location: at(header.line) });
    return { format: 'csv', indicators, problems, entries: 0 };
  }
  const col = (name: string) => role.indexOf(name);
  let entries = 0;
  for (const record of records.slice(1)) {
    if (record.fields.length !== header.fields.length) {
      problems.push({ severity: 'error', message: `row has ${record.fields.length} fields, the header ${header.fields.length}`, location: at(record.line) });
      continue;
    }
    entries++;
    const cell = (index: number) => (index >= 0 ? record.fields[index]!.trim() : '');
    const confidenceText = cell(col('confidence'));
    let confidence: number | null = options.confidence ?? null;
    if (confidenceText) {
      const n = Number(confidenceText);
      if (!Number.isInteger(n) || n < 0 || n > 100) problems.push({ severity: 'warning', message: `confidence ${JSON.stringify(confidenceText)} is not 0-100: ignored`, location: at(record.line, record.columns[col('confidence')]) });
      else confidence = n;
    }
    const dates: Record<string, string | null> = {};
    for (const name of ['first_seen', 'last_seen', 'expires_at']) {
      const value = iso(cell(col(name)));
      if (value === undefined) problems.push({ severity: 'warning', message: `${name} ${JSON.stringify(cell(col(name)))} is not a date: ignored`, location: at(record.line, record.columns[col(name)]) });
      dates[name] = value ?? null;
    }
    const description = [cell(col('description')), cell(col('tags'))].filter(Boolean).join(' | ').slice(0, 2000) || null;
    const externalId = cell(col('external_id')) || null;
    const push = (type: IndicatorType, value: string) =>
      void indicators.push({
        type,
        value,
        source: options.source,
        externalId: externalId ? externalIdOf(externalId.slice(0, 100), `${type}:${value}`) : null,
        confidence,
        firstSeen: dates.first_seen ?? null,
        lastSeen: dates.last_seen ?? null,
        expiresAt: dates.expires_at ?? null,
        description,
      });
    const take = (kind: IndicatorType | 'address' | undefined, raw: string, columnIndex: number) => {
      const text = refang(raw);
      const where = at(record.line, record.columns[columnIndex]);
      if (kind === undefined) {
        const detected = detectIndicator(text);
        if (!detected) return void problems.push({ severity: 'warning', message: `cannot tell the type of ${JSON.stringify(raw.slice(0, 200))}: add a type column or write type:value`, location: where });
        return void push(detected.type, detected.value);
      }
      if (kind === 'address') {
        const range = addressOrRange(text);
        if (!range) return void problems.push({ severity: 'warning', message: `${JSON.stringify(raw.slice(0, 200))} is not an IP address or CIDR range`, location: where });
        return void push(range.type, range.value);
      }
      const value = kind === 'cidr' || kind === 'ip' ? addressOrRange(text)?.value : tryCanonical(kind, text);
      if (value === undefined) return void problems.push({ severity: 'warning', message: `${JSON.stringify(raw.slice(0, 200))} is not a valid ${kind.replace('_', ' ')}`, location: where });
      push(kind === 'ip' || kind === 'cidr' ? addressOrRange(text)!.type : kind, value);
    };
    if (valueIndex >= 0 && cell(valueIndex)) {
      const typeText = normalHeader(cell(typeIndex));
      let kind: IndicatorType | 'address' | undefined;
      if (typeText) {
        kind = typeNames[typeText];
        if (typeText === 'hash') kind = detectIndicator(cell(valueIndex))?.type;
        if (!kind) {
          problems.push({ severity: 'warning', message: `unknown indicator type ${JSON.stringify(cell(typeIndex))} (known: ${indicatorTypes.join(', ')})`, location: at(record.line, record.columns[typeIndex]) });
          continue;
        }
      }
      take(kind, cell(valueIndex), valueIndex);
    }
    typed.forEach((kind, index) => {
      if (kind && cell(index)) take(kind, cell(index), index);
    });
  }
  return { format: 'csv', indicators, problems, entries };
}
