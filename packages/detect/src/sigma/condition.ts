// Parses Sigma condition strings (and/or/not, parentheses, `1 of`/`any of`/`all of`, `them`, wildcard names) into SigmaCondition trees.
// Never evaluates anything and never throws: every problem is a LoadProblem located at the column inside the condition.

import type { LoadProblem, SigmaCondition, SourceLocation } from '../core.js';

export interface ConditionText {
  text: string;
  /** Where the condition value is written. */
  location: SourceLocation;
  /** Location of the first character when the text is written verbatim on one line; enables exact columns. */
  textStart?: SourceLocation;
}

type Token =
  | { kind: 'open' | 'close' | 'and' | 'or' | 'not' | 'them' | 'of'; index: number }
  | { kind: 'word'; text: string; index: number }
  | { kind: 'pipe'; index: number }
  | { kind: 'end'; index: number };

/** Names that `them` stands for: every search whose name does not start with `_`. */
export function searchNamesMatching(pattern: string, names: readonly string[]): string[] {
  if (pattern === 'them') return names.filter((name) => !name.startsWith('_'));
  if (!pattern.includes('*')) return names.filter((name) => name === pattern);
  const expression = new RegExp('^' + pattern.split('*').map(escapeRegExp).join('.*') + '$', 's');
  return names.filter((name) => expression.test(name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses one condition string; names are checked against `searchNames`. */
export function parseCondition(input: ConditionText, searchNames: readonly string[]): { condition?: SigmaCondition; problems: LoadProblem[] } {
  const problems: LoadProblem[] = [];
  const at = (index: number): SourceLocation =>
    input.textStart ? { file: input.textStart.file, line: input.textStart.line, column: input.textStart.column + index } : input.location;
  const error = (code: string, message: string, index: number): void => {
    problems.push({ severity: 'error', code, message, location: at(index) });
  };
  const tokens = tokenize(input.text);
  const pipe = tokens.find((token) => token.kind === 'pipe');
  if (pipe) {
    error(
      'unsupported_aggregation',
      'the legacy aggregation pipe (`| count() ...`, `| near ...`) is not supported: write a Sigma correlation rule (event_count, value_count, temporal) instead',
      pipe.index,
    );
    return { problems };
  }
  let position = 0;
  const peek = (): Token => tokens[position] ?? { kind: 'end', index: input.text.length };
  const next = (): Token => {
    const token = peek();
    if (position < tokens.length) position++;
    return token;
  };

  const parseOr = (): SigmaCondition | undefined => {
    const operands: SigmaCondition[] = [];
    const first = parseAnd();
    if (!first) return undefined;
    operands.push(first);
    while (peek().kind === 'or') {
      next();
      const operand = parseAnd();
      if (!operand) return undefined;
      operands.push(operand);
    }
    return operands.length === 1 ? operands[0] : { kind: 'or', operands };
  };
  const parseAnd = (): SigmaCondition | undefined => {
    const operands: SigmaCondition[] = [];
    const first = parseUnary();
    if (!first) return undefined;
    operands.push(first);
    while (peek().kind === 'and') {
      next();
      const operand = parseUnary();
      if (!operand) return undefined;
      operands.push(operand);
    }
    return operands.length === 1 ? operands[0] : { kind: 'and', operands };
  };
  const parseUnary = (): SigmaCondition | undefined => {
    if (peek().kind === 'not') {
      next();
      const operand = parseUnary();
      return operand ? { kind: 'not', operand } : undefined;
    }
    return parsePrimary();
  };
  const parsePrimary = (): SigmaCondition | undefined => {
    const token = next();
    if (token.kind === 'open') {
      const inner = parseOr();
      if (!inner) return undefined;
      const close = next();
      if (close.kind !== 'close') {
        error('condition_syntax', `expected ')' ${describe(close)}`, close.index);
        return undefined;
      }
      return inner;
    }
    if (token.kind === 'word') {
      if (peek().kind === 'of') {
        next();
        const quantifier = quantifierOf(token.text);
        if (!quantifier) {
          error('condition_syntax', `'${token.text} of' is not supported: use '1 of', 'any of' or 'all of'`, token.index);
          return undefined;
        }
        const target = next();
        const pattern = target.kind === 'them' ? 'them' : target.kind === 'word' ? target.text : undefined;
        if (pattern === undefined) {
          error('condition_syntax', `expected a search name pattern or 'them' after 'of' ${describe(target)}`, target.index);
          return undefined;
        }
        if (searchNamesMatching(pattern, searchNames).length === 0) {
          error('unknown_search', `'${pattern}' matches no search of this rule`, target.index);
          return undefined;
        }
        return { kind: 'of', quantifier, pattern, location: at(token.index) };
      }
      if (token.text.includes('*')) {
        error('condition_syntax', `a wildcard name ('${token.text}') is only allowed after '1 of' or 'all of'`, token.index);
        return undefined;
      }
      if (!searchNames.includes(token.text)) {
        error('unknown_search', `unknown search '${token.text}' in the condition`, token.index);
        return undefined;
      }
      return { kind: 'search', name: token.text, location: at(token.index) };
    }
    error('condition_syntax', `expected a search name, 'not', '(' or 'x of' ${describe(token)}`, token.index);
    return undefined;
  };

  const condition = parseOr();
  if (condition) {
    const rest = peek();
    if (rest.kind !== 'end') {
      error('condition_syntax', `unexpected ${describe(rest)}`, rest.index);
      return { problems };
    }
  }
  return condition && problems.length === 0 ? { condition, problems } : { problems };
}

function quantifierOf(word: string): 'one' | 'all' | undefined {
  const lower = word.toLowerCase();
  if (lower === '1' || lower === 'any') return 'one';
  if (lower === 'all') return 'all';
  return undefined;
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'but the condition ended';
    case 'word':
      return `but found '${token.text}'`;
    case 'open':
      return "but found '('";
    case 'close':
      return "but found ')'";
    case 'pipe':
      return "but found '|'";
    default:
      return `but found '${token.kind}'`;
  }
}

const keywordTokens = new Map<string, 'and' | 'or' | 'not' | 'them' | 'of'>([
  ['and', 'and'],
  ['or', 'or'],
  ['not', 'not'],
  ['them', 'them'],
  ['of', 'of'],
]);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close', index });
      index++;
      continue;
    }
    if (char === '|') {
      tokens.push({ kind: 'pipe', index });
      index++;
      continue;
    }
    const start = index;
    while (index < text.length && !/[\s()|]/.test(text[index] as string)) index++;
    const word = text.slice(start, index);
    const keyword = keywordTokens.get(word.toLowerCase());
    if (keyword !== undefined) tokens.push({ kind: keyword, index: start });
    else tokens.push({ kind: 'word', text: word, index: start });
  }
  return tokens;
}
