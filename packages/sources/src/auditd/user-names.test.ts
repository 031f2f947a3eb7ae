import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUserNames, parseIdFile } from './user-names.js';

test('parses passwd-style lines; the first entry for an id wins; junk lines are skipped', () => {
  const names = parseIdFile('root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\n# comment\nbroken\nbob:x:abc:1\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  assert.deepEqual([...names], [['0', 'root'], ['1000', 'alice']]);
});

test('reloads a file when it changes, and copes with a missing one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-users-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const passwd = join(dir, 'passwd');
  const group = join(dir, 'group');
  writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\n');
  let clock = 0;
  const names = createUserNames({ passwdPath: passwd, groupPath: group, recheckMs: 1000, now: () => clock });
  assert.equal(names.user(0), 'root');
  assert.equal(names.user('1001'), undefined);
  assert.equal(names.group(0), undefined, 'missing /etc/group');
  await new Promise((r) => setTimeout(r, 10));
  writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\ncarol:x:1001:1001::/home/carol:/bin/sh\n');
  writeFileSync(group, 'wheel:x:10:carol\n');
  assert.equal(names.user(1001), undefined, 'not rechecked within the interval');
  clock += 1000;
  assert.equal(names.user(1001), 'carol');
  assert.equal(names.group('10'), 'wheel');
});

test('the real /etc/passwd maps uid 0 to root', () => {
  assert.equal(createUserNames().user(0), 'root');
});
