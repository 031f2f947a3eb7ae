// The agreed table from Windows event records to Vigil events, as data: per channel, event id to category, action and field renames.
// Holds no logic: map-event.ts interprets it, and the Sigma mapping routes rules by the same categories.

import type { ConverterName } from './internal/converters.js';

/** A value run through a named converter; `target` is the field or field prefix the converter writes. */
export interface Conversion {
  convert: ConverterName;
  target: string;
}

/** One EventData name's destination: a Vigil field (value coerced to its schema type), a conversion, or several of these. */
export type FieldRule = string | Conversion | readonly (string | Conversion)[];

/** The action chosen by the (case-insensitive) text of one EventData value; no match and no default: the event stays a log record. */
export interface ActionBySource {
  source: string;
  values: Readonly<Record<string, string>>;
  default?: string;
}

/** Where the record's System block describes the actor rather than the logging service. */
export type ActorFromSystem = 'processId' | 'userSid';

export interface EventRule {
  category: string;
  action: string | ActionBySource;
  /** The rule applies only to records of this provider (case-insensitive); others fall back to log/windows_event. */
  provider?: string;
  /** EventData name to destination. These win over the channel's `common` rules for the same name. */
  fields?: Readonly<Record<string, FieldRule>>;
  /** Fixed Vigil fields of every event of this rule. */
  constants?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
  actor?: readonly ActorFromSystem[];
}

export interface ChannelTable {
  channel: string;
  /** event.provider of every event of the channel. */
  eventProvider: 'sysmon' | 'evtx';
  /** EventData renames applied to every event of the channel, whatever its category (fields a category lacks are skipped). */
  common: Readonly<Record<string, FieldRule>>;
  events: Readonly<Record<number, EventRule>>;
  actor?: readonly ActorFromSystem[];
}

/** The rule of every record no table entry claims. */
export const windowsEventFallback: EventRule = { category: 'log', action: 'windows_event' };

const convert = (converter: ConverterName, target: string): Conversion => ({ convert: converter, target });
const log: EventRule = windowsEventFallback;

const processImage = { Image: convert('image', 'process'), ProcessId: 'process.pid', ProcessGuid: 'process.entity_id' } as const;
const versionInfo = (p: string) => ({
  OriginalFileName: `${p}.pe.original_file_name`,
  Description: `${p}.pe.description`,
  Product: `${p}.pe.product`,
  Company: `${p}.pe.company`,
  FileVersion: `${p}.pe.file_version`,
});

/**
 * A permanent WMI event subscription (Sysmon 19 filter, 20 consumer, 21 binding) is a persistence point: its Operation
 * decides the action; any other Operation text leaves the event a log record.
 */
const wmiOperation = { source: 'Operation', values: { created: 'created', modified: 'modified', deleted: 'deleted' } } as const;

