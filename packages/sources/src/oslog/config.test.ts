import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom, VigilError } from '@vigil/common';
import { checkOsLogConfig, compileOsLogFilter, globMatcher, osLogConfigFromEnv } from './config.js';

test('configuration is validated with the location of the mistake', () => {
  const config = checkOsLogConfig({
    files: ['/var/log/app.log'],
    socket: { path: '/run/vigil-log.sock', type: 'stream' },
    kmsg: true,
    include: [{ facility: ['auth', 'authpriv'] }, { atLeast: 'warning' }],
    exclude: [{ program: ['CRON'], message: 'session (opened|closed)' }],
  });
  assert.equal(config.include?.length, 2);
  const fails = (value: unknown, path: string) =>
    assert.throws(() => checkOsLogConfig(value), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config' && e.location?.path === path, path);
  fails({ files: ['relative.log'] }, 'oslog.files[0]');
  fails({ socket: 'dev/log' }, 'oslog.socket');
  fails({ socket: { path: '/x', type: 'udp' } }, 'oslog.socket.type');
  fails({ socket: { path: `/${'x'.repeat(120)}` } }, 'oslog.socket.path');
  fails({ include: [{ severity: ['warn'] }] }, 'oslog.include[0].severity[0]');
  fails({ include: [{}, { facility: ['kernel'] }] }, 'oslog.include[0]');
  fails({ exclude: [{ message: '(' }] }, 'oslog.exclude[0].message');
  fails({ exclude: [{ atLeast: 'loud' }] }, 'oslog.exclude[0].atLeast');
  fails({ exclude: [{ proggram: ['x'] }] }, 'oslog.exclude[0].proggram');
  fails({ kmsg: 'yes' }, 'oslog.kmsg');
  fails({ maxEventsPerSecond: 0 }, 'oslog.maxEventsPerSecond');
  fails({ colour: 'blue' }, 'oslog.colour');
  assert.deepEqual(osLogConfigFromEnv({ VIGIL_OSLOG_FILES: '/a.log:/b.log', VIGIL_OSLOG_SOCKET: 'off' }), { files: ['/a.log', '/b.log'], socket: false });
  assert.deepEqual(osLogConfigFromEnv({ VIGIL_OSLOG_FILES: '' }), { files: [] });
});

test('filters: include any, then exclude any; conditions of one rule all apply', () => {
  const keep = compileOsLogFilter(checkOsLogConfig({
    include: [{ facility: ['auth', 'authpriv'] }, { atLeast: 'err' }, { program: ['postfix/*'] }],
    exclude: [{ program: ['CRON'], message: '^pam_unix\\(cron:session\\)' }],
  }));
  assert.equal(keep({ facility: 'authpriv', program: 'sshd', severity: 6, message: 'Accepted publickey' }), true);
  assert.equal(keep({ facility: 'daemon', program: 'x', severity: 3, message: 'failed' }), true, 'err is at least err');
  assert.equal(keep({ facility: 'daemon', program: 'x', severity: 4, message: 'warning' }), false);
  assert.equal(keep({ facility: 'mail', program: 'postfix/smtpd', severity: 6, message: 'connect' }), true);
  assert.equal(keep({ facility: 'authpriv', program: 'CRON', severity: 6, message: 'pam_unix(cron:session): session opened' }), false, 'excluded');
  assert.equal(keep({ facility: 'authpriv', program: 'CRON', severity: 6, message: 'other' }), true, 'exclude needs both conditions');
  assert.equal(keep({ message: 'no fields' }), false);
  const everything = compileOsLogFilter({});
  assert.equal(everything({ message: 'x' }), true);
});

test('globs: * and ? without regular expressions; agree with a reference on random input', () => {
  assert.equal(globMatcher('postfix/*')('postfix/smtpd'), true);
  assert.equal(globMatcher('s?hd')('sshd'), true);
  assert.equal(globMatcher('*d')('sshd'), true);
  assert.equal(globMatcher('a*b*c')('aXbYc'), true);
  assert.equal(globMatcher('a*b*c')('aXbY'), false);
  assert.equal(globMatcher('')(''), true);
  assert.equal(globMatcher('.*')('x'), false, 'regex characters are literal');
  const random = seededRandom(0x610b);
  const reference = (pattern: string, text: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(text);
  const pick = (alphabet: string, max: number) => Array.from({ length: Math.floor(random() * max) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  for (let i = 0; i < 5000; i++) {
    const pattern = pick('ab*?.', 6);
    const text = pick('ab.', 8);
    assert.equal(globMatcher(pattern)(text), reference(pattern, text), `${pattern} ~ ${text}`);
  }
});
