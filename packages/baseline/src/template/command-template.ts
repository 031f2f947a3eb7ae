// Command-line templates: arguments normalised into placeholders (paths, numbers, hex, UUIDs, IPs, base64, URLs,
// user@host, quoted strings) so that runs differing only in data share one shape. Pure functions; never throw; bounded output.

import { isIP } from 'node:net';

/** Most tokens a template keeps; the rest becomes one `…+` token. */
export const MAX_TEMPLATE_TOKENS = 40;
/** How deep code inside an argument (`sh -c '...'`) is templated recursively. */
const MAX_DEPTH = 2;
const MAX_TOKEN_LENGTH = 512;

const TOP_LEVEL_DOMAINS = new Set([
  'com', 'net', 'org', 'io', 'dev', 'app', 'co', 'uk', 'de', 'fr', 'nl', 'ru', 'cn', 'jp', 'info', 'biz', 'xyz', 'top', 'online', 'site', 'cloud', 'me', 'us', 'eu', 'gov', 'edu', 'int', 'local', 'lan', 'internal', 'corp', 'onion', 'sh', 'ly', 'gg', 'tk', 'pw', 'cc',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^\+?\d+(?:[.,:]\d+)*[a-zA-Z%]{0,2}$/;
const HEX_PREFIXED = /^0x[0-9a-f]+$/i;
const HEX = /^[0-9a-f]{8,}$/i;
const URL_SCHEME = /^([a-z][a-z0-9+.-]{1,15}):\/\//i;
const USER_AT_HOST = /^[\w.-]+@[\w.-]+(?::.*)?$/;
const BASE64 = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24})$/i;
const FILE_WITH_EXTENSION = /^[\w@+,-]+(?:\.[\w-]+)*\.([A-Za-z][A-Za-z0-9]{0,5})$/;
const OPTION_WITH_VALUE = /^(--?[A-Za-z][\w-]*)=(.*)$/s;
const ASSIGNMENT = /^([A-Za-z_][\w.]{0,30})(==?|>=|<=|~=)(.*)$/s;
const SHORT_OPTION_NUMBER = /^(-[A-Za-z])(\d+)$/;
const REDIRECTION = /^(\d?(?:>>|>|<)&?)(.+)$/s;
const SHELL_OPERATORS = new Set(['|', '||', '&', '&&', ';', '(', ')', '{', '}', '!', ';;']);
const CODE_HINT = /[|;&$`<>(){}[\]\\]|^\s*(?:\/|\.\/)|\b(?:import|exec|eval|system|socket|require|print|echo|curl|wget)\b/;
const IP_WITH_PORT = /^\[?([0-9a-f:.]+)\]?(?::\d{1,5})?(?:\/\d{1,3})?$/i;

/** Whether `part` of a name looks machine-generated (temp names, build ids, tokens). */
function randomPart(part: string): boolean {
  if (part.length < 6) return false;
  const digits = (part.match(/\d/g) ?? []).length;
  const upper = /[A-Z]/.test(part);
  const lower = /[a-z]/.test(part);
  if (upper && lower && digits > 0) return true;
  const transitions = (part.match(/\d(?=\D)|\D(?=\d)/g) ?? []).length;
  if (part.length >= 8 && digits >= 2 && digits < part.length - 1 && transitions >= 3) return true;
  // Mixed case without vowels clusters (tmp.XqZkRt) is typical of mktemp names.
  return part.length >= 6 && upper && lower && !/[aeiouAEIOU]{1}[a-z]{2,}/.test(part);
}

/** A path component with generated parts replaced: uuids, hex, random names, digit runs. */
function componentTemplate(component: string): string {
  if (component === '' || component === '.' || component === '..') return component;
  if (UUID.test(component)) return '<uuid>';
  if (HEX.test(component) && /\d/.test(component) && /[a-f]/i.test(component)) return '<hex>';
  return component
    .split(/([._-])/)
    .map((part) => {
      if (part === '.' || part === '_' || part === '-' || part === '') return part;
      if (UUID.test(part)) return '<uuid>';
      if (/^\d+$/.test(part)) return '<num>';
      if (HEX.test(part) && /\d/.test(part)) return '<hex>';
      if (randomPart(part)) return '<rand>';
      return part.replace(/\d+/g, '<num>');
    })
    .join('');
}

/**
 * The shape of an executable or file path: `/home/<name>/` becomes `~/`, generated components become placeholders
 * (`/tmp/tmp.Xq3kRt/a.out` → `/tmp/<rand>/a.out`, `/usr/lib/python3.11` → `/usr/lib/python<num>.<num>`).
 */
export function pathTemplate(path: string): string {
  const cached = pathCache.get(path);
  if (cached !== undefined) return cached;
  const template = computePathTemplate(path);
  if (pathCache.size >= PATH_CACHE_SIZE) pathCache.clear();
  pathCache.set(path, template);
  return template;
}

/** Executable paths repeat constantly: their templates are cached (bounded; cleared when full). */
const PATH_CACHE_SIZE = 50_000;
const pathCache = new Map<string, string>();

function computePathTemplate(path: string): string {
  if (path.length === 0) return '';
  let rest = path.length > 4096 ? path.slice(0, 4096) : path;
  let prefix = '';
  const home = /^\/home\/[^/]+(?=\/|$)/.exec(rest);
  if (home) {
    prefix = '~';
    rest = rest.slice(home[0].length);
  }
  return prefix + rest.split('/').map(componentTemplate).join('/');
}

const SCRATCH_DIRECTORIES = ['/tmp', '/var/tmp', '/dev/shm', '/run/user', '/run/shm'];

/**
 * The place a file lives in, as a short class: scratch directories as themselves (`/tmp`, `/dev/shm`), otherwise
 * the first two components of the directory's template (`/usr/bin`, `/usr/local`), one under a home (`~/.local`, `~/src`).
 */
export function directoryClass(path: string): string {
  const template = pathTemplate(path);
  const directory = template.slice(0, Math.max(0, template.lastIndexOf('/'))) || '/';
  for (const scratch of SCRATCH_DIRECTORIES) if (directory === scratch || directory.startsWith(`${scratch}/`)) return scratch;
  if (!directory.startsWith('/') && !directory.startsWith('~')) return '.';
  const root = directory.startsWith('~') ? '~' : '';
  const parts = directory.slice(root.length).split('/').filter((p) => p.length > 0);
  return `${root}/${parts.slice(0, root ? 1 : 2).join('/')}`;
}

/** Whether the text of a process is world-writable scratch space (where droppers put payloads). */
export function isScratchPath(path: string): boolean {
  return SCRATCH_DIRECTORIES.some((scratch) => path === scratch || path.startsWith(`${scratch}/`));
}

function pathPlaceholder(value: string): string {
  if (value.startsWith('~') || /^\/home\/[^/]+/.test(value)) return '<path:~>';
  if (!value.startsWith('/')) return '<path:.>';
  const top = value.split('/').find((p) => p.length > 0);
  if (!top) return '<path:/>';
  const scratch = SCRATCH_DIRECTORIES.find((s) => value === s || value.startsWith(`${s}/`));
  if (scratch) return `<path:${scratch}>`;
  return `<path:/${componentTemplate(top)}>`;
}

function ipPlaceholder(value: string): string | undefined {
  const match = IP_WITH_PORT.exec(value);
  if (!match) return undefined;
  return isIP(match[1]!) ? '<ip>' : undefined;
}

function looksBase64(value: string): boolean {
  return BASE64.test(value) && !value.startsWith('/') && !value.startsWith('-') && ((/[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value)) || /[A-Za-z0-9]={1,2}$/.test(value));
}

/** A single value (no whitespace) as its placeholder, or itself with digit runs replaced. */
function valueTemplate(value: string): string {
  if (value === '') return "''";
  const scheme = URL_SCHEME.exec(value);
  if (scheme) return `<url:${scheme[1]!.toLowerCase()}>`;
  if (UUID.test(value)) return '<uuid>';
  const ip = ipPlaceholder(value);
  if (ip) return ip;
  if (NUMBER.test(value)) return '<num>';
  if (HEX_PREFIXED.test(value)) return '<hex>';
  if (HEX.test(value) && /\d/.test(value)) return '<hex>';
  if (USER_AT_HOST.test(value)) return '<user@host>';
  if (value.includes('/')) {
    if (BASE64.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value) && !value.startsWith('/')) return '<b64>';
    return pathPlaceholder(value);
  }
  if (looksBase64(value)) return '<b64>';
  const domain = DOMAIN.exec(value);
  if (domain && TOP_LEVEL_DOMAINS.has(domain[1]!.toLowerCase())) return '<domain>';
  const file = FILE_WITH_EXTENSION.exec(value);
  if (file) return `<file.${file[1]!.toLowerCase().replace(/\d+/g, '<num>')}>`;
  return componentTemplate(value);
}

/** Program names whose digits are part of the name, not a version. */
const NAMES_WITH_DIGITS = new Set(['base32', 'base64', 'md5sum', 'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'b2sum', 'ip6tables', 'ip6tables-save', 'ip6tables-restore', 'i386', 'x86_64', 'x264', 'x265', 'mkfs.ext4', 'mkfs.ext3', 'e2fsck', 'resize2fs', 'tune2fs', 'dumpe2fs', 'nc6', 'ping6', 'traceroute6', '7z', '7za', 'p7zip', 'sqlite3', 'mysql8', 'pg_dump', 'php-fpm']);

/** The name a command is run by: basename with version digits replaced (`python3.11` → `python<num>.<num>`, `base64` kept). */
export function commandName(argv0: string): string {
  const base = argv0.slice(argv0.lastIndexOf('/') + 1) || argv0;
  if (base.length > 128) return '<long>';
  return NAMES_WITH_DIGITS.has(base) ? base : base.replace(/\d+/g, '<num>');
}

function tokenTemplate(token: string, depth: number): string {
  if (token.length > MAX_TOKEN_LENGTH) return '<long>';
  if (/\s/.test(token)) return depth < MAX_DEPTH && CODE_HINT.test(token) ? `'${lineTemplate(token, depth + 1)}'` : '<str>';
  if (looksBase64(token)) return '<b64>';
  const option = OPTION_WITH_VALUE.exec(token);
  if (option) return `${option[1]!.replace(/\d+/g, '<num>')}=${valueTemplate(option[2]!)}`;
  const assignment = ASSIGNMENT.exec(token);
  if (assignment) return `${assignment[1]!.replace(/\d+/g, '<num>')}${assignment[2]}${valueTemplate(assignment[3]!)}`;
  const short = SHORT_OPTION_NUMBER.exec(token);
  if (short) return `${short[1]}<num>`;
  return valueTemplate(token);
}

/** Folds runs of the same token into one `token…` and caps the count. */
function finish(tokens: string[]): string {
  const out: string[] = [];
  for (const token of tokens) {
    const last = out[out.length - 1];
    if (last === token || last === `${token}…`) {
      out[out.length - 1] = `${token}…`;
      continue;
    }
    if (out.length >= MAX_TEMPLATE_TOKENS) {
      out.push('…+');
      break;
    }
    out.push(token);
  }
  return out.join(' ');
}

/**
 * Splits a shell command line into words the way a shell reads it: quotes group, backslashes escape, and the
 * operators | || & && ; ( ) are words of their own. Unbalanced quotes run to the end. Never throws.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let started = false;
  const input = line.length > 65_536 ? line.slice(0, 65_536) : line;
  const push = () => {
    if (started) words.push(current);
    current = '';
    started = false;
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '\\' && i + 1 < input.length) {
      current += input[++i];
      started = true;
    } else if (c === "'" || c === '"') {
      const end = input.indexOf(c, i + 1);
      current += end < 0 ? input.slice(i + 1) : input.slice(i + 1, end);
      started = true;
      i = end < 0 ? input.length : end;
    } else if (/\s/.test(c)) {
      push();
    } else if (c === '|' || c === '&' || c === ';' || c === '(' || c === ')') {
      // `2>&1` keeps its ampersand
      if (c === '&' && current.endsWith('>')) {
        current += c;
        started = true;
        continue;
      }
      push();
      const next = input[i + 1];
      if ((c === '|' || c === '&' || c === ';') && next === c) {
        words.push(c + c);
        i++;
      } else words.push(c);
    } else {
      current += c;
      started = true;
    }
  }
  push();
  return words;
}

/** Template of shell code (the argument of `sh -c`, or a command line without argv): command words stay names. */
function lineTemplate(line: string, depth: number): string {
  const words = splitCommandLine(line);
  const out: string[] = [];
  let commandPosition = true;
  for (const word of words) {
    if (SHELL_OPERATORS.has(word)) {
      out.push(word);
      commandPosition = word !== ')' && word !== '}';
      continue;
    }
    const redirection = REDIRECTION.exec(word);
    if (redirection && !word.includes('=')) {
      out.push(`${redirection[1]}${redirection[2]!.startsWith('&') ? redirection[2] : valueTemplate(redirection[2]!)}`);
      continue;
    }
    if (commandPosition) {
      const assignment = ASSIGNMENT.exec(word);
      if (assignment) {
        out.push(`${assignment[1]!.replace(/\d+/g, '<num>')}${assignment[2]}${valueTemplate(assignment[3]!)}`);
        continue;
      }
      out.push(commandName(word));
      commandPosition = false;
      continue;
    }
    out.push(tokenTemplate(word, depth));
  }
  return finish(out);
}

/**
 * Arguments repeat constantly (options, paths, values), and a token's template depends on nothing but the token:
 * templates of argv tokens up to TOKEN_CACHE_MAX_LENGTH characters are cached (bounded; cleared when full).
 */
const TOKEN_CACHE_SIZE = 20_000;
const TOKEN_CACHE_MAX_LENGTH = 256;
const tokenCache = new Map<string, string>();

function argumentTemplate(token: string): string {
  if (token.length > TOKEN_CACHE_MAX_LENGTH) return tokenTemplate(token, 0);
  let template = tokenCache.get(token);
  if (template === undefined) {
    template = tokenTemplate(token, 0);
    if (tokenCache.size >= TOKEN_CACHE_SIZE) tokenCache.clear();
    tokenCache.set(token, template);
  }
  return template;
}

function templateOfArgs(args: readonly string[], argument: (token: string) => string): string {
  if (args.length === 0) return '';
  const out = [commandName(args[0]!)];
  for (let i = 1; i < args.length && i <= MAX_TEMPLATE_TOKENS + 1; i++) out.push(argument(args[i]!));
  if (args.length > MAX_TEMPLATE_TOKENS + 2) out.push('…+');
  return finish(out);
}

/** Template of an argument vector (argv[0] first): `curl -s -o /tmp/x.sh http://10.0.0.5:8080/a` → `curl -s -o <path:/tmp> <url:http>`. */
export function commandTemplate(args: readonly string[]): string {
  return templateOfArgs(args, argumentTemplate);
}

/** commandTemplate computed without the token cache: always the same result (the reference its tests compare with). */
export function uncachedCommandTemplate(args: readonly string[]): string {
  return templateOfArgs(args, (token) => tokenTemplate(token, 0));
}

/** Template of a command line given as text (when argv is not known). */
export function commandLineTemplate(line: string): string {
  return lineTemplate(line, 0);
}