const sysmon: ChannelTable = {
  channel: 'Microsoft-Windows-Sysmon/Operational',
  eventProvider: 'sysmon',
  common: { UtcTime: '@timestamp', ...processImage, User: convert('user', 'user') },
  events: {
    1: {
      category: 'process',
      action: 'start',
      fields: {
        UtcTime: ['@timestamp', 'process.start'],
        CommandLine: convert('commandLine', 'process'),
        CurrentDirectory: 'process.working_directory',
        IntegrityLevel: convert('integrityLevel', 'process.integrity_level'),
        ...versionInfo('process'),
        Hashes: convert('hashes', 'process'),
        LogonId: 'process.logon_id',
        TerminalSessionId: 'process.session_id',
        ParentProcessGuid: 'process.parent.entity_id',
        ParentProcessId: 'process.parent.pid',
        ParentImage: convert('image', 'process.parent'),
        ParentCommandLine: convert('commandLine', 'process.parent'),
        ParentUser: convert('user', 'process.parent.user'),
      },
    },
    2: { category: 'file', action: 'timestomp', fields: { TargetFilename: convert('path', 'file'), CreationUtcTime: 'file.created' } },
    3: {
      category: 'network',
      action: { source: 'Initiated', values: { true: 'connect', false: 'accept' }, default: 'connect' },
      fields: {
        Protocol: 'network.transport',
        Initiated: convert('direction', 'network.direction'),
        SourceIp: convert('ip', 'source.ip'),
        SourceHostname: 'source.domain',
        SourcePort: convert('port', 'source.port'),
        DestinationIp: convert('ip', 'destination.ip'),
        DestinationHostname: 'destination.domain',
        DestinationPort: convert('port', 'destination.port'),
      },
    },
    4: log,
    5: { category: 'process', action: 'exit', fields: { UtcTime: ['@timestamp', 'process.end'] } },
    6: {
      category: 'driver',
      action: 'load',
      fields: { ImageLoaded: convert('path', 'driver'), Hashes: convert('hashes', 'driver'), SignatureStatus: convert('signatureValid', 'driver.signed'), Signature: 'driver.signature' },
    },
    7: {
      category: 'library',
      action: 'load',
      fields: {
        ImageLoaded: convert('path', 'dll'),
        ...versionInfo('dll'),
        Hashes: convert('hashes', 'dll'),
        Signed: 'dll.code_signature.exists',
        SignatureStatus: convert('signatureValid', 'dll.code_signature.valid'),
        Signature: 'dll.code_signature.subject_name',
      },
    },
    8: {
      category: 'injection',
      action: 'remote_thread',
      fields: {
        SourceProcessGuid: 'process.entity_id',
        SourceProcessId: 'process.pid',
        SourceImage: convert('image', 'process'),
        TargetProcessGuid: 'target.process.entity_id',
        TargetProcessId: 'target.process.pid',
        TargetImage: convert('image', 'target.process'),
        StartAddress: 'injection.start_address',
        StartModule: 'injection.start_module',
        StartFunction: 'injection.start_function',
        SourceUser: convert('user', 'user'),
      },
    },
    9: log,
    10: {
      category: 'injection',
      action: 'process_access',
      fields: {
        SourceProcessGUID: 'process.entity_id',
        SourceProcessId: 'process.pid',
        SourceImage: convert('image', 'process'),
        TargetProcessGUID: 'target.process.entity_id',
        TargetProcessId: 'target.process.pid',
        TargetImage: convert('image', 'target.process'),
        GrantedAccess: 'injection.granted_access',
        CallTrace: 'injection.call_trace',
        SourceUser: convert('user', 'user'),
      },
    },
    11: { category: 'file', action: 'create', fields: { TargetFilename: convert('path', 'file'), CreationUtcTime: 'file.created' } },
    12: {
      category: 'registry',
      action: { source: 'EventType', values: { createkey: 'key_create', deletekey: 'key_delete', deletevalue: 'value_delete' } },
      fields: { TargetObject: convert('registryPath', 'registry') },
    },
    13: { category: 'registry', action: 'value_set', fields: { TargetObject: convert('registryPath', 'registry'), Details: convert('registryDetails', 'registry.data') } },
    14: { category: 'registry', action: 'rename', fields: { NewName: convert('registryPath', 'registry'), TargetObject: 'registry.previous_path' } },
    15: { category: 'file', action: 'stream_create', fields: { TargetFilename: convert('path', 'file'), CreationUtcTime: 'file.created', Hash: convert('hashes', 'file') } },
    16: log,
    17: { category: 'pipe', action: 'created', fields: { PipeName: 'pipe.name' } },
    18: { category: 'pipe', action: 'connected', fields: { PipeName: 'pipe.name' } },
    19: { category: 'autostart', action: wmiOperation, fields: { Name: convert('unquote', 'autostart.name'), Query: convert('unquote', 'change.after') }, constants: { 'autostart.location': 'wmi' } },
    20: { category: 'autostart', action: wmiOperation, fields: { Name: convert('unquote', 'autostart.name'), Destination: convert('unquote', 'autostart.command') }, constants: { 'autostart.location': 'wmi' } },
    21: { category: 'autostart', action: wmiOperation, fields: { Consumer: convert('unquote', 'autostart.name'), Filter: convert('unquote', 'change.after') }, constants: { 'autostart.location': 'wmi' } },
    22: {
      category: 'dns',
      action: 'query',
      fields: { QueryName: 'dns.question.name', QueryStatus: convert('dnsStatus', 'dns.response_code'), QueryResults: convert('dnsAnswers', 'dns') },
      constants: { 'network.protocol': 'dns' },
    },
    23: { category: 'file', action: 'delete', fields: { TargetFilename: convert('path', 'file'), Hashes: convert('hashes', 'file'), IsExecutable: 'file.executable' } },
    24: log,
    25: { category: 'injection', action: 'process_tampering' },
    26: { category: 'file', action: 'delete', fields: { TargetFilename: convert('path', 'file'), Hashes: convert('hashes', 'file'), IsExecutable: 'file.executable' } },
    /** Sysmon blocked the write (27) or the shredding (28): the attempt, with outcome failure. */
    27: { category: 'file', action: 'executable_drop', fields: { TargetFilename: convert('path', 'file'), Hashes: convert('hashes', 'file') }, constants: { 'event.outcome': 'failure' } },
    28: { category: 'file', action: 'delete', fields: { TargetFilename: convert('path', 'file'), Hashes: convert('hashes', 'file'), IsExecutable: 'file.executable' }, constants: { 'event.outcome': 'failure' } },
    29: { category: 'file', action: 'executable_drop', fields: { TargetFilename: convert('path', 'file'), Hashes: convert('hashes', 'file') } },
    255: log,
  },
};

