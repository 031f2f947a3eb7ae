// Autocomplete for the hunt query editor: reads the query up to the cursor (strings, regexes, pipes, brackets) and
// says what may come next, then ranks schema fields, categories, pipes, functions or operators for the typed prefix.
// Pure; never throws on any text, and never suggests inside a string or regex literal.

export interface HuntField {
  name: string;
  type: string;
  categories: readonly string[];
  description: string;
}

export type CompletionKind = 'head' | 'field' | 'pipe' | 'aggregation' | 'operator' | 'category' | 'none';

export interface CompletionContext {
  kind: CompletionKind;
  /** The word being typed (possibly empty). */
  prefix: string;
  /** Offsets of the prefix in the text: a suggestion replaces text.slice(from, to). */
  from: number;
  to: number;
  /** Category of the query head (or of the sequence step), when known: fields are narrowed to it. */
  category: string | null;
}

export interface Suggestion {
  label: string;
  kind: 'field' | 'category' | 'pipe' | 'keyword' | 'function' | 'operator';
  detail: string;
  /** Text that replaces the prefix. */
  insert: string;
}

export const huntPipes = ['where', 'stats', 'top', 'timechart', 'sort', 'limit', 'head', 'fields'] as const;
export const huntAggregations = ['count()', 'count(', 'dc(', 'min(', 'max(', 'sum(', 'avg('] as const;
export const huntOperators = ['==', '!=', 'contains', 'startswith', 'endswith', 'like', 'in', 'in cidr', 'matches', 'between', '>', '>=', '<', '<=', 'not'] as const;
const headWords = ['any', 'events', 'sequence'];
const fieldKeywords = new Set(['where', 'and', 'or', 'not', 'by', 'sort', 'fields', 'top', 'exists', 'with']);
const operatorWords = new Set(['contains', 'startswith', 'endswith', 'like', 'in', 'matches', 'between', 'equals', 'contains_cs', 'startswith_cs', 'endswith_cs', 'like_cs', 'in_cs', 'matches_cs', 'equals_cs', 'cidr']);
const isWordChar = (c: string) => /[A-Za-z0-9_.@*\-]/.test(c);

type Token = { kind: 'word' | 'op' | 'string' | 'regex' | 'number'; text: string; start: number };

/** Tokens of text[0, end); `open` tells whether the text ends inside a string or regex literal. */
function scan(text: string, end: number): { tokens: Token[]; open: boolean } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < end) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === "'" || (c === '@' && text[i + 1] === '"')) {
      const verbatim = c === '@';
      const quote = verbatim ? '"' : c;
      i += verbatim ? 2 : 1;
      let closed = false;
      while (i < end) {
        const d = text[i]!;
        if (!verbatim && d === '\\') {
          i += 2;
          continue;
        }
        if (d === quote) {
          if (verbatim && text[i + 1] === '"' && i + 1 < end) {
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        i++;
      }
      if (!closed || i > end) return { tokens, open: true };
      tokens.push({ kind: 'string', text: text.slice(start, i), start });
      continue;
    }
    if (c === '/') {
      i++;
      let closed = false;
      while (i < end) {
        const d = text[i]!;
        if (d === '\\') {
          i += 2;
          continue;
        }
        i++;
        if (d === '/') {
          closed = true;
          break;
        }
      }
      if (!closed || i > end) return { tokens, open: true };
      tokens.push({ kind: 'regex', text: text.slice(start, i), start });
      continue;
    }
    if (isWordChar(c)) {
      while (i < end && isWordChar(text[i]!)) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: /^-?\d/.test(word) ? 'number' : 'word', text: word, start });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '=~', '!~'].includes(two) && i + 2 <= end) {
      tokens.push({ kind: 'op', text: two, start });
      i += 2;
      continue;
    }
    tokens.push({ kind: 'op', text: c, start });
    i++;
  }
  return { tokens, open: false };
}

