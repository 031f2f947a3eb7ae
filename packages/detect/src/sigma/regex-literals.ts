// Finds a literal run that every match of a regular expression must contain, for the prefilter of `re` rules.
// Conservative: returns undefined whenever it is not sure (alternation at the top level, unusual syntax).

/** Characters that are literal when escaped with a backslash. */
const ESCAPED_LITERALS = new Set([...'\\.^$|?*+()[]{}/-"\' #:=,<>!@%&~`']);

/**
 * The longest run of characters that must appear, in this order and adjacent, in any string the regex matches
 * (regardless of case), or undefined. Only the top level of the pattern is considered: groups, classes and
 * anything quantified with a possible zero count break runs.
 */
export function requiredRegexLiteral(source: string): string | undefined {
  let body = source;
  const inline = /^\(\?[imsx]+\)/.exec(body);
  if (inline) body = body.slice(inline[0].length);
  let best = '';
  let run = '';
  let depth = 0;
  const flush = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  /** Applies a quantifier that follows the last literal character appended to `run`. */
  const quantify = (i: number): number => {
    const next = body[i];
    if (next === '*' || next === '?') {
      run = run.slice(0, -1);
      flush();
      return i + 1 + (body[i + 1] === '?' || body[i + 1] === '+' ? 1 : 0);
    }
    if (next === '+') {
      flush();
      return i + 1 + (body[i + 1] === '?' || body[i + 1] === '+' ? 1 : 0);
    }
    if (next === '{') {
      const close = body.indexOf('}', i);
      if (close < 0) return -1;
      const min = Number(body.slice(i + 1, close).split(',')[0]);
      if (!Number.isInteger(min)) return -1;
      if (min === 0) run = run.slice(0, -1);
      flush();
      return close + 1 + (body[close + 1] === '?' ? 1 : 0);
    }
    return i;
  };
  let i = 0;
  while (i < body.length) {
    const char = body[i]!;
    if (depth > 0) {
      if (char === '\\') i += 2;
      else if (char === '[') {
        const close = classEnd(body, i);
        if (close < 0) return undefined;
        i = close + 1;
      } else {
        if (char === '(') depth++;
        else if (char === ')') depth--;
        i++;
        if (depth === 0) {
          // A group may be optional or repeated: it only breaks the run.
          flush();
          const after = quantify(i);
          if (after < 0) return undefined;
          i = after === i ? i : after;
        }
      }
      continue;
    }
    if (char === '|') return undefined;
    if (char === '(') {
      flush();
      depth = 1;
      i++;
      continue;
    }
    if (char === '[') {
      flush();
      const close = classEnd(body, i);
      if (close < 0) return undefined;
      i = quantifyBreak(body, close + 1);
      continue;
    }
    if (char === '\\') {
      const next = body[i + 1];
      if (next === undefined) return undefined;
      if (ESCAPED_LITERALS.has(next)) {
        run += next;
        i = quantify(i + 2);
        if (i < 0) return undefined;
      } else {
        // \d \w \s \b, back-references, \x41, \u0041: not literal here.
        flush();
        i = quantifyBreak(body, i + 2);
      }
      continue;
    }
    if (char === '.' || char === '^' || char === '$') {
      flush();
      i = quantifyBreak(body, i + 1);
      continue;
    }
    if (char === '*' || char === '+' || char === '?' || char === '{' || char === ')') return undefined;
    run += char;
    i = quantify(i + 1);
    if (i < 0) return undefined;
  }
  flush();
  return best.length ? best : undefined;
}

function classEnd(body: string, open: number): number {
  let i = open + 1;
  if (body[i] === '^') i++;
  if (body[i] === ']') i++;
  for (; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === ']') return i;
  }
  return -1;
}

/** Skips a quantifier after a non-literal atom. */
function quantifyBreak(body: string, i: number): number {
  const next = body[i];
  if (next === '*' || next === '+' || next === '?') return i + 1 + (body[i + 1] === '?' || body[i + 1] === '+' ? 1 : 0);
  if (next === '{') {
    const close = body.indexOf('}', i);
    return close < 0 ? i : close + 1 + (body[close + 1] === '?' ? 1 : 0);
  }
  return i;
}