/** Target account of account-management and logon events. */
const targetUser = { TargetUserName: 'user.target.name', TargetUserSid: 'user.target.id', TargetSid: 'user.target.id' } as const;
/** Group of group-management events (the group is the event's "target"). */
const targetGroup = { TargetUserName: 'group.target.name', TargetSid: 'group.target.id' } as const;
const groupMember = { ...targetGroup, MemberName: 'user.target.name', MemberSid: 'user.target.id' } as const;
const logonSource = { IpAddress: convert('ip', 'source.ip'), IpPort: convert('port', 'source.port'), WorkstationName: 'source.domain' } as const;
const logon = {
  ...targetUser,
  ...logonSource,
  TargetLogonId: 'logon.id',
  LogonType: convert('logonType', 'logon.type'),
  LogonProcessName: 'logon.service',
  AuthenticationPackageName: convert('authenticationPackage', 'logon.method'),
} as const;
const scheduledTask = { TaskName: 'autostart.name' } as const;
const iam = (action: string, fields: Readonly<Record<string, FieldRule>> = targetUser): EventRule => ({ category: 'iam', action, fields });

const security: ChannelTable = {
  channel: 'Security',
  eventProvider: 'evtx',
  common: {
    SubjectUserSid: 'user.id',
    SubjectUserName: 'user.name',
    SubjectDomainName: 'user.domain',
    SubjectLogonId: 'process.logon_id',
    ProcessId: 'process.pid',
    ProcessName: convert('image', 'process'),
  },
  events: {
    1102: { category: 'log', action: 'audit_log_cleared' },
    4624: { category: 'authentication', action: 'logon', fields: logon, constants: { 'event.outcome': 'success' } },
    4625: {
      category: 'authentication',
      action: 'logon_failed',
      fields: { ...logon, SubStatus: convert('ntStatusReason', 'logon.failure_reason'), Status: convert('ntStatusReason', 'logon.failure_reason') },
      constants: { 'event.outcome': 'failure' },
    },
    4634: { category: 'authentication', action: 'logoff', fields: { ...targetUser, TargetLogonId: 'logon.id', LogonType: convert('logonType', 'logon.type') } },
    4647: { category: 'authentication', action: 'logoff', fields: { ...targetUser, TargetLogonId: 'logon.id' } },
    4648: {
      category: 'authentication',
      action: 'explicit_credentials',
      fields: { TargetUserName: 'user.target.name', TargetServerName: 'destination.domain', IpAddress: convert('ip', 'source.ip'), IpPort: convert('port', 'source.port') },
    },
    4672: { category: 'authentication', action: 'special_privileges', fields: { SubjectLogonId: ['logon.id', 'process.logon_id'] } },
    4688: {
      category: 'process',
      action: 'start',
      fields: {
        NewProcessId: 'process.pid',
        NewProcessName: convert('image', 'process'),
        CommandLine: convert('commandLine', 'process'),
        ProcessId: 'process.parent.pid',
        ParentProcessName: convert('image', 'process.parent'),
        MandatoryLabel: convert('integrityLevel', 'process.integrity_level'),
      },
    },
    4689: { category: 'process', action: 'exit', fields: { Status: 'process.exit_code' } },
    4697: {
      category: 'service',
      action: 'created',
      fields: {
        ServiceName: 'service.name',
        ServiceFileName: 'service.executable',
        ServiceType: convert('serviceType', 'service.type'),
        ServiceStartType: convert('serviceStartType', 'service.start_type'),
        ServiceAccount: 'service.account',
      },
    },
    4698: { category: 'autostart', action: 'created', fields: { ...scheduledTask, TaskContent: [convert('taskCommand', 'autostart.command'), 'change.after'] }, constants: { 'autostart.location': 'scheduled_task' } },
    4699: { category: 'autostart', action: 'deleted', fields: { ...scheduledTask, TaskContent: [convert('taskCommand', 'autostart.command'), 'change.before'] }, constants: { 'autostart.location': 'scheduled_task' } },
    4700: { category: 'autostart', action: 'modified', fields: scheduledTask, constants: { 'autostart.location': 'scheduled_task', 'change.after': 'enabled', 'change.fields': ['enabled'] } },
    4701: { category: 'autostart', action: 'modified', fields: scheduledTask, constants: { 'autostart.location': 'scheduled_task', 'change.after': 'disabled', 'change.fields': ['enabled'] } },
    4702: { category: 'autostart', action: 'modified', fields: { ...scheduledTask, TaskContentNew: [convert('taskCommand', 'autostart.command'), 'change.after'] }, constants: { 'autostart.location': 'scheduled_task' } },
    4704: iam('user_modified', { TargetSid: 'user.target.id', PrivilegeList: 'change.after' }),
    4705: iam('user_modified', { TargetSid: 'user.target.id', PrivilegeList: 'change.before' }),
    4719: { category: 'log', action: 'audit_policy_change' },
    4720: iam('user_created'),
    4722: iam('user_enabled'),
    4723: iam('password_changed'),
    4724: iam('password_changed'),
    4725: iam('user_disabled'),
    4726: iam('user_deleted'),
    4727: iam('group_created', targetGroup),
    4728: iam('group_member_added', groupMember),
    4729: iam('group_member_removed', groupMember),
    4730: iam('group_deleted', targetGroup),
    4731: iam('group_created', targetGroup),
    4732: iam('group_member_added', groupMember),
    4733: iam('group_member_removed', groupMember),
    4734: iam('group_deleted', targetGroup),
    4738: iam('user_modified'),
    4740: { category: 'authentication', action: 'account_locked', fields: { TargetUserName: 'user.target.name', TargetSid: 'user.target.id' } },
    /** Computer accounts are accounts: created, changed and deleted like users (TargetUserName ends in `$`). */
    4741: iam('user_created'),
    4742: iam('user_modified'),
    4743: iam('user_deleted'),
    4754: iam('group_created', targetGroup),
    4756: iam('group_member_added', groupMember),
    4757: iam('group_member_removed', groupMember),
    4758: iam('group_deleted', targetGroup),
    /** SID history added to an account (a privilege-escalation path); 4766 (the attempt failed) stays a log record. */
    4765: iam('user_modified', { ...targetUser, SidList: 'change.after' }),
    4767: iam('user_enabled'),
    4768: {
      category: 'authentication',
      action: 'kerberos_ticket',
      fields: { ...targetUser, ...logonSource, Status: [convert('statusOutcome', 'event.outcome'), convert('kerberosReason', 'logon.failure_reason')] },
      constants: { 'logon.method': 'kerberos' },
    },
    4769: {
      category: 'authentication',
      action: 'kerberos_ticket',
      fields: { ...targetUser, ...logonSource, Status: [convert('statusOutcome', 'event.outcome'), convert('kerberosReason', 'logon.failure_reason')] },
      constants: { 'logon.method': 'kerberos' },
    },
    /** Kerberos pre-authentication failed: the password-guessing and AS-REP-roasting signal of domain controllers. */
    4771: {
      category: 'authentication',
      action: 'kerberos_ticket',
      fields: { ...targetUser, ...logonSource, Status: convert('kerberosReason', 'logon.failure_reason') },
      constants: { 'logon.method': 'kerberos', 'event.outcome': 'failure' },
    },
    4776: {
      category: 'authentication',
      action: 'credential_validation',
      fields: {
        TargetUserName: 'user.target.name',
        Workstation: 'source.domain',
        PackageName: convert('authenticationPackage', 'logon.method'),
        Status: [convert('statusOutcome', 'event.outcome'), convert('ntStatusReason', 'logon.failure_reason')],
      },
    },
    4781: iam('user_modified', { NewTargetUserName: 'user.target.name', TargetSid: 'user.target.id', OldTargetUserName: 'change.before' }),
    /** Directory Services Restore Mode administrator password set: a domain controller backdoor. */
    4794: iam('password_changed', {}),
    /** Network share accessed / share object checked: no category fits (file access on a share is not routed for Security rules); kept as log records with the subject. */
    5140: log,
    5145: log,
  },
};

