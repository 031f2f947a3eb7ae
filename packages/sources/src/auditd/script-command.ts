// Reads an interpreter's argument vector: the code it was given on the command line (sh -c, python -c, perl -e,
// ruby -e, node -e, php -r, pwsh -Command / -EncodedCommand) or the script file it runs. Pure and total: any argv
// gives a result or undefined, never an exception; work is linear in the argument bytes.

export type ScriptLanguage = 'sh' | 'bash' | 'zsh' | 'ksh' | 'python' | 'perl' | 'ruby' | 'node' | 'php' | 'powershell' | 'lua';

export interface ScriptInvocation {
  language: ScriptLanguage;
  kind: 'command' | 'file';
  /** The code as given (`command`). */
  text?: string;
  /** Decoded code: the UTF-16LE text of -EncodedCommand, or printable base64 literals found in the code. */
  decoded?: string;
  /** The script file as given on the command line (`file`). */
  path?: string;
}

/** Longest code or decoded text kept (the schema's text limit). */
export const MAX_SCRIPT_TEXT = 65536;
const MAX_ARGS = 4096;

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The language of an interpreter, from its file name (`python3.11`, `dash`, `pwsh`), or undefined. */
export function languageOf(name: string): ScriptLanguage | undefined {
  const n = basename(name).toLowerCase().replace(/\.exe$/, '');
  if (n === 'sh' || n === 'dash' || n === 'ash') return 'sh';
  if (n === 'bash' || n === 'rbash') return 'bash';
  if (n === 'zsh') return 'zsh';
  if (n === 'ksh' || n === 'ksh93' || n === 'mksh' || n === 'pdksh') return 'ksh';
  if (/^(python|pypy)(\d+(\.\d+)*)?[mdu]?$/.test(n)) return 'python';
  if (/^perl(\d+(\.\d+)*)?$/.test(n)) return 'perl';
  if (/^ruby(\d+(\.\d+)*)?$/.test(n)) return 'ruby';
  if (n === 'node' || n === 'nodejs') return 'node';
  if (/^php(\d+(\.\d+)*)?(-cli)?$/.test(n)) return 'php';
  if (n === 'pwsh' || n === 'pwsh-preview' || n === 'powershell') return 'powershell';
  if (/^(lua(\d+(\.\d+)*)?|luajit)$/.test(n)) return 'lua';
  return undefined;
}

/** Decodes standard base64; undefined when the text is not base64. */
function base64Bytes(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** PowerShell's -EncodedCommand: base64 of UTF-16LE text. Undefined when it is not valid base64 of even length. */
export function decodeEncodedCommand(value: string): string | undefined {
  const bytes = base64Bytes(value);
  if (!bytes || bytes.length === 0 || bytes.length % 2 !== 0) return undefined;
  return bytes.toString('utf16le');
}

/** Share of characters a person would call text (letters, digits, punctuation, whitespace). */
function printableShare(text: string): number {
  if (text.length === 0) return 0;
  let good = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || (c >= 160 && c !== 0xfffd)) good++;
  }
  return good / [...text].length;
}

/** Text of base64-decoded bytes when they are readable as UTF-8 or UTF-16LE; undefined for binary data. */
function readable(bytes: Buffer): string | undefined {
  if (bytes.length >= 4 && bytes.length % 2 === 0) {
    let zeros = 0;
    for (let i = 1; i < bytes.length; i += 2) if (bytes[i] === 0) zeros++;
    if (zeros * 2 >= bytes.length * 0.9) {
      const wide = bytes.toString('utf16le');
      if (printableShare(wide) >= 0.95) return wide;
    }
  }
  const text = bytes.toString('utf8');
  return printableShare(text) >= 0.95 ? text : undefined;
}

/**
 * Readable text of the base64 literals (24 characters or more) in a piece of code, joined by newlines; at most 8
 * literals and MAX_SCRIPT_TEXT characters. Undefined when there are none.
 */
