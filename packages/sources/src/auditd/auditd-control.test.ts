import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { AUDIT_RULES, createAuditdControl, parseAuditStatus, pluginConfig, RULE_KEY, withQueueDepth } from './auditd-control.js';

test('parses auditctl -s output', () => {
  const status = parseAuditStatus(
    'enabled 1\nfailure 1\npid 7782\nrate_limit 0\nbacklog_limit 64\nlost 0\nbacklog 0\nbacklog_wait_time 15000\nloginuid_immutable 0 unlocked\n',
  );
  assert.deepEqual(status, { enabled: 1, pid: 7782, backlogLimit: 64, backlogWaitTime: 15000 });
  assert.equal(parseAuditStatus('enabled 1\npid 0\nbacklog_limit 64\n').backlogWaitTime, undefined, 'older kernels do not report it');
  assert.throws(() => parseAuditStatus('AUDIT_STATUS: enabled=1'), (e: unknown) => e instanceof VigilError && e.code === 'system');
});

test('the plugin config is the builtin af_unix plugin in string format on our socket', () => {
  const text = pluginConfig('/run/vigil.sock');
  assert.match(text, /^active = yes$/m);
  assert.match(text, /^path = builtin_af_unix$/m);
  assert.match(text, /^type = builtin$/m);
  assert.match(text, /^args = 0600 \/run\/vigil\.sock$/m);
  assert.match(text, /^format = string$/m);
});

test('q_depth is raised in place, keeping every other byte; a deeper queue or a missing line is handled', () => {
  const stock = '#\n# auditd.conf\n#\nlocal_events = yes\nq_depth = 2000\noverflow_action = SYSLOG\n';
  assert.equal(withQueueDepth(stock, 65536), stock.replace('q_depth = 2000', 'q_depth = 65536'));
  assert.equal(withQueueDepth('Q_DEPTH=500\r\nx = y', 1000), 'q_depth = 1000\r\nx = y', 'keys are case-insensitive; CRLF kept');
  assert.equal(withQueueDepth('q_depth = 80000\n', 65536), undefined, 'never lowered');
  assert.equal(withQueueDepth('##q_depth = 10\nflush = NONE', 4096), '##q_depth = 10\nflush = NONE\nq_depth = 4096\n', 'a commented line is not the setting');
});

test('every rule carries our key; exec rules drop failed lookups; both architectures are covered', () => {
  for (const rule of AUDIT_RULES) assert.deepEqual(rule.slice(-2), ['-k', RULE_KEY]);
  const execs = AUDIT_RULES.filter((r) => r.includes('execve,execveat'));
  assert.deepEqual(execs.map((r) => r.find((a) => a.startsWith('arch='))), ['arch=b64', 'arch=b32']);
  assert.ok(execs.every((r) => r.includes('exit!=-2')));
  assert.equal(AUDIT_RULES.filter((r) => r.includes('exit_group')).length, 2);
});

test('set-up refuses a bad socket path or missing binaries before touching the machine, and restore is then a no-op', async () => {
  const badPath = createAuditdControl({ socketPath: '/tmp/has space.sock' });
  await assert.rejects(badPath.setUp(), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config');
  await badPath.restore();
  const missing = createAuditdControl({ socketPath: '/tmp/x.sock', auditdPath: '/nonexistent/auditd' });
  await assert.rejects(missing.setUp(), (e: unknown) => e instanceof VigilError && e.code === 'unavailable' && /apt-get install auditd/.test(e.message));
  await missing.restore();
  assert.equal(missing.prior(), undefined);
});