const serviceControlManager = 'Service Control Manager';

const system: ChannelTable = {
  channel: 'System',
  eventProvider: 'evtx',
  common: {},
  events: {
    6: { category: 'driver', action: 'load', provider: 'Microsoft-Windows-FilterManager', fields: { DeviceName: 'driver.name' } },
    104: { category: 'log', action: 'audit_log_cleared', provider: 'Microsoft-Windows-Eventlog', fields: { SubjectUserName: 'user.name', SubjectDomainName: 'user.domain' } },
    /** The service terminated unexpectedly. */
    7034: { category: 'service', action: 'stopped', provider: serviceControlManager, fields: { param1: 'service.name' }, constants: { 'service.state': 'stopped' } },
    7036: {
      category: 'service',
      action: { source: 'param2', values: { running: 'started', stopped: 'stopped' } },
      provider: serviceControlManager,
      fields: { param1: 'service.name', param2: convert('serviceState', 'service.state') },
    },
    7040: {
      category: 'service',
      action: 'modified',
      provider: serviceControlManager,
      fields: { param1: 'service.name', param2: 'change.before', param3: ['change.after', convert('serviceStartType', 'service.start_type')] },
      constants: { 'change.fields': ['start_type'] },
      actor: ['userSid'],
    },
    7045: {
      category: 'service',
      action: 'created',
      provider: serviceControlManager,
      fields: {
        ServiceName: 'service.name',
        ImagePath: 'service.executable',
        ServiceType: convert('serviceType', 'service.type'),
        StartType: convert('serviceStartType', 'service.start_type'),
        AccountName: 'service.account',
      },
      actor: ['userSid'],
    },
  },
};