export function decodeBase64Literals(code: string): string | undefined {
  const found: string[] = [];
  let total = 0;
  const pattern = /[A-Za-z0-9+/]{24,}={0,2}/g;
  for (const match of code.slice(0, MAX_SCRIPT_TEXT * 2).matchAll(pattern)) {
    let literal = match[0];
    literal = literal.slice(0, literal.length - (literal.replace(/=+$/, '').length % 4 === 1 ? 1 : 0));
    const bytes = base64Bytes(literal);
    const text = bytes ? readable(bytes) : undefined;
    if (text === undefined || text.trim().length === 0) continue;
    found.push(text);
    total += text.length;
    if (found.length >= 8 || total >= MAX_SCRIPT_TEXT) break;
  }
  return found.length > 0 ? clip(found.join('\n')) : undefined;
}

const clip = (text: string) => (text.length > MAX_SCRIPT_TEXT ? text.slice(0, MAX_SCRIPT_TEXT) : text);

function command(language: ScriptLanguage, text: string, decoded?: string): ScriptInvocation {
  const out: ScriptInvocation = { language, kind: 'command', text: clip(text) };
  const plain = decoded ?? decodeBase64Literals(text);
  if (plain !== undefined) out.decoded = clip(plain);
  return out;
}

const file = (language: ScriptLanguage, path: string): ScriptInvocation => ({ language, kind: 'file', path });

/** sh, bash, zsh, ksh: `-c string [name [args]]`, options before it in clusters (`-ec`, `-o pipefail`), or a script file. */
function shell(language: ScriptLanguage, args: readonly string[]): ScriptInvocation | undefined {
  let commandMode = false;
  let stdin = false;
  let i = 1;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--' || a === '-') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      i += a === '--rcfile' || a === '--init-file' ? 2 : 1;
      continue;
    }
    if ((a[0] === '-' || a[0] === '+') && a.length > 1) {
      let consume = 0;
      for (const letter of a.slice(1)) {
        if (letter === 'c' && a[0] === '-') commandMode = true;
        if (letter === 's' && a[0] === '-') stdin = true;
        if (letter === 'o' || letter === 'O') consume++;
      }
      i += 1 + consume;
      continue;
    }
    break;
  }
  const operand = args[i];
  if (commandMode) return operand === undefined ? undefined : command(language, operand);
  if (stdin || operand === undefined) return undefined;
  return file(language, operand);
}

/** python: `-c code`, clusters like `-Ic code` or `-ccode`; `-m module` and `-` (stdin) are not scripts. */
function python(args: readonly string[]): ScriptInvocation | undefined {
  let i = 1;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-') return undefined;
    if (a.startsWith('--')) {
      i += a === '--check-hash-based-pycs' ? 2 : 1;
      continue;
    }
    if (a[0] === '-' && a.length > 1) {
      let consumed = 0;
      for (let j = 1; j < a.length; j++) {
        const letter = a[j]!;
        const rest = a.slice(j + 1);
        if (letter === 'c') {
          const code = rest.length > 0 ? rest : args[i + 1];
          return code === undefined ? undefined : command('python', code);
        }
        if (letter === 'm') return undefined;
        if (letter === 'W' || letter === 'X' || letter === 'Q') {
          if (rest.length === 0) consumed = 1;
          break;
        }
      }
      i += 1 + consumed;
      continue;
    }
    break;
  }
  const operand = args[i];
  return operand === undefined ? undefined : file('python', operand);
}

/**
 * perl and ruby: every `-e code` (perl also `-E`) joined by newlines, in clusters like `-ne code`; switches that take
 * a value attached or as the next argument (`-I dir`, `-M mod`, `-r lib`); else the first operand is the script.
 */
