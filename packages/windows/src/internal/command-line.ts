// Splits a Windows command line into an argument vector the way the Microsoft C runtime does (argv of main).
// Never resolves environment variables or paths: it only undoes quoting.

function isBlank(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

/**
 * The argument vector of a Windows command line.
 * - The program name (argv[0]) ends at the first blank outside double quotes; quotes toggle and are dropped, backslashes are literal.
 * - Later arguments: 2n backslashes before a quote give n backslashes and the quote toggles quoting; 2n+1 give n
 *   backslashes and a literal quote; backslashes before anything else are literal; `""` inside quotes is a literal quote.
 * Leading blanks are skipped; an empty or blank command line has no arguments.
 */
export function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  const length = line.length;
  let i = 0;
  while (isBlank(line[i])) i++;
  if (i >= length) return args;

  let program = '';
  let quoted = false;
  for (; i < length; i++) {
    const char = line[i] as string;
    if (char === '"') quoted = !quoted;
    else if (!quoted && isBlank(char)) break;
    else program += char;
  }
  args.push(program);

  for (;;) {
    while (isBlank(line[i])) i++;
    if (i >= length) break;
    let arg = '';
    quoted = false;
    while (i < length) {
      const char = line[i] as string;
      if (!quoted && isBlank(char)) break;
      if (char === '\\') {
        let count = 0;
        while (line[i] === '\\') {
          count++;
          i++;
        }
        if (line[i] === '"') {
          arg += '\\'.repeat(count >> 1);
          if (count % 2 === 1) {
            arg += '"';
            i++;
          }
        } else {
          arg += '\\'.repeat(count);
        }
        continue;
      }
      if (char === '"') {
        if (quoted && line[i + 1] === '"') {
          arg += '"';
          i += 2;
          continue;
        }
        quoted = !quoted;
        i++;
        continue;
      }
      arg += char;
      i++;
    }
    args.push(arg);
  }
  return args;
}
