// Guards the contract between this source and Vigil's Linux rule pack: events built from kernel-shaped audit records
// (the shapes captured in testdata/file-ops-6.18.log) fire the pack's file, injection, log and script rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join, sep } from 'node:path';
import { repoRoot } from '@vigil/common';
import { loadSigmaRules, readRuleSources, type CompiledRule } from '@vigil/detect';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import type { CollectedEvent } from '@vigil/schema';
import { createFileEventBuilder } from './file-events.js';
import { buildScriptEvent } from './script-events.js';
import { groupsOf } from './test-support.js';

const packDir = join(repoRoot(), 'content', 'rules', 'linux');
const rules = loadSigmaRules(
  readRuleSources(packDir).filter((source) => !source.file.startsWith(join(packDir, 'tests') + sep)),
  defaultSigmaMapping(),
).rules;

function fired(event: CollectedEvent): string[] {
  const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' };
  return rules
    .filter((r: CompiledRule) => (r.route?.categories ?? []).includes(event['event.category']) && r.match(full) !== null)
    .map((r: CompiledRule) => r.rule.file.split(sep).pop()!.replace(/\.yml$/, ''));
}

let serial = 100;
/** One audit event: a SYSCALL record, the CWD, and PATH items `[name, nametype, mode]`. */
function audit(nr: number, args: string, exe: string, items: Array<[string, string, string]>, extra: string[] = []): string {
  const s = ++serial;
  const head = `msg=audit(1700000000.${String(s).padStart(3, '0')}:${s}):`;
  return [
    `type=SYSCALL ${head} arch=c000003e syscall=${nr} success=yes exit=0 ${args} items=${items.length} ppid=1 pid=${4000 + s} auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=3 comm="x" exe="${exe}" key="vigil-file"`,
    `type=CWD ${head} cwd="/root"`,
    ...items.map(([name, type, mode], i) => `type=PATH ${head} item=${i} name="${name}" inode=${s * 10 + i} dev=fe:00 mode=${mode} ouid=0 ogid=0 rdev=00:00 nametype=${type}`),
    ...extra.map((line) => line.replace('HEAD', head)),
  ].join('\n');
}

const AT = 'a0=ffffff9c a1=1';
const DIR = '040755';
const FILE = '0100644';

test("file, injection and log events built from audit records fire the Linux pack's rules", async () => {
  const builder = createFileEventBuilder({ readLink: () => undefined, readExecutable: () => '/usr/sbin/sshd', readPreload: async () => '/dev/shm/.libx.so\n' });
  const cases: Array<[string, string]> = [
    ['file_authorized_keys_write', audit(257, `${AT} a2=441 a3=1b6`, '/usr/bin/bash', [['/root/.ssh/authorized_keys', 'NORMAL', '0100600']])],
    ['file_cron_write', audit(257, `${AT} a2=241 a3=1b6`, '/usr/bin/bash', [['/etc/cron.d/', 'PARENT', DIR], ['/etc/cron.d/0anacron-update', 'CREATE', FILE]])],
    ['file_forensic_log_deleted', audit(263, `${AT} a2=0`, '/usr/bin/rm', [['/var/log/', 'PARENT', DIR], ['/var/log/wtmp', 'DELETE', '0100664']])],
    ['file_ld_so_preload_write', audit(257, `${AT} a2=241 a3=1b6`, '/usr/bin/bash', [['/etc/', 'PARENT', DIR], ['/etc/ld.so.preload', 'CREATE', FILE]])],
    ['file_setuid_bit_set', audit(268, `${AT} a2=9ed`, '/usr/bin/chmod', [['/tmp/x', 'NORMAL', '0100755']])],
    ['file_shell_history_deleted', audit(263, `${AT} a2=0`, '/usr/bin/rm', [['/root/', 'PARENT', DIR], ['/root/.bash_history', 'DELETE', '0100600']])],
    ['file_system_shell_startup_write', audit(257, `${AT} a2=241 a3=1b6`, '/usr/bin/bash', [['/etc/profile.d/', 'PARENT', DIR], ['/etc/profile.d/zz.sh', 'CREATE', FILE]])],
    ['file_systemd_unit_write', audit(82, 'a0=1 a1=2', '/usr/bin/mv', [['/tmp/', 'PARENT', DIR], ['/etc/systemd/system/', 'PARENT', DIR], ['/tmp/x.service', 'DELETE', FILE], ['/etc/systemd/system/x.service', 'CREATE', FILE]])],
    ['injection_foreign_memory_write', audit(257, `${AT} a2=80002 a3=0`, '/usr/bin/python3.11', [['/proc/812/mem', 'NORMAL', '0100600']])],
    ['log_audit_log_cleared', audit(257, `${AT} a2=241 a3=1b6`, '/usr/bin/bash', [['/var/log/auth.log', 'NORMAL', '0100640']])],
    [
      'file_immutable_attribute_on_system_file',
      [
        audit(59, 'a0=1 a1=2', '/usr/bin/chattr', [['/usr/bin/chattr', 'NORMAL', '0100755']], ['type=EXECVE HEAD argc=3 a0="chattr" a1="+i" a2="/etc/passwd"']),
        audit(16, 'a0=3 a1=40086602 a2=7ffc a3=0', '/usr/bin/chattr', []),
      ].join('\n').replace(/pid=(\d+)/g, 'pid=7777'),
    ],
  ];
  for (const [rule, text] of cases) {
    const events: CollectedEvent[] = [];
    for (const group of groupsOf(text)) {
      builder.noteExec(group);
      const result = builder.build(group);
      if (!result) continue;
      events.push(...result.now, ...(result.later ? await result.later : []));
    }
    assert.ok(events.length > 0, `${rule}: no event`);
    const hits = events.flatMap(fired);
    assert.ok(hits.includes(rule), `${rule} did not fire on ${JSON.stringify(events)}; fired: ${hits.join(', ')}`);
    if (rule === 'file_ld_so_preload_write') assert.ok(hits.includes('injection_ld_preload_untrusted_library'), 'the listed library in /dev/shm');
  }
});

test("script events fire the pack's script rule", async () => {
  const payload = Buffer.from('import pty;pty.spawn("/bin/bash")').toString('base64');
  const start = {
    '@timestamp': '2026-12-05T10:00:00.000Z', 'event.category': 'process', 'event.action': 'start', 'event.type': 'start', 'event.provider': 'auditd',
    'event.outcome': 'success', 'process.pid': 9, 'process.executable': '/usr/bin/python3.11', 'process.name': 'python3.11',
    'process.args': ['python3', '-c', `import base64;exec(base64.b64decode("${payload}"))`],
  } as const;
  const script = await buildScriptEvent(start as never);
  assert.ok(script);
  assert.deepEqual(fired(script), ['script_encoded_code_shell_or_download']);
});
