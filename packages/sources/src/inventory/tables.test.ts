// Inventory table readers on fixture files (accounts, services, modules) and on this machine (host, executables):
// every row validates against the schema's inventory table, and no row ever carries a password hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInventoryRow } from '@vigil/schema';
import { seededRandom } from '@vigil/common';
import { parseGroup, parsePasswd, parseShadow, passwordStatus } from './accounts.js';
import { parseProcModules } from './kernel-modules.js';
import { parseUnitFile, scanServices } from './services.js';
import { parseCpuinfo, parseOsRelease } from './host.js';
import { createTableReader, INVENTORY_TABLES } from './tables.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nalice:x:1001:1001:Alice A,,,:/home/alice:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/sh\nbroken:x:notanumber:1::/:/bin/sh\n';
const GROUP = 'root:x:0:\nsudo:x:27:alice\nalice:x:1001:\nbob:x:1002:\ndev:x:2000:alice,bob\n';
const SHADOW = 'root:*:20000:0:99999:7:::\nalice:$y$j9T$abc$defghijklmnop:20400:0:99999:7:::\nbob:!$6$salt$hash:20401:0:99999:7::20000:\ndaemon::20000::::::\n';

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-inv-'));
  writeFileSync(join(dir, 'passwd'), PASSWD);
  writeFileSync(join(dir, 'group'), GROUP);
  writeFileSync(join(dir, 'shadow'), SHADOW);
  writeFileSync(join(dir, 'modules'), 'nf_tables 299008 3 nft_chain_nat,nft_ct, Live 0xffffffffc0a0b000\nvboxdrv 675840 0 - Live 0xffffffffc0c00000 (OE)\n');
  const etc = join(dir, 'root', 'etc');
  mkdirSync(join(etc, 'systemd/system/multi-user.target.wants'), { recursive: true });
  mkdirSync(join(dir, 'root', 'lib/systemd/system'), { recursive: true });
  mkdirSync(join(etc, 'init.d'), { recursive: true });
  mkdirSync(join(etc, 'rc2.d'), { recursive: true });
  writeFileSync(join(dir, 'root', 'lib/systemd/system/sshd.service'), '[Unit]\nDescription=ssh\n[Service]\nExecStart=-/usr/sbin/sshd -D $SSHD_OPTS\nUser=root\n[Install]\nWantedBy=multi-user.target\n');
  writeFileSync(join(dir, 'root', 'lib/systemd/system/apt-daily.service'), '[Service]\nExecStart=/usr/lib/apt/apt.systemd.daily update\n');
  writeFileSync(join(dir, 'root', 'lib/systemd/system/cups.service'), '[Service]\nExecStart=/usr/sbin/cupsd -l\n[Install]\nWantedBy=multi-user.target\n');
  writeFileSync(join(etc, 'systemd/system/evil.service'), '[Service]\nExecStart=/tmp/.x/run\n[Install]\nWantedBy=multi-user.target\n');
  symlinkSync('/dev/null', join(etc, 'systemd/system/cups.service'));
  symlinkSync('/lib/systemd/system/sshd.service', join(etc, 'systemd/system/multi-user.target.wants/sshd.service'));
  symlinkSync('/etc/systemd/system/evil.service', join(etc, 'systemd/system/multi-user.target.wants/evil.service'));
  writeFileSync(join(etc, 'init.d/legacy'), '#!/bin/sh\n');
  chmodSync(join(etc, 'init.d/legacy'), 0o755);
  writeFileSync(join(etc, 'init.d/README'), 'docs\n');
  symlinkSync('../init.d/legacy', join(etc, 'rc2.d/S01legacy'));
  return dir;
}