const powershellLanguage = { 'script.language': 'powershell' } as const;

const powershellOperational: ChannelTable = {
  channel: 'Microsoft-Windows-PowerShell/Operational',
  eventProvider: 'evtx',
  common: {},
  actor: ['processId', 'userSid'],
  events: {
    4103: { category: 'script', action: 'module_log', fields: { ContextInfo: convert('powershellContext', 'process') }, constants: powershellLanguage },
    4104: {
      category: 'script',
      action: 'script_block',
      fields: {
        ScriptBlockText: 'script.text',
        ScriptBlockId: 'script.block_id',
        Path: 'script.path',
        MessageNumber: 'script.part',
        MessageTotal: 'script.parts',
      },
      constants: powershellLanguage,
    },
  },
};

/** The classic log writes unnamed Data elements, kept as `Data[1]`, `Data[2]`, ...; the context lines are in the second or third. */
const windowsPowershell: ChannelTable = {
  channel: 'Windows PowerShell',
  eventProvider: 'evtx',
  common: { 'Data[2]': convert('powershellContext', 'process'), 'Data[3]': convert('powershellContext', 'process') },
  events: {
    800: { category: 'script', action: 'module_log', constants: powershellLanguage },
  },
};

/** PowerShell 7 (pwsh) logs the same events to its own channel. */
const powershellCore: ChannelTable = { ...powershellOperational, channel: 'PowerShellCore/Operational' };

/**
 * Microsoft Defender Antivirus. The Sigma mapping routes its events (service windefend, category antivirus) as log
 * records, so they stay log/windows_event; the detection's threat, path, action and process are lifted into message,
 * process.* and user.*, and every EventData pair stays in winlog.event_data for rules.
 */
const defender: ChannelTable = {
  channel: 'Microsoft-Windows-Windows Defender/Operational',
  eventProvider: 'evtx',
  common: { 'Threat Name': convert('defenderDetection', 'message'), 'Severity Name': 'log.level', 'Detection User': convert('user', 'user'), 'Process Name': convert('knownImage', 'process') },
  events: {
    /** Malware or unwanted software detected (1006, 1116), action taken (1007, 1117) or failed (1008, 1118, 1119), behaviour blocked (1015). */
    1006: log,
    1007: log,
    1008: log,
    1015: log,
    1116: log,
    1117: log,
    1118: log,
    1119: log,
    /** Attack surface reduction rule blocked (1121) or audited (1122); controlled folder access (1123, 1124). */
    1121: log,
    1122: log,
    1123: log,
    1124: log,
    /** Real-time protection disabled (5001), configuration changed (5007), scanning disabled (5010, 5012), tamper protection blocked a change (5013). */
    5001: log,
    5007: log,
    5010: log,
    5012: log,
    5013: log,
  },
};

/** Every channel with a table; records of other channels become log/windows_event. */
export const windowsChannelTables: readonly ChannelTable[] = [sysmon, security, system, powershellOperational, powershellCore, windowsPowershell, defender];
