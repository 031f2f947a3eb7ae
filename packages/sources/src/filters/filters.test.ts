// Operator filters: Sysmon semantics (include groups, exclude wins), glob/prefix/cidr/equals conditions, per-category
// counters; the configuration loader's located errors (file:line:col) and a fuzz test of the loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VigilError, seededRandom } from '@vigil/common';
import { createAgentFilter, loadAgentConfig, parseAgentConfig } from './agent-config.js';
import { globToRegExp } from '@vigil/common';

const CONFIG = `# operator filters
filters:
  - name: no cron children
    onmatch: exclude
    category: process
    action: start
    conditions:
      parent_name: cron
  - name: only outside connections
    onmatch: exclude
    category: network
    conditions:
      destination: { cidr: [127.0.0.0/8, "::1/128"] }
  - name: interesting files
    onmatch: include
    category: file
    conditions:
      path: { glob: [/etc/**, /tmp/*.sh] }
  - name: root shells
    onmatch: include
    category: file
    conditions:
      path: { prefix: /root/ }
      user: root
  - name: args
    onmatch: exclude
    category: process
    conditions:
      process.args: { contains: --vigil-noise }
inventory:
  intervals: { listening_ports: 15, executables: 3600 }
  max_executables: 5000
changes:
  rescan_seconds: 30
  diff_limit: 4096
`;

test('a configuration parses into rules and settings', () => {
  const config = parseAgentConfig(CONFIG, 'agent.yml');
  assert.equal(config.filters.length, 5);
  assert.deepEqual(config.filters[0], { name: 'no cron children', onmatch: 'exclude', categories: ['process'], actions: ['start'], conditions: [{ field: 'process.parent.name', matcher: { equals: ['cron'] } }] });
  assert.deepEqual(config.inventory.intervals, { listening_ports: 15, executables: 3600 });
  assert.equal(config.inventory.maxExecutables, 5000);
  assert.equal(config.changes.rescanSeconds, 30);
  assert.equal(config.changes.diffLimit, 4096);
});

test('Sysmon semantics: exclude wins, include groups restrict their category and action only, counters per category', () => {
  const filter = createAgentFilter(parseAgentConfig(CONFIG, 'agent.yml'));
  const keep = (event: Record<string, unknown>) => filter.accept(event);
  assert.equal(keep({ 'event.category': 'process', 'event.action': 'start', 'process.parent.name': 'cron' }), false);
  assert.equal(keep({ 'event.category': 'process', 'event.action': 'exit', 'process.parent.name': 'cron' }), true, 'the rule is for start only');
  assert.equal(keep({ 'event.category': 'process', 'event.action': 'start', 'process.parent.name': 'bash' }), true);
  assert.equal(keep({ 'event.category': 'process', 'event.action': 'start', 'process.args': ['x', '--vigil-noise'] }), false, 'any list element');
  assert.equal(keep({ 'event.category': 'network', 'event.action': 'connect', 'destination.ip': '127.0.0.53' }), false);
  assert.equal(keep({ 'event.category': 'network', 'event.action': 'connect', 'destination.ip': '::1' }), false);
  assert.equal(keep({ 'event.category': 'network', 'event.action': 'connect', 'destination.ip': '203.0.113.9' }), true);
  assert.equal(keep({ 'event.category': 'network', 'event.action': 'connect' }), true, 'a missing field never matches an exclude');
  assert.equal(keep({ 'event.category': 'file', 'event.action': 'modify', 'file.path': '/etc/ssh/sshd_config' }), true);
  assert.equal(keep({ 'event.category': 'file', 'event.action': 'modify', 'file.path': '/tmp/run.sh' }), true);
  assert.equal(keep({ 'event.category': 'file', 'event.action': 'modify', 'file.path': '/tmp/sub/run.sh' }), false, '* stays in one segment');
  assert.equal(keep({ 'event.category': 'file', 'event.action': 'modify', 'file.path': '/root/.bashrc', 'user.name': 'root' }), true);
  assert.equal(keep({ 'event.category': 'file', 'event.action': 'modify', 'file.path': '/root/.bashrc', 'user.name': 'bob' }), false, 'conditions of a group are ANDed');
  assert.equal(keep({ 'event.category': 'dns', 'event.action': 'query', 'dns.question.name': 'x' }), true);
  assert.deepEqual(filter.counters(), { filtered: 6, 'collected.process': 2, 'collected.network': 2, 'collected.file': 3, 'collected.dns': 1, 'filtered.process': 2, 'filtered.network': 2, 'filtered.file': 2 });
});

test('without rules the filter keeps everything and only counts', () => {
  const filter = createAgentFilter(parseAgentConfig('inventory: { enabled: false }\n', 'a.yml'));
  assert.equal(filter.accept({ 'event.category': 'process', 'event.action': 'start' }), true);
  assert.deepEqual(filter.counters(), { filtered: 0, 'collected.process': 1 });
});

