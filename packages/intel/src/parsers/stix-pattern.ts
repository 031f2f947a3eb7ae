// A parser of the STIX 2.1 patterning language (STIX 2.1 part 9): observation expressions with AND, OR and
// FOLLOWEDBY, qualifiers, comparison expressions with every operator and literal kind, object paths. It builds the
// whole AST; deciding what Vigil can match is stix-indicators.ts's job. Never evaluates anything.

import { VigilError } from '@vigil/common';

export type PathStep = string | number | '*';

export interface ObjectPath {
  objectType: string;
  /** Property steps after the colon: names, list indexes, `*`. */
  steps: PathStep[];
  /** As written (`file:hashes.'SHA-256'`). */
  text: string;
  /** 1-based column in the pattern. */
  column: number;
}

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'int' | 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'timestamp' | 'hex' | 'binary'; value: string };

export type ComparisonOperator = '=' | '!=' | '>' | '<' | '>=' | '<=' | 'IN' | 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET';

export type ComparisonExpression =
  | { kind: 'comparison'; path: ObjectPath; negated: boolean; operator: ComparisonOperator; value: Literal | Literal[]; column: number }
  | { kind: 'exists'; path: ObjectPath; column: number }
  | { kind: 'and' | 'or'; operands: ComparisonExpression[]; column: number };

export type Qualifier =
  | { kind: 'within'; seconds: number; column: number }
  | { kind: 'repeats'; times: number; column: number }
  | { kind: 'start-stop'; start: string; stop: string; column: number };

export type ObservationExpression =
  | { kind: 'observation'; comparison: ComparisonExpression; qualifiers: Qualifier[]; column: number }
  | { kind: 'and' | 'or' | 'followedby'; operands: ObservationExpression[]; qualifiers: Qualifier[]; column: number };

type TokenKind = 'ident' | 'string' | 'number' | 'timestamp' | 'hex' | 'binary' | 'punct' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value for strings and typed literals. */
  value: string;
  column: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'LIKE', 'MATCHES', 'ISSUPERSET', 'ISSUBSET', 'EXISTS', 'IN', 'START', 'STOP', 'SECONDS', 'WITHIN', 'REPEATS', 'TIMES']);
const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?Z$/;