function perlLike(language: 'perl' | 'ruby', args: readonly string[]): ScriptInvocation | undefined {
  const codeLetters = language === 'perl' ? 'eE' : 'e';
  // Value switches: the value is the rest of the cluster, or the next argument when the rest is empty.
  const valueLetters = language === 'perl' ? 'IMm' : 'CEIr';
  // Attached-only values: the rest of the cluster is the value (possibly empty).
  const attachedLetters = language === 'perl' ? '0CDdFilx' : '0FiKlTWx';
  const code: string[] = [];
  let i = 1;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-') break;
    if (a.startsWith('--')) {
      const takesValue = language === 'ruby' && /^--(enable|disable|encoding|external-encoding|internal-encoding)$/.test(a);
      i += takesValue ? 2 : 1;
      continue;
    }
    if (a[0] === '-' && a.length > 1) {
      let consumed = 0;
      for (let j = 1; j < a.length; j++) {
        const letter = a[j]!;
        const rest = a.slice(j + 1);
        if (codeLetters.includes(letter)) {
          const value = rest.length > 0 ? rest : args[i + 1];
          if (rest.length === 0) consumed = 1;
          if (value !== undefined) code.push(value);
          break;
        }
        if (valueLetters.includes(letter)) {
          if (rest.length === 0) consumed = 1;
          break;
        }
        if (attachedLetters.includes(letter)) break;
      }
      i += 1 + consumed;
      continue;
    }
    break;
  }
  if (code.length > 0) return command(language, code.join('\n'));
  const operand = args[i];
  return operand === undefined || operand === '-' ? undefined : file(language, operand);
}

const NODE_VALUE_OPTIONS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--input-type', '--inspect-port', '--title', '--env-file', '--stack-size', '--max-old-space-size', '--disable-warning', '--watch-path']);

/** node: `-e`/`--eval`/`-p`/`--print` code (also `--eval=code`, `-pe code`); else the first operand is the script. */
function node(args: readonly string[]): ScriptInvocation | undefined {
  let i = 1;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-') return undefined;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (name === '--eval' || name === '--print') {
      const code = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[i + 1];
      return code === undefined ? undefined : command('node', code);
    }
    if (/^-[a-zA-Z]+$/.test(a) && (a.includes('e') || a.includes('p'))) {
      const code = args[i + 1];
      return code === undefined ? undefined : command('node', code);
    }
    if (a.startsWith('-')) {
      i += NODE_VALUE_OPTIONS.has(a) ? 2 : 1;
      continue;
    }
    break;
  }
  const operand = args[i];
  return operand === undefined ? undefined : file('node', operand);
}

/** php: `-r code` (also -B/-R/-E code), `-f file`, or the first operand. */
function php(args: readonly string[]): ScriptInvocation | undefined {
  const code: string[] = [];
  let i = 1;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-r' || a === '-B' || a === '-R' || a === '-E') {
      const value = args[i + 1];
      if (value !== undefined) code.push(value);
      i += 2;
      continue;
    }
    if (a === '-f' || a === '--file') {
      const value = args[i + 1];
      return value === undefined ? undefined : file('php', value);
    }
    if (a === '-c' || a === '-d' || a === '-z' || a === '-F' || a === '-t' || a === '-S' || a === '--rf' || a === '--rc' || a === '--re' || a === '--rz' || a === '--ri') {
      i += 2;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      i++;
      continue;
    }
    break;
  }
  if (code.length > 0) return command('php', code.join('\n'));
  const operand = args[i];
  return operand === undefined ? undefined : file('php', operand);
}

const PWSH_VALUE_PARAMETERS = ['executionpolicy', 'windowstyle', 'workingdirectory', 'configurationname', 'configurationfile', 'custompipename', 'outputformat', 'inputformat', 'settingsfile', 'version', 'psconsolefile'];
const PWSH_VALUE_ALIASES = new Set(['ex', 'ep', 'w', 'wd', 'o', 'of', 'if', 'in', 'v', 'config', 'settings']);

/**
 * pwsh / powershell: `-Command ...` (everything after it), `-EncodedCommand base64` (UTF-16LE), `-File path`.
 * Parameter names are case-insensitive prefixes, with `-`, `--` or `/`. A bare first operand is a file for pwsh and
 * a command for Windows PowerShell.
 */