test('errors carry file:line:column, all of them at once', () => {
  const text = `filters:
  - onmatch: drop
    category: proces
    conditions:
      no.such.field: x
  - onmatch: include
    category: network
    conditions:
      destination: { cidr: 300.1.1.1/8 }
      destination_port: { between: 1 }
inventory:
  intervals: { nope: 1, users: -5 }
changes: { rescan_seconds: "soon" }
extra: 1
`;
  try {
    parseAgentConfig(text, '/etc/vigil/agent.yml');
    assert.fail('expected an error');
  } catch (error) {
    assert.ok(error instanceof VigilError);
    assert.equal(error.code, 'invalid_config');
    assert.match(error.message, /^\/etc\/vigil\/agent\.yml:2:14: onmatch must be include or exclude/);
    const where = error.details.map((d) => `${d.location?.line}:${d.location?.column} ${d.message}`);
    assert.deepEqual(where, [
      '2:14 onmatch must be include or exclude, not "drop"',
      '3:15 unknown category "proces"; categories: process, injection, file, network, dns, authentication, log, script, registry, autostart, iam, service, driver, system, library, pipe, scan',
      '9:28 "300.1.1.1/8" is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8',
      '10:25 the condition on destination_port needs one of equals, prefix, suffix, contains, glob, cidr',
      '10:27 unknown key "between" in the condition on destination_port; expected one of equals, prefix, suffix, contains, glob, cidr',
      '12:16 unknown key "nope" in inventory.intervals; expected one of host, users, groups, services, executables, packages, listening_ports, kernel_modules',
      '12:32 inventory.intervals.users must be a number above 0 and at most 604800',
      '13:28 changes.rescan_seconds must be a number above 0 and at most 86400',
      '14:1 unknown key "extra" in the configuration; expected one of filters, inventory, changes',
    ]);
  }
});

test('unknown fields for the selected categories are refused; YAML syntax errors are located; JSON works', () => {
  assert.throws(() => parseAgentConfig('filters:\n  - onmatch: include\n    category: dns\n    conditions:\n      file.path: /x\n', 'f.yml'), /f\.yml:5:7: no selected category has the field "file\.path"/);
  assert.throws(() => parseAgentConfig('filters: [\n  - x\n', 'bad.yml'), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config' && e.location?.file === 'bad.yml' && typeof e.location.line === 'number');
  const json = parseAgentConfig('{"filters": [{"onmatch": "exclude", "category": "*", "conditions": {"user": ["nobody", "www-data"]}}]}', 'agent.json');
  assert.equal(json.filters[0]!.categories, '*');
  const filter = createAgentFilter(json);
  assert.equal(filter.accept({ 'event.category': 'authentication', 'event.action': 'logon', 'user.name': 'www-data' }), false);
});

test('loadAgentConfig reads a file; without one it returns the defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  try {
    writeFileSync(join(dir, 'agent.yml'), CONFIG);
    assert.equal(loadAgentConfig(join(dir, 'agent.yml')).filters.length, 5);
    assert.deepEqual(loadAgentConfig(undefined).filters, []);
    assert.throws(() => loadAgentConfig(join(dir, 'missing.yml')), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('globs: ** crosses directories, * and ? stay in one, classes and negated classes', () => {
  assert.ok(globToRegExp('/usr/**/bin/*').test('/usr/local/lib/bin/x'));
  assert.ok(!globToRegExp('/usr/*/bin').test('/usr/a/b/bin'));
  assert.ok(globToRegExp('/tmp/file?.[ch]').test('/tmp/file1.c'));
  assert.ok(!globToRegExp('/tmp/[!a]*').test('/tmp/abc'));
  assert.ok(globToRegExp('/a+b(c)').test('/a+b(c)'), 'regex characters are literal');
});

test('fuzz: 2,000 mutated configurations either load or fail with a located invalid_config', () => {
  const random = seededRandom(29);
  const pieces = ['\n', '  ', '- ', ': ', '{', '}', '[', ']', '"', "'", 'cidr', 'glob', '*', '&a', '*a', '!!str ', '#', '\t', 'onmatch: include', '10.0.0.0/8'];
  let loaded = 0;
  for (let i = 0; i < 2000; i++) {
    let text = CONFIG;
    for (let m = 0; m < 1 + Math.floor(random() * 5); m++) {
      const at = Math.floor(random() * text.length);
      text = random() < 0.6 ? text.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 10));
    }
    try {
      const config = parseAgentConfig(text, 'fuzz.yml');
      createAgentFilter(config).accept({ 'event.category': 'process', 'event.action': 'start', 'process.parent.name': 'cron' });
      loaded++;
    } catch (error) {
      assert.ok(error instanceof VigilError && error.code === 'invalid_config', String(error));
      assert.equal(error.location?.file, 'fuzz.yml');
      assert.ok(error.location?.line === undefined || error.location.line >= 1);
    }
  }
  assert.ok(loaded > 50, `${loaded} mutated configurations still loaded`);
});
