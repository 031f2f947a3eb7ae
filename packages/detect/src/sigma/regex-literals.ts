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

/**
 * A lower bound on the length (UTF-16 code units) of every string that a JavaScript regex with these flags matches;
 * 0 when the pattern uses syntax this reader does not know (then no length check is made). Never more than the
 * shortest match: a text shorter than this bound cannot contain a match.
 */
export function minimumRegexLength(source: string, flags: string): number {
  if (flags.includes('v')) return 0;
  const reader: RegexReader = { source, at: 0, unicode: flags.includes('u') };
  const length = alternationLength(reader);
  return length === undefined || reader.at !== source.length ? 0 : length;
}

interface RegexReader {
  source: string;
  at: number;
  unicode: boolean;
}

function alternationLength(reader: RegexReader): number | undefined {
  let shortest = Infinity;
  for (;;) {
    const length = sequenceLength(reader);
    if (length === undefined) return undefined;
    shortest = Math.min(shortest, length);
    if (reader.source[reader.at] !== '|') return shortest;
    reader.at++;
  }
}

function sequenceLength(reader: RegexReader): number | undefined {
  const { source } = reader;
  let total = 0;
  while (reader.at < source.length && source[reader.at] !== '|' && source[reader.at] !== ')') {
    const atom = atomLength(reader);
    if (atom === undefined) return undefined;
    total += atom * minimumRepeat(reader);
  }
  return total;
}

const QUANTIFIER = /^\{(\d+)(?:,\d*)?\}/;
const isHex = (char: string | undefined): boolean => char !== undefined && /^[0-9a-fA-F]$/.test(char);

/** The shortest length of the atom at `reader.at`, which it consumes (a quantifier after it is left). */
function atomLength(reader: RegexReader): number | undefined {
  const { source } = reader;
  const char = source[reader.at]!;
  if (char === '(') {
    reader.at++;
    let zeroWidth = false;
    if (source.startsWith('?:', reader.at)) reader.at += 2;
    else if (source.startsWith('?=', reader.at) || source.startsWith('?!', reader.at)) {
      reader.at += 2;
      zeroWidth = true;
    } else if (source.startsWith('?<=', reader.at) || source.startsWith('?<!', reader.at)) {
      reader.at += 3;
      zeroWidth = true;
    } else if (source.startsWith('?<', reader.at)) {
      const close = source.indexOf('>', reader.at);
      if (close < 0) return undefined;
      reader.at = close + 1;
    } else if (source[reader.at] === '?') return undefined;
    const inner = alternationLength(reader);
    if (inner === undefined || source[reader.at] !== ')') return undefined;
    reader.at++;
    return zeroWidth ? 0 : inner;
  }
  if (char === '[') {
    // The first unescaped ']' closes a class in JavaScript, even right after '[' or '[^' (then it matches nothing or anything).
    let i = reader.at + 1;
    while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
    if (i >= source.length) return undefined;
    reader.at = i + 1;
    return 1;
  }
  if (char === '\\') return escapeLength(reader);
  if (char === '^' || char === '$') {
    reader.at++;
    return 0;
  }
  if (char === '*' || char === '+' || char === '?') return undefined;
  if (char === '{' && QUANTIFIER.test(source.slice(reader.at))) return undefined;
  reader.at++;
  return 1;
}

function escapeLength(reader: RegexReader): number | undefined {
  const { source } = reader;
  const next = source[reader.at + 1];
  if (next === undefined) return undefined;
  reader.at += 2;
  if (next === 'b' || next === 'B') return 0;
  if (next >= '1' && next <= '9') {
    // A back-reference (may be empty) or, without such a group, an octal escape: 0 is a bound for both.
    while (/^[0-9]$/.test(source[reader.at] ?? '')) reader.at++;
    return 0;
  }
  if (next === 'k') {
    if (source[reader.at] === '<') {
      const close = source.indexOf('>', reader.at);
      if (close < 0) return undefined;
      reader.at = close + 1;
    }
    return 0;
  }
  if (next === '0') {
    for (let n = 0; n < 2 && /^[0-7]$/.test(source[reader.at] ?? ''); n++) reader.at++;
    return 1;
  }
  if (next === 'x') {
    if (isHex(source[reader.at]) && isHex(source[reader.at + 1])) reader.at += 2;
    return 1;
  }
  if (next === 'u') {
    if (reader.unicode && source[reader.at] === '{') {
      const close = source.indexOf('}', reader.at);
      if (close < 0) return undefined;
      reader.at = close + 1;
    } else if ([0, 1, 2, 3].every((k) => isHex(source[reader.at + k]))) reader.at += 4;
    return 1;
  }
  if (next === 'c') {
    if (/^[A-Za-z]$/.test(source[reader.at] ?? '')) reader.at++;
    return 1;
  }
  if ((next === 'p' || next === 'P') && reader.unicode) {
    if (source[reader.at] === '{') {
      const close = source.indexOf('}', reader.at);
      if (close < 0) return undefined;
      reader.at = close + 1;
    }
    return 1;
  }
  return 1;
}

/** The minimum repeat count of a quantifier at `reader.at` (consumed with a lazy `?`); 1 when there is none. */
function minimumRepeat(reader: RegexReader): number {
  const { source } = reader;
  const char = source[reader.at];
  let min = 1;
  if (char === '*' || char === '?') {
    min = 0;
    reader.at++;
  } else if (char === '+') reader.at++;
  else if (char === '{') {
    const quantifier = QUANTIFIER.exec(source.slice(reader.at));
    if (!quantifier) return 1;
    min = Number(quantifier[1]);
    reader.at += quantifier[0].length;
  } else return 1;
  if (source[reader.at] === '?') reader.at++;
  return min;
}
