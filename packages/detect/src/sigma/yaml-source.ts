// Turns the text of a rule file into located YAML values (maps, sequences, scalars with 1-based line/column).
// Never throws on bad input: syntax errors become `yaml_syntax` problems and the broken document is left out.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { LoadProblem, SigmaScalar, SourceLocation } from '../core.js';
import type { RuleSource } from './rule-files.js';

export type YamlValue = YamlMapValue | YamlSeqValue | YamlScalarValue;

export interface YamlMapValue {
  kind: 'map';
  entries: YamlEntry[];
  location: SourceLocation;
}

export interface YamlSeqValue {
  kind: 'seq';
  items: YamlValue[];
  location: SourceLocation;
}

export interface YamlScalarValue {
  kind: 'scalar';
  value: SigmaScalar;
  location: SourceLocation;
  /** Location of the value's first character when the text is written verbatim on one line (column + i is character i). */
  textStart?: SourceLocation;
}

export interface YamlEntry {
  key: string;
  keyLocation: SourceLocation;
  value: YamlValue;
}

export interface YamlDocumentValue {
  /** Undefined for an empty document. */
  contents: YamlValue | undefined;
  location: SourceLocation;
}

export interface YamlSource {
  documents: YamlDocumentValue[];
  problems: LoadProblem[];
}

/** Upper bound of converted nodes per document, so alias bombs cannot exhaust memory. */
const maxNodesPerDocument = 200_000;
const maxDepth = 100;

/** Parses every YAML document of a file; documents with syntax errors are reported and left out. */
export function parseYamlSource(source: RuleSource): YamlSource {
  const lineCounter = new LineCounter();
  const problems: LoadProblem[] = [];
  const locate = (offset: number): SourceLocation => {
    const position = lineCounter.linePos(Math.max(0, offset));
    return { file: source.file, line: position.line, column: position.col };
  };
  let parsed: Document.Parsed[];
  try {
    parsed = parseAllDocuments(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true }) as Document.Parsed[];
    if (!Array.isArray(parsed)) parsed = [parsed];
  } catch (error) {
    problems.push({ severity: 'error', code: 'yaml_syntax', message: `YAML cannot be parsed: ${String(error)}`, location: locate(0) });
    return { documents: [], problems };
  }
  const documents: YamlDocumentValue[] = [];
  for (const document of parsed) {
    const start = document.range?.[0] ?? 0;
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        problems.push({ severity: 'error', code: 'yaml_syntax', message: firstLine(error.message), location: locate(error.pos[0]) });
      }
      continue;
    }
    const converter = new Converter(document, source.text, locate, problems);
    const contents = document.contents === null ? undefined : converter.convert(document.contents as YamlNode, 0);
    if (converter.failed) continue;
    documents.push({ contents: isEmptyScalar(contents) ? undefined : contents, location: contents?.location ?? locate(start) });
  }
  return { documents, problems };
}

function isEmptyScalar(value: YamlValue | undefined): boolean {
  return value?.kind === 'scalar' && value.value === null;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

class Converter {
  failed = false;
  private nodes = 0;

  constructor(
    private readonly document: Document.Parsed,
    private readonly text: string,
    private readonly locate: (offset: number) => SourceLocation,
    private readonly problems: LoadProblem[],
  ) {}

  convert(node: unknown, depth: number): YamlValue | undefined {
    if (this.failed) return undefined;
    const offset = rangeStart(node);
    if (++this.nodes > maxNodesPerDocument || depth > maxDepth) {
      this.fail('yaml_too_large', 'the YAML document is too large or too deeply nested (aliases expanded)', offset);
      return undefined;
    }
    if (isAlias(node)) {
      let target: unknown;
      try {
        target = node.resolve(this.document);
      } catch {
        target = undefined;
      }
      if (target === undefined) {
        this.fail('yaml_syntax', `unresolved alias *${node.source}`, offset);
        return undefined;
      }
      return this.convert(target, depth + 1);
    }
    if (isMap(node)) {
      const entries: YamlEntry[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        const keyOffset = rangeStart(keyNode) ?? offset;
        if (keyNode !== null && !isScalar(keyNode)) {
          this.fail('yaml_syntax', 'a map key must be a plain value', keyOffset);
          return undefined;
        }
        const keyValue = keyNode === null ? null : (keyNode as Scalar).value;
        const key = keyValue === null || keyValue === undefined ? '' : String(keyValue);
        const keyLocation = this.locate(keyOffset ?? 0);
        const value = pair.value === null ? { kind: 'scalar' as const, value: null, location: keyLocation } : this.convert(pair.value, depth + 1);
        if (value === undefined) return undefined;
        entries.push({ key, keyLocation, value });
      }
      return { kind: 'map', entries, location: this.locate(offset ?? 0) };
    }
    if (isSeq(node)) {
      const items: YamlValue[] = [];
      for (const item of node.items) {
        const value = item === null ? { kind: 'scalar' as const, value: null, location: this.locate(offset ?? 0) } : this.convert(item, depth + 1);
        if (value === undefined) return undefined;
        items.push(value);
      }
      return { kind: 'seq', items, location: this.locate(offset ?? 0) };
    }
    if (isScalar(node)) return this.scalar(node);
    this.fail('yaml_syntax', 'unsupported YAML node', offset);
    return undefined;
  }

  private scalar(node: Scalar): YamlScalarValue {
    const [start, end] = node.range ?? [0, 0];
    const written = this.text.slice(start, end);
    const location = this.locate(start);
    let value: SigmaScalar;
    const raw: unknown = node.value;
    if (raw === null || raw === undefined) value = null;
    else if (typeof raw === 'string') value = raw;
    else if (typeof raw === 'boolean') value = raw;
    else if (typeof raw === 'number') value = node.type === Scalar.PLAIN && written !== String(raw) ? written : raw;
    else if (typeof raw === 'bigint') value = written;
    else value = String(raw);
    const scalar: YamlScalarValue = { kind: 'scalar', value, location };
    if (typeof value === 'string' && !written.includes('\n')) {
      if (node.type === Scalar.PLAIN && written === value) scalar.textStart = location;
      else if ((node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE) && written.slice(1, -1) === value) {
        scalar.textStart = this.locate(start + 1);
      }
    }
    return scalar;
  }

  private fail(code: string, message: string, offset: number | undefined): void {
    this.failed = true;
    this.problems.push({ severity: 'error', code, message, location: this.locate(offset ?? 0) });
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

/** The entry of `key` in a map, if any. */
export function entryOf(map: YamlMapValue, key: string): YamlEntry | undefined {
  return map.entries.find((entry) => entry.key === key);
}

/** Deep merge used by Sigma rule collections: overlay entries replace base entries, maps merge recursively. */
export function mergeMaps(base: YamlMapValue, overlay: YamlMapValue): YamlMapValue {
  const entries = base.entries.slice();
  for (const entry of overlay.entries) {
    const index = entries.findIndex((existing) => existing.key === entry.key);
    const existing = index >= 0 ? entries[index] : undefined;
    if (existing === undefined) entries.push(entry);
    else if (existing.value.kind === 'map' && entry.value.kind === 'map') {
      entries[index] = { ...entry, value: mergeMaps(existing.value, entry.value) };
    } else entries[index] = entry;
  }
  return { kind: 'map', entries, location: overlay.location };
}
