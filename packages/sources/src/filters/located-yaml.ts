// YAML (and JSON, which is YAML) read into plain values that remember their file:line:column, for config validation.
// Never throws on bad input: syntax errors come back as problems with their location.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ErrorLocation, VigilErrorDetail } from '@vigil/common';

export type Located =
  | { kind: 'map'; entries: { key: string; keyAt: ErrorLocation; value: Located }[]; at: ErrorLocation }
  | { kind: 'seq'; items: Located[]; at: ErrorLocation }
  | { kind: 'scalar'; value: string | number | boolean | null; at: ErrorLocation };

const MAX_NODES = 100_000;

export function parseLocatedYaml(text: string, file: string): { value?: Located; problems: VigilErrorDetail[] } {
  const lineCounter = new LineCounter();
  const problems: VigilErrorDetail[] = [];
  const at = (offset: number | undefined): ErrorLocation => {
    const pos = lineCounter.linePos(Math.max(0, offset ?? 0));
    return { file, line: pos.line, column: pos.col };
  };
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const error of doc.errors) problems.push({ message: `YAML: ${error.message.split('\n')[0]}`, location: at(error.pos[0]) });
  if (problems.length) return { problems };
  let nodes = 0;
  const convert = (node: unknown): Located | undefined => {
    if (++nodes > MAX_NODES) {
      problems.push({ message: `more than ${MAX_NODES} values`, location: { file } });
      return undefined;
    }
    const where = at((node as Node | null)?.range?.[0]);
    if (isMap(node)) {
      const entries: { key: string; keyAt: ErrorLocation; value: Located }[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyAt = at(keyNode?.range?.[0]);
        if (!isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
          problems.push({ message: 'keys must be plain strings', location: keyAt });
          continue;
        }
        const value = pair.value === null ? { kind: 'scalar' as const, value: null, at: keyAt } : convert(pair.value);
        if (value) entries.push({ key: String(keyNode.value), keyAt, value });
      }
      return { kind: 'map', entries, at: where };
    }
    if (isSeq(node)) {
      const items: Located[] = [];
      for (const item of node.items) {
        const value = convert(item);
        if (value) items.push(value);
      }
      return { kind: 'seq', items, at: where };
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', value: v, at: where };
      problems.push({ message: 'unsupported value (use strings, numbers, true/false)', location: where });
      return undefined;
    }
    if (node === null || node === undefined) return { kind: 'scalar', value: null, at: where };
    problems.push({ message: 'aliases and tags are not supported here', location: where });
    return undefined;
  };
  const value = doc.contents === null ? undefined : convert(doc.contents);
  return value ? { value, problems } : { problems };
}