function powershell(args: readonly string[], exe: string): ScriptInvocation | undefined {
  const windows = basename(exe).toLowerCase().startsWith('powershell');
  const parameter = windows ? /^(?:--?|\/)([A-Za-z][A-Za-z0-9]*)(?::(.*))?$/ : /^--?([A-Za-z][A-Za-z0-9]*)(?::(.*))?$/;
  let i = 1;
  while (i < args.length) {
    const a = args[i]!;
    const match = parameter.exec(a);
    if (!match) break;
    const p = match[1]!.toLowerCase();
    const attached = match[2];
    if (p === 'c' || (p.length >= 3 && 'command'.startsWith(p))) {
      const rest = attached !== undefined ? [attached, ...args.slice(i + 1)] : args.slice(i + 1);
      if (rest.length === 0 || (rest.length === 1 && rest[0] === '-')) return undefined;
      return command('powershell', rest.join(' '));
    }
    if (p === 'e' || p === 'ec' || (p.length >= 2 && p.startsWith('en') && 'encodedcommand'.startsWith(p))) {
      const value = attached ?? args[i + 1];
      if (value === undefined) return undefined;
      const decoded = decodeEncodedCommand(value);
      return command('powershell', value, decoded);
    }
    if (p.length >= 1 && 'file'.startsWith(p)) {
      const value = attached ?? args[i + 1];
      return value === undefined || value === '-' ? undefined : file('powershell', value);
    }
    const takesValue = PWSH_VALUE_ALIASES.has(p) || (p.length >= 3 && PWSH_VALUE_PARAMETERS.some((name) => name.startsWith(p)));
    i += takesValue && attached === undefined ? 2 : 1;
  }
  const operand = args[i];
  if (operand === undefined) return undefined;
  if (windows) return command('powershell', args.slice(i).join(' '));
  return file('powershell', operand);
}

/** lua: `-e code` (repeatable), `-l lib`; else the first operand. */
function lua(args: readonly string[]): ScriptInvocation | undefined {
  const code: string[] = [];
  let i = 1;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-') return undefined;
    if (a === '-e' || a === '-l') {
      const value = args[i + 1];
      if (a === '-e' && value !== undefined) code.push(value);
      i += 2;
      continue;
    }
    if (a.startsWith('-e') && a.length > 2) {
      code.push(a.slice(2));
      i++;
      continue;
    }
    if (a.startsWith('-')) {
      i++;
      continue;
    }
    break;
  }
  if (code.length > 0) return command('lua', code.join('\n'));
  const operand = args[i];
  return operand === undefined ? undefined : file('lua', operand);
}

/**
 * What an interpreter was asked to run, from its argv (argv[0] first) and executable path; undefined when the program
 * is not an interpreter or runs no code from the command line or a file (interactive, stdin, `python -m`).
 */
export function parseScriptInvocation(argv: readonly string[], executable?: string): ScriptInvocation | undefined {
  if (argv.length === 0) return undefined;
  let args = argv.length > MAX_ARGS ? argv.slice(0, MAX_ARGS) : argv;
  let exe = executable ?? args[0]!;
  let language = executable === undefined ? languageOf(args[0]!) : languageOf(executable);
  // busybox runs the applet named by argv[0] (a symbolic link), or by argv[1] when called as busybox itself.
  if (basename(exe) === 'busybox') {
    if (basename(args[0]!) === 'busybox') args = args.slice(1);
    const applet = args[0];
    language = applet === undefined ? undefined : languageOf(applet);
    if (language !== 'sh' && language !== 'bash') return undefined;
    exe = applet!;
  }
  switch (language) {
    case undefined:
      return undefined;
    case 'sh':
    case 'bash':
    case 'zsh':
    case 'ksh':
      return shell(language, args);
    case 'python':
      return python(args);
    case 'perl':
    case 'ruby':
      return perlLike(language, args);
    case 'node':
      return node(args);
    case 'php':
      return php(args);
    case 'powershell':
      return powershell(args, exe);
    case 'lua':
      return lua(args);
  }
}