test('passwd, group and shadow parse; shadow keeps a status and a short digest, never the hash', () => {
  const users = parsePasswd(PASSWD);
  assert.deepEqual(users.map((u) => u.name), ['root', 'daemon', 'alice', 'bob']);
  assert.deepEqual(parseGroup(GROUP).find((g) => g.name === 'dev')?.members, ['alice', 'bob']);
  const shadow = parseShadow(SHADOW);
  assert.deepEqual(shadow.map((s) => [s.name, s.status]), [['root', 'disabled'], ['alice', 'set'], ['bob', 'locked'], ['daemon', 'empty']]);
  assert.equal(shadow[1]!.lastChangeDays, 20400);
  assert.equal(shadow[2]!.expireDays, 20000);
  assert.ok(!JSON.stringify(shadow).includes('defghijklmnop') && !JSON.stringify(shadow).includes('$6$'), 'no hash text');
  assert.equal(passwordStatus('!!'), 'disabled');
});

test('users and groups tables from fixture files: privileged, locked, expiry, group names', () => {
  const dir = fixture();
  try {
    const reader = createTableReader({ paths: { passwd: join(dir, 'passwd'), group: join(dir, 'group'), shadow: join(dir, 'shadow') } });
    const users = reader.read('users');
    const byName = new Map(users.rows.map((r) => [r['user.name'], r]));
    assert.equal(byName.get('root')!['user.privileged'], true);
    assert.equal(byName.get('alice')!['user.privileged'], true, 'alice is in sudo');
    assert.deepEqual(byName.get('alice')!['user.groups'], ['alice', 'dev', 'sudo']);
    assert.equal(byName.get('alice')!['user.full_name'], 'Alice A');
    assert.equal(byName.get('alice')!['user.password_status'], 'set');
    assert.equal(byName.get('alice')!['user.locked'], false);
    assert.equal(byName.get('bob')!['user.locked'], true);
    assert.equal(byName.get('daemon')!['user.password_status'], 'empty');
    assert.ok(!JSON.stringify(users.rows).includes('$y$'), 'no hash in rows');
    const groups = reader.read('groups').rows;
    assert.deepEqual(groups.find((g) => g['group.name'] === 'sudo'), { 'group.name': 'sudo', 'group.id': '27', 'group.members': ['alice'] });
    for (const [table, rows] of [['users', users.rows], ['groups', groups]] as const) for (const row of rows) assert.deepEqual(checkInventoryRow(table, structuredClone(row), table), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('services from unit files and init scripts: enabled by wants links, masked, static, sysv with rc links', () => {
  const dir = fixture();
  try {
    const services = new Map(scanServices(join(dir, 'root')).map((s) => [s.name, s]));
    assert.deepEqual(services.get('sshd.service'), { name: 'sshd.service', type: 'systemd', enabled: true, startType: 'enabled', executable: '/usr/sbin/sshd', unitPath: '/lib/systemd/system/sshd.service', account: 'root' });
    assert.equal(services.get('evil.service')?.enabled, true);
    assert.equal(services.get('evil.service')?.executable, '/tmp/.x/run');
    assert.equal(services.get('cups.service')?.startType, 'masked', '/etc masks the /lib unit');
    assert.equal(services.get('apt-daily.service')?.startType, 'static');
    assert.deepEqual(services.get('legacy'), { name: 'legacy', type: 'sysv', enabled: true, startType: 'enabled', executable: '/etc/init.d/legacy', unitPath: '/etc/init.d/legacy' });
    assert.ok(!services.has('README'));
    assert.deepEqual(parseUnitFile('[Service]\nExecStart=@/bin/true true\n'), { execStart: '/bin/true', hasInstall: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kernel modules: name, size, users, state, taint; malformed lines skipped', () => {
  const { modules, skipped } = parseProcModules('nf_tables 299008 3 nft_chain_nat,nft_ct, Live 0xffff\nvboxdrv 675840 0 - Live 0xffff (OE)\nbad line\n');
  assert.equal(skipped, 1);
  assert.deepEqual(modules, [
    { name: 'nf_tables', size: 299008, usedBy: ['nft_chain_nat', 'nft_ct'], state: 'Live' },
    { name: 'vboxdrv', size: 675840, usedBy: [], state: 'Live', taint: 'OE' },
  ]);
});

test('os-release and cpuinfo parsing', () => {
  assert.deepEqual(parseOsRelease('NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# comment\n'), { NAME: 'Debian GNU/Linux', VERSION_ID: '12', ID: 'debian' });
  assert.deepEqual(parseCpuinfo('processor\t: 0\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\n'), { model: 'AMD EPYC', count: 2 });
});

test('executables: setuid, ELF metadata and sha256; a changed file is hashed again, an unchanged one is not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-exe-'));
  try {
    copyFileSync('/usr/bin/passwd', join(dir, 'passwd'));
    chmodSync(join(dir, 'passwd'), 0o4755);
    writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(dir, 'script.sh'), 0o755);
    writeFileSync(join(dir, 'data.txt'), 'not executable');
    symlinkSync('passwd', join(dir, 'pw'));
    const reader = createTableReader({ executableDirs: [dir] });
    const first = reader.read('executables');
    const rows = new Map(first.rows.map((r) => [r['file.name'], r]));
    assert.deepEqual([...rows.keys()].sort(), ['passwd', 'pw', 'script.sh']);
    const passwd = rows.get('passwd')!;
    assert.equal(passwd['file.setuid'], true);
    assert.equal(passwd['file.mode'], '4755');
    assert.equal(passwd['file.elf.architecture'], 'x86_64');
    assert.equal(passwd['file.elf.interpreter'], '/lib64/ld-linux-x86-64.so.2');
    assert.equal(passwd['file.elf.stripped'], true);
    assert.equal(rows.get('pw')!['file.type'], 'symlink');
    assert.equal(rows.get('pw')!['file.hash.sha256'], passwd['file.hash.sha256']);
    assert.equal(rows.get('script.sh')!['file.elf.architecture'], undefined);
    assert.equal(first.stats.hashed, 2);
    for (const row of first.rows) assert.deepEqual(checkInventoryRow('executables', structuredClone(row), 'row'), []);
    writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho changed\n');
    const second = reader.read('executables');
    assert.equal(second.stats.hashed, 1, 'only the changed file is hashed again');
    assert.notEqual(second.rows.find((r) => r['file.name'] === 'script.sh')!['file.hash.sha256'], rows.get('script.sh')!['file.hash.sha256']);
    assert.ok(statSync(join(dir, 'passwd')).isFile());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every table of this machine validates against the schema', () => {
  const reader = createTableReader({ executableDirs: ['/usr/sbin'] });
  for (const table of INVENTORY_TABLES) {
    const result = reader.read(table);
    assert.equal(result.error, undefined, `${table}: ${result.error}`);
    if (table !== 'kernel_modules') assert.ok(result.rows.length > 0, `${table} has rows`);
    for (const [i, row] of result.rows.entries()) assert.deepEqual(checkInventoryRow(table, structuredClone(row), `${table}[${i}]`), []);
  }
});

test('fuzz: account parsers never throw and never return a hash field on 2,000 mutated files', () => {
  const random = seededRandom(17);
  for (let i = 0; i < 2000; i++) {
    let text = SHADOW + PASSWD + GROUP;
    for (let m = 0; m < 6; m++) {
      const at = Math.floor(random() * text.length);
      text = text.slice(0, at) + [':', '\n', '!', '*', '', '$6$', ',', '99999999999'][Math.floor(random() * 8)] + text.slice(at + Math.floor(random() * 3));
    }
    const hashes = new Set(text.split('\n').map((line) => line.split(':')[1]).filter((h): h is string => !!h && h.length > 3));
    for (const entry of parseShadow(text)) {
      assert.ok(Object.keys(entry).every((k) => ['name', 'status', 'lastChangeDays', 'expireDays', 'digest'].includes(k)), JSON.stringify(entry));
      assert.match(entry.digest, /^[0-9a-f]{16}$/);
      assert.ok(!hashes.has(entry.status) && !hashes.has(entry.digest), JSON.stringify(entry));
    }
    for (const user of parsePasswd(text)) assert.ok(Number.isSafeInteger(user.uid));
    for (const group of parseGroup(text)) assert.ok(Number.isSafeInteger(group.gid));
  }
});
