// Attack behaviours from Atomic Red Team's Linux tests (corpusPath('atomics')): each sh/bash test's command, with its
// default arguments, becomes the process tree a shell would run (`sh -c '<command>'` and every program it starts),
// plus the file writes, connections, listeners, persistence and service changes its commands make.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { corpusPath } from '@vigil/common';
import { BUILTINS, cmd, EXECUTABLES, NOT_ON_DEBIAN, OPTIONAL_TOOLS, resolve } from './commands.js';
import type { Connect, Proc, Write } from './emit.js';

export interface AtomicTest {
  technique: string;
  guid: string;
  name: string;
  executor: 'sh' | 'bash';
  elevated: boolean;
  command: string;
}

interface AtomicYaml {
  attack_technique?: string;
  atomic_tests?: {
    name?: string;
    auto_generated_guid?: string;
    supported_platforms?: string[];
    input_arguments?: Record<string, { default?: unknown }>;
    executor?: { name?: string; command?: string; elevation_required?: boolean };
  }[];
}

const ATOMICS_FOLDER = '/tmp/AtomicRedTeam/atomics';

/** Every Linux test with an sh or bash executor, arguments replaced by their defaults. */
export function loadAtomicTests(): { tests: AtomicTest[]; files: number; skipped: Record<string, number> } {
  const root = corpusPath('atomics', 'atomics');
  const tests: AtomicTest[] = [];
  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  let files = 0;
  for (const dir of readdirSync(root).filter((d) => /^T\d{4}/.test(d)).sort()) {
    let doc: AtomicYaml;
    try {
      doc = parse(readFileSync(join(root, dir, `${dir}.yaml`), 'utf8')) as AtomicYaml;
    } catch {
      skip('unreadable file');
      continue;
    }
    files++;
    for (const test of doc.atomic_tests ?? []) {
      if (!test.supported_platforms?.includes('linux')) continue;
      const executor = test.executor?.name;
      if (executor !== 'sh' && executor !== 'bash') {
        skip(`executor ${executor ?? 'none'}`);
        continue;
      }
      let command = test.executor?.command ?? '';
      for (const [name, spec] of Object.entries(test.input_arguments ?? {})) {
        const value = spec?.default === undefined || spec.default === null ? 'x' : String(spec.default);
        command = command.split(`#{${name}}`).join(value);
      }
      command = command.replace(/\$?PathToAtomicsFolder/g, ATOMICS_FOLDER).replace(/#\{[^}]*\}/g, 'x').trim();
      if (!command) {
        skip('empty command');
        continue;
      }
      tests.push({ technique: doc.attack_technique ?? dir, guid: test.auto_generated_guid ?? `${dir}-${tests.length}`, name: test.name ?? '', executor, elevated: test.executor?.elevation_required === true, command });
    }
  }
  return { tests, files, skipped };
}

// ---- a small shell reader ----

interface Redirect {
  op: string;
  target: string;
}

interface SimpleCommand {
  words: string[];
  redirects: Redirect[];
  /** Commands run by $(...) or backticks inside this command's words. */
  substitutions: SimpleCommand[];
}

/** Index of the `)` closing the `(` at `open` (quotes respected), or the end. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === "'") i = Math.max(i, text.indexOf("'", i + 1));
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
    if (i < 0) return text.length;
  }
  return text.length;
}

/** Splits shell text into simple commands (pipelines, lists, newlines, subshells all flatten to one sequence). */
export function readScript(text: string, depth = 0): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let redirects: Redirect[] = [];
  let substitutions: SimpleCommand[] = [];
  let word = '';
  let inWord = false;
  let pendingRedirect: string | undefined;
  const heredocs: { delimiter: string; strip: boolean }[] = [];
  const endWord = () => {
    if (!inWord) return;
    if (pendingRedirect !== undefined) redirects.push({ op: pendingRedirect, target: word });
    else words.push(word);
    pendingRedirect = undefined;
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length || redirects.length || substitutions.length) commands.push({ words, redirects, substitutions });
    words = [];
    redirects = [];
    substitutions = [];
  };
  const substitute = (inner: string) => {
    if (depth < 4) substitutions.push(...readScript(inner, depth + 1));
    // The shell puts the command's output here; a stand-in the converter replaces (see substitutionValue).
    word += `\u0001${inner.replace(/\u0001/g, '')}\u0001`;
    inWord = true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      if (text[i + 1] !== '\n') (word += text[i + 1]), (inWord = true);
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word += end < 0 ? text.slice(i + 1) : text.slice(i + 1, end);
      inWord = true;
      i = end < 0 ? text.length : end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) (word += text[j + 1]), j++;
        else if (text[j] === '$' && text[j + 1] === '(') {
          const end = closing(text, j + 1);
          substitute(text.slice(j + 2, end));
          j = end;
        } else if (text[j] === '`') {
          const end = text.indexOf('`', j + 1);
          substitute(text.slice(j + 1, end < 0 ? text.length : end));
          j = end < 0 ? text.length : end;
        } else word += text[j];
      }
      inWord = true;
      i = j;
    } else if (c === '$' && text[i + 1] === '(' && text[i + 2] !== '(') {
      const end = closing(text, i + 1);
      substitute(text.slice(i + 2, end));
      i = end;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      substitute(text.slice(i + 1, end < 0 ? text.length : end));
      i = end < 0 ? text.length : end;
    } else if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
      i--;
    } else if (c === '\n') {
      endCommand();
      // Here-document bodies are data, not commands.
      for (const h of heredocs.splice(0)) {
        for (;;) {
          const next = text.indexOf('\n', i + 1);
          const line = text.slice(i + 1, next < 0 ? text.length : next);
          i = next < 0 ? text.length : next;
          if ((h.strip ? line.trim() : line) === h.delimiter || next < 0) break;
        }
      }
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else if (c === ';' || c === '|' || c === '&' || c === '(' || c === ')') {
      if (c === '&' && text[i + 1] === '>') {
        endWord();
        pendingRedirect = text[i + 2] === '>' ? '&>>' : '&>';
        i += pendingRedirect.length - 1;
        continue;
      }
      if (c === '&' && word.endsWith('>')) {
        word += c;
        continue;
      }
      endCommand();
      if ((c === '|' || c === '&' || c === ';') && text[i + 1] === c) i++;
    } else if ((c === '>' || c === '<') && (!inWord || /^\d$/.test(word))) {
      const fd = inWord ? word : '';
      word = '';
      inWord = false;
      let op = fd + c;
      if (text[i + 1] === c) op += text[++i];
      if (op.endsWith('<<')) {
        let j = i + 1;
        const strip = text[j] === '-';
        if (strip) j++;
        while (text[j] === ' ') j++;
        const match = /^['"]?([A-Za-z_][\w]*)['"]?/.exec(text.slice(j));
        if (match) {
          heredocs.push({ delimiter: match[1]!, strip });
          i = j + match[0].length - 1;
        }
        continue;
      }
      if (text[i + 1] === '&') {
        op += '&';
        i++;
      }
      pendingRedirect = op;
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

// ---- commands → process trees ----

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', 'time', '{', '}']);
const SKIP_COMMANDS = new Set(['fi', 'done', 'esac', 'for', 'case', 'function', '}', ')', ';;']);
const PERSISTENCE_PLACES: [RegExp, string][] = [
  [/^\/etc\/cron|^\/var\/spool\/cron/, 'cron'],
  [/^\/etc\/systemd\/|^\/lib\/systemd\/|^\/usr\/lib\/systemd\/|\/\.config\/systemd\//, 'systemd_unit'],
  [/^\/etc\/init\.d\//, 'init_script'],
  [/^\/etc\/rc\.local/, 'rc_local'],
  [/^\/etc\/profile|^\/etc\/bash\.bashrc/, 'profile'],
  [/\/\.(bashrc|bash_profile|profile|zshrc|bash_logout)$/, 'shell_rc'],
  [/\/\.ssh\/authorized_keys/, 'authorized_keys'],
  [/^\/etc\/ld\.so\.preload/, 'ld_so_preload'],
  [/^\/etc\/udev\/rules\.d\//, 'udev_rule'],
  [/^\/etc\/update-motd\.d\//, 'profile'],
];

function persistencePlace(path: string): string | undefined {
  return PERSISTENCE_PLACES.find(([pattern]) => pattern.test(path))?.[1];
}

function absolute(path: string, cwd: string, home: string): string {
  if (path.startsWith('~/')) return `${home}/${path.slice(2)}`;
  if (path === '~') return home;
  if (path.startsWith('/')) return path;
  return `${cwd.replace(/\/$/, '')}/${path.replace(/^\.\//, '')}`;
}

function urlTarget(arg: string): Connect | undefined {
  const m = /^(?:(https?|ftp|tftp):\/\/)([^/:\s]+)(?::(\d+))?/i.exec(arg);
  if (!m) return undefined;
  const host = m[2]!.replace(/^.*@/, '');
  if (host.startsWith('$')) return undefined;
  return { host, port: m[3] ? Number(m[3]) : m[1]!.toLowerCase() === 'https' ? 443 : m[1]!.toLowerCase() === 'ftp' ? 21 : 80 };
}

const HOSTLIKE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9-]+(?:\.[a-z0-9-]+)+|localhost)$/i;

function networkOf(name: string, args: string[]): { connects: Connect[]; listens: { port: number }[] } {
  const connects: Connect[] = [];
  const listens: { port: number }[] = [];
  const positional = args.filter((a) => !a.startsWith('-'));
  for (const a of args) {
    const url = urlTarget(a);
    if (url) connects.push(url);
  }
  if (['nc', 'ncat', 'netcat', 'nc.openbsd', 'nc.traditional', 'telnet'].includes(name)) {
    const listen = args.some((a) => /^-[a-z]*l/.test(a));
    const ports = args.filter((a) => /^\d{1,5}$/.test(a)).map(Number);
    const portAfterP = args.findIndex((a) => /^-[a-z]*p$/.test(a));
    const port = portAfterP >= 0 && /^\d+$/.test(args[portAfterP + 1] ?? '') ? Number(args[portAfterP + 1]) : ports[0];
    if (listen) {
      if (port) listens.push({ port });
    } else {
      const host = positional.find((a) => HOSTLIKE.test(a));
      if (host && port) connects.push({ host, port });
    }
  }
  if (name === 'socat') {
    for (const a of args) {
      const listen = /^(?:tcp|tcp4|tcp6|udp)-listen:(\d+)/i.exec(a);
      if (listen) listens.push({ port: Number(listen[1]) });
      const connect = /^(?:tcp|tcp4|tcp6|udp|tcp-connect|openssl|openssl-connect)[4:6-]*:?([^:,]+):(\d+)/i.exec(a);
      if (connect && !listen && HOSTLIKE.test(connect[1]!)) connects.push({ host: connect[1]!, port: Number(connect[2]) });
    }
  }
  if (['ssh', 'scp', 'sftp', 'rsync', 'sshpass'].includes(name)) {
    const portIndex = args.findIndex((a) => a === '-p' || a === '-P');
    const port = portIndex >= 0 ? Number(args[portIndex + 1]) || 22 : 22;
    const target = positional.map((a) => /^(?:[^@\s]+@)?([^:/\s]+)(?::|$)/.exec(a)?.[1]).find((h) => h !== undefined && HOSTLIKE.test(h));
    if (target) connects.push({ host: target, port });
  }
  if (['nmap', 'masscan', 'hping3', 'fping'].includes(name)) {
    for (const host of positional.filter((a) => HOSTLIKE.test(a) || /\/\d+$/.test(a)).slice(0, 3)) {
      const h = host.replace(/\/\d+$/, '');
      for (const port of [22, 80, 443, 3389]) connects.push({ host: h, port });
    }
  }
  if (['ftp', 'tftp'].includes(name)) {
    const host = positional.find((a) => HOSTLIKE.test(a));
    if (host) connects.push({ host, port: name === 'ftp' ? 21 : 69 });
  }
  // Interpreter one-liners: ("10.0.0.1", 4444), fsockopen("10.0.0.1",4444), "host:port"
  if (/^(python|perl|php|ruby|node|lua|awk|gawk)/.test(name)) {
    const code = args.join(' ');
    for (const m of code.matchAll(/["'](\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9.-]+\.[a-z]{2,})["']\s*[,:]\s*["']?(\d{2,5})/gi)) connects.push({ host: m[1]!, port: Number(m[2]) });
    const server = /http\.server\s+(\d+)|SimpleHTTPServer\s+(\d+)/.exec(code);
    if (server) listens.push({ port: Number(server[1] ?? server[2]) });
    else if (/http\.server|SimpleHTTPServer/.test(code)) listens.push({ port: 8000 });
  }
  return { connects, listens };
}

function writesOf(name: string, args: string[], cwd: string, home: string): { writes: Write[]; autostart: Proc['autostart']; services: Proc['services'] } {
  const writes: Write[] = [];
  const services: NonNullable<Proc['services']> = [];
  const positional = args.filter((a) => !a.startsWith('-'));
  const add = (path: string, write: Omit<Write, 'path'> = {}) => {
    if (!path || path.startsWith('$') || path === '/dev/null') return;
    writes.push({ path: absolute(path, cwd, home), ...write });
  };
  const optionValue = (...flags: string[]) => {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      for (const f of flags) {
        if (a === f) return args[i + 1];
        if (f.startsWith('--') && a.startsWith(`${f}=`)) return a.slice(f.length + 1);
      }
    }
    return undefined;
  };
  if (name === 'tee') for (const p of positional) add(p, { action: args.includes('-a') ? 'modify' : 'create' });
  if ((name === 'cp' || name === 'mv' || name === 'install' || name === 'ln') && positional.length >= 2) add(positional[positional.length - 1]!, { action: name === 'mv' ? 'rename' : 'create', executable: name === 'install' });
  if (name === 'touch') for (const p of positional) add(p);
  if (name === 'dd') {
    const of = args.find((a) => a.startsWith('of='));
    if (of) add(of.slice(3), { action: 'modify' });
  }
  if (name === 'curl') {
    const out = optionValue('-o', '--output');
    if (out) add(out);
    else if (args.includes('-O') || args.includes('--remote-name')) {
      const url = args.find((a) => /^https?:\/\//.test(a));
      if (url) add(url.replace(/[?#].*$/, '').slice(url.replace(/[?#].*$/, '').lastIndexOf('/') + 1) || 'index.html');
    }
  }
  if (name === 'wget') {
    const out = optionValue('-O', '--output-document');
    const url = args.find((a) => /^(https?|ftp):\/\//.test(a));
    if (out && out !== '-') add(out);
    else if (!out && url) add(url.replace(/[?#].*$/, '').slice(url.replace(/[?#].*$/, '').lastIndexOf('/') + 1) || 'index.html');
  }
  if (name === 'chmod' && positional.length >= 2 && /x|^[0-7]?[1357][0-7]{2}$|^[0-7]{3}[1357]|^\d*7\d*$/.test(positional[0]!)) for (const p of positional.slice(1)) add(p, { action: 'permission_change', executable: true });
  if ((name === 'gcc' || name === 'cc' || name === 'g++' || name === 'clang')) {
    const out = optionValue('-o');
    add(out ?? 'a.out', { executable: true });
  }
  if ((name === 'unzip' || name === 'tar' || name === 'base64' || name === 'openssl' || name === 'xxd' || name === 'gzip') && optionValue('-o', '-d', '-out', '-C')) {
    const out = optionValue('-o', '-out');
    if (out) add(out);
  }
  if (name === 'systemctl') {
    const verb = positional[0];
    const unit = positional[1];
    if (unit && (verb === 'enable' || verb === 'start' || verb === 'restart')) services.push({ name: unit.replace(/\.service$/, ''), action: verb === 'enable' ? 'enabled' : 'started' });
  }
  if (name === 'service' && positional.length >= 2 && positional[1] === 'start') services.push({ name: positional[0]!, action: 'started' });
  if (name === 'update-rc.d' && positional[0]) services.push({ name: positional[0], action: 'enabled' });
  const autostart: NonNullable<Proc['autostart']> = [];
  for (const w of writes) {
    const place = persistencePlace(w.path);
    if (place) autostart.push({ location: place, name: w.path.slice(w.path.lastIndexOf('/') + 1), path: w.path, action: w.action === 'modify' ? 'modified' : 'created' });
  }
  if (name === 'crontab' && positional.length >= 1 && !args.includes('-l') && !args.includes('-r')) autostart.push({ location: 'cron', name: 'crontab', path: '/var/spool/cron/crontabs/root', action: 'modified' });
  if (name === 'crontab' && args.includes('-e')) autostart.push({ location: 'cron', name: 'crontab', action: 'modified' });
  return { writes, autostart, services };
}

interface ConvertContext {
  cwd: string;
  home: string;
  user: string;
  /** Shell variables assigned so far (VAR=value as a command of its own). */
  vars: Map<string, string>;
  /** New files the attack wrote (runs of them get a content hash no host has). */
  written: Set<string>;
  /** Commands installed on the host; optional tools the test needs are added to `needs`. */
  installed: ReadonlySet<string>;
  needs: Set<string>;
  uniqueHash: () => string;
}

/** A plausible output of a command substitution (what the shell would put into the argument). */
function substitutionValue(inner: string, ctx: ConvertContext): string {
  const words = inner.trim().split(/\s+/);
  switch (words[0]) {
    case 'echo': return words.slice(1).join(' ').replace(/^['"]|['"]$/g, '');
    case 'whoami': return ctx.user;
    case 'id': return words.includes('-un') || words.includes('-u') ? ctx.user : 'uid=0(root) gid=0(root)';
    case 'hostname': return 'host-01';
    case 'pwd': return ctx.cwd;
    case 'date': return '20261115';
    case 'uname': return 'Linux';
    case 'which': return `/usr/bin/${words[1] ?? 'x'}`;
    case 'mktemp': return '/tmp/tmp.Xq3kRtZ9';
    case 'cat': return 'content';
    default: return 'output';
  }
}

/** Expands $VAR, ${VAR} and substitution stand-ins in a word, and {a,b} brace lists at the start of a command. */
function expand(word: string, ctx: ConvertContext): string {
  return word
    .replace(/\u0001([^\u0001]*)\u0001/g, (_, inner: string) => substitutionValue(inner, ctx))
    .replace(/\$\{?([A-Za-z_]\w*)\}?/g, (_, name: string) => ctx.vars.get(name) ?? (name === 'HOME' ? ctx.home : name === 'USER' ? ctx.user : name === 'PWD' ? ctx.cwd : ''));
}

/** The process for one simple command, or undefined for builtins (their redirections are the shell's writes). */
function procOf(rawWords: string[], ctx: ConvertContext, depth: number): Proc | undefined {
  const assignment = rawWords.length === 1 ? /^([A-Za-z_]\w*)=(.*)$/s.exec(rawWords[0]!) : null;
  if (assignment) {
    ctx.vars.set(assignment[1]!, expand(assignment[2]!, ctx));
    return undefined;
  }
  const brace = /^\{([^,{}]+),(.*)\}$/.exec(rawWords[0] ?? '');
  const words = (brace ? [brace[1]!, ...brace[2]!.split(','), ...rawWords.slice(1)] : rawWords).map((w) => expand(w, ctx)).filter((w, i) => i > 0 || w !== '');
  let w = [...words];
  while (w.length && (KEYWORDS.has(w[0]!) || /^[A-Za-z_]\w*=/.test(w[0]!))) w = w.slice(1);
  if (!w.length) return undefined;
  const name0 = w[0]!;
  if (SKIP_COMMANDS.has(name0) || /^\w+\(\)$/.test(name0) || name0.startsWith('$')) return undefined;
  if (name0 === 'cd') {
    if (w[1] && !w[1].startsWith('$')) ctx.cwd = absolute(w[1], ctx.cwd, ctx.home);
    return undefined;
  }
  if (BUILTINS.has(name0) && name0 !== 'exec' && name0 !== 'command') return undefined;
  if (name0 === 'exec' || name0 === 'command') return procOf(w.slice(1), ctx, depth);
  const base = name0.slice(name0.lastIndexOf('/') + 1);
  if (!name0.includes('/') && NOT_ON_DEBIAN.has(base)) return undefined; // command not found: no process
  if (!name0.includes('/') && OPTIONAL_TOOLS[base] && !ctx.installed.has(base)) ctx.needs.add(base);
  const exe = name0.includes('/') || name0.startsWith('~') ? absolute(name0, ctx.cwd, ctx.home) : resolve(name0);
  const args = w.slice(1);
  const proc: Proc = { exe, argv: w };
  if (ctx.written.has(exe) || (!EXECUTABLES[base] && (exe.startsWith('/tmp') || exe.startsWith('/dev/shm') || exe.startsWith('/var/tmp') || exe.startsWith(ctx.home)))) proc.hash = ctx.uniqueHash();
  // Wrappers run the rest as a child.
  if (['sudo', 'nohup', 'timeout', 'env', 'nice', 'xargs', 'stdbuf', 'setsid', 'watch', 'time', 'chroot', 'unshare', 'nsenter', 'busybox', 'strace', 'ltrace'].includes(base)) {
    let rest = args;
    if (base === 'sudo') {
      const userIndex = rest.findIndex((a) => a === '-u');
      const target = userIndex >= 0 ? rest[userIndex + 1] : 'root';
      proc.switchTo = target ?? 'root';
      while (rest.length && rest[0]!.startsWith('-')) rest = rest[0] === '-u' ? rest.slice(2) : rest.slice(1);
    } else if (base === 'timeout' || base === 'nice') {
      while (rest.length && (rest[0]!.startsWith('-') || /^\d/.test(rest[0]!))) rest = rest.slice(1);
    } else if (base === 'chroot') rest = rest.slice(1);
    else while (rest.length && (rest[0]!.startsWith('-') || /^[A-Za-z_]\w*=/.test(rest[0]!))) rest = rest.slice(1);
    const child = rest.length ? procOf(rest, { ...ctx }, depth + 1) : undefined;
    if (child) proc.children = [proc.switchTo ? { ...child, user: proc.switchTo } : child];
  } else if (['sh', 'bash', 'dash', 'zsh', 'ksh'].includes(base)) {
    const c = args.indexOf('-c');
    if (c >= 0 && args[c + 1] !== undefined && depth < 4) proc.children = convertScript(args[c + 1]!, { ...ctx }, depth + 1);
  } else if (base === 'su') {
    // su [options] [-] [user [arguments]]: options -c, -s, -g, -G, -w take a value.
    let target = 'root';
    for (let i = 0; i < args.length; i++) {
      if (['-c', '-s', '-g', '-G', '-w', '--command', '--shell', '--group'].includes(args[i]!)) i++;
      else if (!args[i]!.startsWith('-')) {
        target = args[i]!;
        break;
      }
    }
    proc.switchTo = target;
    const c = args.indexOf('-c');
    if (c >= 0 && args[c + 1] !== undefined && depth < 4) proc.children = [{ exe: EXECUTABLES.bash!, argv: ['bash', '-c', args[c + 1]!], user: target, children: convertScript(args[c + 1]!, { ...ctx, user: target }, depth + 1) }];
  }
  const net = networkOf(base, args);
  if (net.connects.length) proc.connects = net.connects;
  if (net.listens.length) proc.listens = net.listens;
  const side = writesOf(base, args, ctx.cwd, ctx.home);
  if (side.writes.length) proc.writes = side.writes;
  if (side.autostart?.length) proc.autostart = side.autostart;
  if (side.services?.length) proc.services = side.services;
  for (const write of side.writes) ctx.written.add(write.path);
  return proc;
}

/** The processes a shell starts for `script`, in order (`shellExe` does the redirections). */
export function convertScript(script: string, ctx: ConvertContext, depth = 0): Proc[] {
  const out: Proc[] = [];
  for (const command of readScript(script)) {
    for (const sub of command.substitutions) {
      const p = procOf(sub.words, ctx, depth);
      if (p) out.push(p);
    }
    const proc = procOf(command.words, ctx, depth);
    // Redirections: the shell (forked, before exec) opens the file; /dev/tcp makes a connection.
    const writes: Write[] = [];
    const connects: Connect[] = [];
    for (const r of command.redirects) r.target = expand(r.target, ctx);
    for (const r of command.redirects) {
      if (!r.op.includes('>') || r.target.startsWith('&')) continue;
      const tcp = /^\/dev\/(tcp|udp)\/([^/]+)\/(\d+)$/.exec(r.target);
      if (tcp) connects.push({ host: tcp[2]!, port: Number(tcp[3]), transport: tcp[1] as 'tcp' | 'udp' });
      else if (r.target !== '/dev/null' && !r.target.startsWith('$')) writes.push({ path: absolute(r.target, ctx.cwd, ctx.home), action: r.op.includes('>>') ? 'modify' : 'create' });
    }
    for (const r of command.redirects) {
      const tcp = r.op.includes('<') ? /^\/dev\/(tcp|udp)\/([^/]+)\/(\d+)$/.exec(r.target) : null;
      if (tcp) connects.push({ host: tcp[2]!, port: Number(tcp[3]), transport: tcp[1] as 'tcp' | 'udp' });
    }
    if (writes.length || connects.length) {
      for (const w of writes) ctx.written.add(w.path);
      const autostart = writes.flatMap((w) => {
        const place = persistencePlace(w.path);
        return place ? [{ location: place, name: w.path.slice(w.path.lastIndexOf('/') + 1), path: w.path, action: w.action === 'modify' ? ('modified' as const) : ('created' as const) }] : [];
      });
      // The redirection happens in the shell process: record it on a shell-side pseudo step (no new process).
      out.push({ exe: '', argv: [], writes, connects, ...(autostart.length ? { autostart } : {}) });
    }
    if (proc) out.push(proc);
  }
  return out;
}

/**
 * How an attack runs. `typed`: the commands typed into the user's interactive shell (for tests that need root, in a
 * root shell from `sudo -i`), as an intruder with a stolen session would. `runner`: `sh -c '<command>'` (through sudo
 * when the test needs root), as Atomic Red Team's own runner executes tests.
 */
export type AttackMode = 'typed' | 'runner';

/**
 * The whole tree for a test, rooted in the user's shell: an inline step (exe '') in `typed` mode, else the runner's
 * shell. Shell-side steps (exe '') carry the shell's own writes and connections. Optional tools the test needs and
 * `installed` lacks are installed first with apt-get (as the tests' prerequisites do); they are added to `installed`.
 */
export function attackTree(test: AtomicTest, user: string, uniqueHash: () => string, installed: Set<string> = new Set(Object.keys(OPTIONAL_TOOLS)), mode: AttackMode = 'typed'): Proc {
  const asRoot = test.elevated;
  const home = asRoot ? '/root' : user === 'root' ? '/root' : `/home/${user}`;
  const ctx: ConvertContext = { cwd: home, home, user: asRoot ? 'root' : user, vars: new Map(), written: new Set(), uniqueHash, installed, needs: new Set() };
  const children = convertScript(test.command, ctx);
  const prerequisites: Proc[] = [];
  if (ctx.needs.size) {
    const packages = [...new Set([...ctx.needs].map((n) => OPTIONAL_TOOLS[n]!))];
    const install: Proc = {
      ...cmd('apt-get', 'install', '-y', ...packages), connects: [{ host: 'deb.debian.org', port: 80 }],
      children: [{ ...cmd('dpkg', '--status-fd', '35', '--unpack', '--auto-deconfigure', ...packages.map((p) => `/var/cache/apt/archives/${p}.deb`)), writes: [...ctx.needs].map((n) => ({ path: resolve(n), executable: true })) }],
    };
    prerequisites.push(asRoot ? install : { exe: '/usr/bin/sudo', argv: ['sudo', ...install.argv], switchTo: 'root', children: [{ ...install, user: 'root' }] });
    for (const n of ctx.needs) installed.add(n);
  }
  if (mode === 'runner') {
    const shellName = test.executor;
    const shellProc: Proc = { exe: EXECUTABLES[shellName]!, argv: [shellName, '-c', test.command], children };
    const run: Proc = asRoot ? { exe: '/usr/bin/sudo', argv: ['sudo', shellName, '-c', test.command], switchTo: 'root', children: [{ ...shellProc, user: 'root' }] } : shellProc;
    return { exe: '', argv: [], children: [...(asRoot ? prerequisites.map((p) => ({ exe: '/usr/bin/sudo', argv: ['sudo', ...p.argv], switchTo: 'root', children: [{ ...p, user: 'root' }] })) : prerequisites), run] };
  }
  if (!asRoot) return { exe: '', argv: [], children: [...prerequisites, ...children] };
  return { exe: '', argv: [], children: [{ exe: '/usr/bin/sudo', argv: ['sudo', '-i'], switchTo: 'root', children: [{ exe: EXECUTABLES.bash!, argv: ['-bash'], user: 'root', cwd: '/root', children: [...prerequisites, ...children] }] }] };
}