/** A syntax error in a pattern; `column` is 1-based within the pattern. */
export class PatternSyntaxError extends VigilError {
  constructor(message: string, readonly column: number) {
    super('invalid_input', `${message} (column ${column} of the pattern)`);
  }
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new PatternSyntaxError(message, at + 1);
  };
  const quoted = (start: number): [string, number] => {
    // `start` is the opening quote.
    let out = '';
    let j = start + 1;
    for (;;) {
      if (j >= pattern.length) fail('unterminated string literal', start);
      const c = pattern[j]!;
      if (c === '\\') {
        const next = pattern[j + 1];
        if (next !== "'" && next !== '\\') fail(`invalid escape \\${next ?? ''} in a string (only \\' and \\\\ are allowed)`, j);
        out += next;
        j += 2;
        continue;
      }
      if (c === "'") return [out, j + 1];
      out += c;
      j++;
    }
  };
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'") {
      const [value, end] = quoted(i);
      tokens.push({ kind: 'string', text: pattern.slice(start, end), value, column: start + 1 });
      i = end;
      continue;
    }
    if ((c === 't' || c === 'h' || c === 'b') && pattern[i + 1] === "'") {
      const [value, end] = quoted(i + 1);
      const kind = c === 't' ? 'timestamp' : c === 'h' ? 'hex' : 'binary';
      if (kind === 'timestamp' && !TIMESTAMP.test(value)) fail(`invalid timestamp t'${value}' (RFC 3339 UTC with a Z, e.g. t'2016-01-01T00:00:00Z')`, start);
      if (kind === 'hex' && !/^([0-9a-fA-F]{2})*$/.test(value)) fail(`invalid hex literal h'${value}'`, start);
      if (kind === 'binary' && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) fail(`invalid binary (base64) literal b'${value}'`, start);
      tokens.push({ kind, text: pattern.slice(start, end), value, column: start + 1 });
      i = end;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(pattern.slice(i));
    if (number && (c !== '-' || /\d/.test(pattern[i + 1] ?? ''))) {
      tokens.push({ kind: 'number', text: number[0], value: number[0], column: start + 1 });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(pattern.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], value: ident[0], column: start + 1 });
      i += ident[0].length;
      continue;
    }
    const two = pattern.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '<>') {
      if (two === '<>') fail('"<>" is not a STIX operator; use "!="');
      tokens.push({ kind: 'punct', text: two, value: two, column: start + 1 });
      i += 2;
      continue;
    }
    if ('[](),:.*=<>'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, value: c, column: start + 1 });
      i++;
      continue;
    }
    fail(`unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: 'end', text: '', value: '', column: pattern.length + 1 });
  return tokens;
}

/** Parses a STIX pattern; throws PatternSyntaxError with the column of the first problem. */
export function parseStixPattern(pattern: string): ObservationExpression {
  if (pattern.length > 1_000_000) throw new PatternSyntaxError('pattern longer than 1,000,000 characters', 1);
  const tokens = tokenize(pattern);
  let pos = 0;
  let depth = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const fail = (message: string, token: Token = peek()): never => {
    throw new PatternSyntaxError(message, token.column);
  };
  const describe = (token: Token) => (token.kind === 'end' ? 'the end of the pattern' : JSON.stringify(token.text));
  const isKeyword = (token: Token, word: string) => token.kind === 'ident' && token.text === word;
  const isPunct = (token: Token, text: string) => token.kind === 'punct' && token.text === text;
  const expectPunct = (text: string, what: string): Token => {
    const token = peek();
    if (!isPunct(token, text)) fail(`expected ${what} but found ${describe(token)}`);
    return next();
  };
  const nest = <T>(body: () => T): T => {
    if (++depth > 200) fail('pattern nested more than 200 levels deep');
    try {
      return body();
    } finally {
      depth--;
    }
  };

  function objectPath(): ObjectPath {
    const first = peek();
    if (first.kind !== 'ident' || KEYWORDS.has(first.text)) fail(`expected an object path such as file:name but found ${describe(first)}`);
    next();
    if (!/^[a-z0-9-]+$/.test(first.text) || first.text.length < 3 || first.text.length > 250) fail(`invalid object type ${JSON.stringify(first.text)} (lower-case letters, digits and hyphens, 3-250 characters)`, first);
    expectPunct(':', 'a ":" after the object type');
    const steps: PathStep[] = [];
    const property = () => {
      const token = peek();
      if (token.kind === 'ident') return next().text;
      if (token.kind === 'string') return next().value;
      return fail(`expected a property name but found ${describe(token)}`);
    };
    steps.push(property());
    let end = tokens[pos - 1]!;
    for (;;) {
      if (isPunct(peek(), '.')) {
        next();
        steps.push(property());
      } else if (isPunct(peek(), '[')) {
        next();
        const index = peek();
        if (isPunct(index, '*')) steps.push((next(), '*'));
        else if (index.kind === 'number' && /^\d+$/.test(index.text)) steps.push(Number(next().text));
        else fail(`expected a list index or * but found ${describe(index)}`);
        expectPunct(']', '"]"');
      } else break;
      end = tokens[pos - 1]!;
    }
    return { objectType: first.text, steps, text: pattern.slice(first.column - 1, end.column - 1 + end.text.length), column: first.column };
  }

  function literal(): Literal {
    const token = peek();
    switch (token.kind) {
      case 'string':
        next();
        return { kind: 'string', value: token.value };
      case 'number':
        next();
        return token.text.includes('.') ? { kind: 'float', value: Number(token.text) } : { kind: 'int', value: Number(token.text) };
      case 'timestamp':
      case 'hex':
      case 'binary':
        next();
        return { kind: token.kind, value: token.value };
      case 'ident':
        if (token.text === 'true' || token.text === 'false') {
          next();
          return { kind: 'bool', value: token.text === 'true' };
        }
    }
    return fail(`expected a literal (a 'string', number, true/false, t'timestamp', h'hex' or b'base64') but found ${describe(token)}`);
  }

  function propTest(): ComparisonExpression {
    const start = peek();
    if (isPunct(start, '(')) {
      next();
      const inner = nest(comparisonOr);
      expectPunct(')', 'a ")" closing the comparison group');
      return inner;
    }
    if (isKeyword(start, 'EXISTS')) {
      next();
      return { kind: 'exists', path: objectPath(), column: start.column };
    }
    const path = objectPath();
    let negated = false;
    if (isKeyword(peek(), 'NOT')) {
      next();
      negated = true;
    }
    const op = peek();
    const symbolic = ['=', '!=', '<', '>', '<=', '>='];
    if (op.kind === 'punct' && symbolic.includes(op.text)) {
      next();
      return { kind: 'comparison', path, negated, operator: op.text as ComparisonOperator, value: literal(), column: path.column };
    }
    if (op.kind === 'ident' && ['IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'].includes(op.text)) {
      next();
      const operator = op.text as ComparisonOperator;
      if (operator === 'IN') {
        expectPunct('(', 'a "(" opening the IN set');
        const values: Literal[] = [literal()];
        while (isPunct(peek(), ',')) {
          next();
          values.push(literal());
        }
        expectPunct(')', 'a ")" closing the IN set');
        return { kind: 'comparison', path, negated, operator, value: values, column: path.column };
      }
      const value = literal();
      if (value.kind !== 'string') fail(`${operator} needs a string literal`, tokens[pos - 1]);
      return { kind: 'comparison', path, negated, operator, value, column: path.column };
    }
    return fail(`expected a comparison operator (=, !=, <, >, <=, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) but found ${describe(op)}`);
  }

  function comparisonAnd(): ComparisonExpression {
    const first = propTest();
    const operands = [first];
    while (isKeyword(peek(), 'AND')) {
      next();
      operands.push(propTest());
    }
    return operands.length === 1 ? first : { kind: 'and', operands, column: first.column };
  }

  function comparisonOr(): ComparisonExpression {
    const first = comparisonAnd();
    const operands = [first];
    while (isKeyword(peek(), 'OR')) {
      next();
      operands.push(comparisonAnd());
    }
    return operands.length === 1 ? first : { kind: 'or', operands, column: first.column };
  }

  function qualifiers(): Qualifier[] {
    const out: Qualifier[] = [];
    for (;;) {
      const token = peek();
      if (isKeyword(token, 'WITHIN')) {
        next();
        const n = peek();
        if (n.kind !== 'number' || Number(n.text) <= 0) fail('WITHIN needs a positive number of seconds');
        next();
        if (!isKeyword(peek(), 'SECONDS')) fail(`expected SECONDS but found ${describe(peek())}`);
        next();
        out.push({ kind: 'within', seconds: Number(n.text), column: token.column });
      } else if (isKeyword(token, 'REPEATS')) {
        next();
        const n = peek();
        if (n.kind !== 'number' || !/^\d+$/.test(n.text) || Number(n.text) < 1) fail('REPEATS needs a positive whole number');
        next();
        if (!isKeyword(peek(), 'TIMES')) fail(`expected TIMES but found ${describe(peek())}`);
        next();
        out.push({ kind: 'repeats', times: Number(n.text), column: token.column });
      } else if (isKeyword(token, 'START')) {
        next();
        const start = peek();
        if (start.kind !== 'timestamp') fail("START needs a timestamp literal t'...'");
        next();
        if (!isKeyword(peek(), 'STOP')) fail(`expected STOP but found ${describe(peek())}`);
        next();
        const stop = peek();
        if (stop.kind !== 'timestamp') fail("STOP needs a timestamp literal t'...'");
        next();
        out.push({ kind: 'start-stop', start: start.value, stop: stop.value, column: token.column });
      } else return out;
    }
  }

  function observation(): ObservationExpression {
    const token = peek();
    let expression: ObservationExpression;
    if (isPunct(token, '[')) {
      next();
      const comparison = nest(comparisonOr);
      expectPunct(']', 'a "]" closing the observation');
      expression = { kind: 'observation', comparison, qualifiers: [], column: token.column };
    } else if (isPunct(token, '(')) {
      next();
      expression = nest(observationFollowedBy);
      expectPunct(')', 'a ")" closing the group');
    } else {
      return fail(`expected "[" starting an observation or "(" but found ${describe(token)}`);
    }
    const q = qualifiers();
    if (q.length) expression = { ...expression, qualifiers: [...expression.qualifiers, ...q] };
    return expression;
  }

  const binary = (word: 'AND' | 'OR' | 'FOLLOWEDBY', operand: () => ObservationExpression) => (): ObservationExpression => {
    const first = operand();
    const operands = [first];
    while (isKeyword(peek(), word)) {
      next();
      operands.push(operand());
    }
    return operands.length === 1 ? first : { kind: word === 'FOLLOWEDBY' ? 'followedby' : word === 'AND' ? 'and' : 'or', operands, qualifiers: [], column: first.column };
  };
  const observationAnd = binary('AND', observation);
  const observationOr = binary('OR', observationAnd);
  const observationFollowedBy = binary('FOLLOWEDBY', observationOr);

  const result = observationFollowedBy();
  if (peek().kind !== 'end') fail(`unexpected ${describe(peek())} after the end of the pattern`);
  return result;
}