export function completionContext(text: string, cursor: number, categories: readonly string[] = []): CompletionContext {
  const at = Math.max(0, Math.min(text.length, Math.floor(Number.isFinite(cursor) ? cursor : text.length)));
  let from = at;
  while (from > 0 && isWordChar(text[from - 1]!)) from--;
  const prefix = text.slice(from, at);
  const none: CompletionContext = { kind: 'none', prefix, from, to: at, category: null };
  const { tokens, open } = scan(text, from);
  if (open) return none;
  if (prefix.startsWith('"') || /^-?\d/.test(prefix)) return none;
  const categorySet = new Set(categories);

  // The current pipe segment (top level, outside brackets) and the category that scopes its fields.
  let depth = 0;
  /** The word before each open parenthesis: inside `in (...)` come values, not fields. */
  const openers: string[] = [];
  let segmentStart = 0;
  let category: string | null = null;
  let stepCategory: string | null = null;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === 'op' && (t.text === '(' || t.text === '[')) {
      depth++;
      openers.push(t.text === '(' ? (tokens[k - 1]?.text.toLowerCase() ?? '') : '[');
      if (t.text === '[') {
        const next = tokens[k + 1];
        stepCategory = next && next.kind === 'word' && categorySet.has(next.text.toLowerCase()) ? next.text.toLowerCase() : null;
      }
    } else if (t.kind === 'op' && (t.text === ')' || t.text === ']')) {
      depth = Math.max(0, depth - 1);
      openers.pop();
      if (t.text === ']') stepCategory = null;
    } else if (t.kind === 'op' && t.text === '|' && depth === 0) segmentStart = k + 1;
    if (k === 0 && t.kind === 'word' && categorySet.has(t.text.toLowerCase())) category = t.text.toLowerCase();
  }
  const scope = stepCategory ?? category;
  const segment = tokens.slice(segmentStart);
  const prev = tokens[tokens.length - 1];
  const inPipe = segmentStart > 0;
  const pipeName = inPipe ? segment[0]?.text.toLowerCase() : undefined;
  const ctx = (kind: CompletionKind): CompletionContext => ({ kind, prefix, from, to: at, category: scope });

  if (!prev) return ctx('head');
  if (prev.kind === 'op' && prev.text === '|' && depth === 0) return ctx('pipe');
  if (prev.kind === 'op' && prev.text === '[') return ctx('category');
  if (prev.kind === 'string' || prev.kind === 'regex' || prev.kind === 'number') return ctx('field');
  if (prev.kind === 'op') {
    if (['(', ',', '!'].includes(prev.text)) {
      if (pipeName === 'stats' || pipeName === 'timechart') {
        const afterBy = segment.some((t) => t.kind === 'word' && t.text.toLowerCase() === 'by');
        if (!afterBy && prev.text === ',') return ctx('aggregation');
      }
      const inList = /^(in|in_cs|cidr)$/.test(openers[openers.length - 1] ?? '');
      return inList ? none : ctx('field');
    }
    if (prev.text === ']') return ctx('field');
    return none;
  }
  const word = prev.text.toLowerCase();
  if (inPipe && segment.length === 1 && (word === 'stats' || word === 'timechart')) return ctx('aggregation');
  if (inPipe && pipeName === 'timechart' && word.startsWith('span=')) return ctx('aggregation');
  if (fieldKeywords.has(word)) return ctx('field');
  if (operatorWords.has(word)) return none;
  if (word === 'sequence' || word.startsWith('maxspan=')) return ctx('category');
  if (!inPipe && tokens.length === 1 && categorySet.has(word)) return { ...ctx('field'), category: word };
  if (/^(asc|desc|true|false)$/.test(word)) return ctx('field');
  if (word.includes('.') || word.startsWith('@') || word.endsWith(')')) return ctx('operator');
  if (inPipe && (pipeName === 'limit' || pipeName === 'head')) return none;
  return ctx('operator');
}

/** Suggestions for a context, best first: prefix matches before substring matches, at most `max`. */
export function suggest(context: CompletionContext, fields: readonly HuntField[], categories: readonly string[], max = 12): Suggestion[] {
  const needle = context.prefix.toLowerCase();
  const out: Suggestion[] = [];
  const fieldSuggestions = (): Suggestion[] =>
    fields
      .filter((f) => !context.category || f.categories.includes(context.category))
      .map((f) => ({ label: f.name, kind: 'field' as const, detail: `${f.type} · ${f.description}`, insert: f.name }));
  switch (context.kind) {
    case 'none':
      return [];
    case 'head':
      out.push(...categories.map((c) => ({ label: c, kind: 'category' as const, detail: 'event category', insert: c })));
      out.push(...headWords.map((w) => ({ label: w, kind: 'keyword' as const, detail: w === 'sequence' ? 'ordered steps' : 'every category', insert: w })));
      out.push(...fieldSuggestions());
      break;
    case 'category':
      out.push(...categories.map((c) => ({ label: c, kind: 'category' as const, detail: 'event category', insert: c })));
      out.push({ label: 'any', kind: 'keyword', detail: 'every category', insert: 'any' });
      break;
    case 'pipe':
      out.push(...huntPipes.map((p) => ({ label: p, kind: 'pipe' as const, detail: 'pipe', insert: p })));
      break;
    case 'aggregation':
      out.push(...huntAggregations.map((a) => ({ label: a, kind: 'function' as const, detail: 'aggregation', insert: a })));
      out.push({ label: 'by', kind: 'keyword', detail: 'group by fields', insert: 'by' });
      break;
    case 'field':
      out.push(...fieldSuggestions());
      out.push(...['where', 'and', 'or', 'not', 'by', 'exists('].map((k) => ({ label: k, kind: 'keyword' as const, detail: 'keyword', insert: k })));
      break;
    case 'operator':
      out.push(...huntOperators.map((o) => ({ label: o, kind: 'operator' as const, detail: 'operator', insert: o })));
      out.push(...['and', 'or', 'by', 'as', 'asc', 'desc'].map((k) => ({ label: k, kind: 'keyword' as const, detail: 'keyword', insert: k })));
      break;
  }
  if (!needle) return context.kind === 'field' || context.kind === 'head' ? out.filter((s) => s.kind !== 'keyword').slice(0, max) : out.slice(0, max);
  const starts = out.filter((s) => s.label.toLowerCase().startsWith(needle));
  const inside = out.filter((s) => !s.label.toLowerCase().startsWith(needle) && s.label.toLowerCase().includes(needle));
  const exact = starts.length === 1 && starts[0]!.label.toLowerCase() === needle && !inside.length;
  return exact ? [] : [...starts, ...inside].slice(0, max);
}

/** The text after accepting a suggestion, and where the cursor goes. */
export function applySuggestion(text: string, context: CompletionContext, suggestion: Suggestion): { text: string; cursor: number } {
  const after = text.slice(context.to);
  const needsSpace = !suggestion.insert.endsWith('(') && !after.startsWith(' ') && !suggestion.insert.endsWith(')') ? ' ' : suggestion.insert.endsWith(')') && !after.startsWith(' ') ? ' ' : '';
  const inserted = suggestion.insert + needsSpace;
  return { text: text.slice(0, context.from) + inserted + after, cursor: context.from + inserted.length };
}
