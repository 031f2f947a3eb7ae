import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { checkFileWatchConfig, DEFAULT_FILE_WATCH_PATHS, fileAuditRules, fileWatchConfigFromEnv, resolveWatchSet } from './file-paths.js';

/** A fake file system: merged /usr (/bin → /usr/bin, /lib → /usr/lib), no /boot, /etc/hosts a file. */
const links: Record<string, string> = { '/bin': '/usr/bin', '/sbin': '/usr/sbin', '/lib': '/usr/lib', '/lib64': '/usr/lib64' };
const missing = new Set(['/boot', '/var/spool/at', '/var/spool/anacron', '/usr/local/lib', '/usr/lib64']);
const realpath = (path: string) => {
  if (missing.has(path) || missing.has(links[path] ?? '')) throw new Error('ENOENT');
  return links[path] ?? path;
};
const kind = (path: string) => (path === '/etc/hosts' ? 'file' : 'dir') as 'dir' | 'file';

test('defaults resolve symbolic links, fold nested folders and skip missing ones', () => {
  const set = resolveWatchSet({}, realpath, kind);
  const paths = set.watch.map((w) => w.path);
  assert.ok(paths.includes('/usr/bin') && paths.includes('/usr/lib') && paths.includes('/etc') && paths.includes('/tmp') && paths.includes('/dev/shm'));
  assert.ok(!paths.includes('/bin') && !paths.includes('/usr/lib/systemd') && !paths.includes('/etc/systemd'), paths.join(' '));
  assert.equal(new Set(paths).size, paths.length, 'no duplicates');
  for (const a of paths) for (const b of paths) if (a !== b) assert.ok(!b.startsWith(`${a}/`), `${b} inside ${a}`);
  assert.ok(set.skipped.some((s) => s.path === '/boot' && s.reason === 'missing'));
  assert.ok(set.skipped.some((s) => s.path === '/usr/lib/systemd' && s.reason === 'inside /usr/lib'));
  assert.ok(DEFAULT_FILE_WATCH_PATHS.length > paths.length);
});

test('exclusions: a whole watched entry is dropped, a folder inside one becomes a never rule first', () => {
  const set = resolveWatchSet({ paths: ['/tmp', '/etc', '/etc/hosts', '/var/tmp'], exclude: ['/tmp/build', '/var/tmp', '/nowhere'] }, realpath, kind);
  assert.deepEqual(set.watch, [{ path: '/etc', kind: 'dir' }, { path: '/tmp', kind: 'dir' }]);
  assert.deepEqual(set.exclude, ['/tmp/build']);
  assert.ok(set.skipped.some((s) => s.path === '/var/tmp' && s.reason === 'excluded'));
  const rules = fileAuditRules(set, { selfPid: 4321 });
  assert.deepEqual(rules[0], ['never,exit', '-F', 'dir=/tmp/build', '-k', 'vigil-file']);
  assert.deepEqual(rules[1], ['always,exit', '-F', 'dir=/etc', '-F', 'perm=wa', '-F', 'success=1', '-F', 'pid!=4321', '-k', 'vigil-file']);
  assert.ok(rules.some((r) => r.includes('dir=/proc') && r.includes('perm=w')));
  assert.ok(rules.some((r) => r.includes('a1=0x40086602')));
  assert.equal(fileAuditRules(set, { selfPid: 1, procWrites: false, attributeFlags: false }).length, 3);
  const file = resolveWatchSet({ paths: ['/etc/hosts'] }, realpath, kind);
  assert.ok(fileAuditRules(file, { selfPid: 1 })[0]!.includes('path=/etc/hosts'), 'a single file is a path= watch');
});

test('configuration is validated with the location of the mistake', () => {
  assert.deepEqual(checkFileWatchConfig({ paths: ['/srv'], exclude: [], procWrites: false }), { paths: ['/srv'], exclude: [], procWrites: false });
  const fails = (value: unknown, path: string) =>
    assert.throws(() => checkFileWatchConfig(value), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config' && e.location?.path === path);
  fails({ paths: ['relative'] }, 'file.paths[0]');
  fails({ paths: '/etc' }, 'file.paths');
  fails({ exclude: ['/ok', 'x\ny'] }, 'file.exclude[1]');
  fails({ procWrites: 'yes' }, 'file.procWrites');
  fails({ pathz: [] }, 'file.pathz');
  fails([], 'file');
  assert.deepEqual(fileWatchConfigFromEnv({ VIGIL_FILE_WATCH: '/srv:/opt', VIGIL_FILE_EXCLUDE: '/opt/cache' }), { paths: ['/srv', '/opt'], exclude: ['/opt/cache'] });
  assert.deepEqual(fileWatchConfigFromEnv({}), {});
  assert.throws(() => fileWatchConfigFromEnv({ VIGIL_FILE_WATCH: 'tmp' }), (e: unknown) => e instanceof VigilError && e.location?.path === 'VIGIL_FILE_WATCH[0]');
});
