// Value converters named by the Windows event tables: each turns one rendered EventData value into Vigil fields.
// Never throws and never sets a field directly: every value goes through `put`, which checks it against the schema.

import { isIP } from 'node:net';
import { splitWindowsCommandLine } from './command-line.js';
import { parseInteger } from './coerce.js';

export type RawValue = string | number | boolean | null;

export interface ConversionContext {
  /** The record's EventData / UserData pairs, for converters that read a sibling value. */
  readonly data: Readonly<Record<string, RawValue>>;
  /** Sets a Vigil field unless it is already set, the category lacks it, or the value fails the field's schema. */
  put(field: string, value: unknown): void;
}

export interface Converter {
  /** The Vigil fields this converter may set for `target`; the first is set for every usable value. */
  fields(target: string): string[];
  /** `value` is never null, empty or `-` (those count as absent and are never converted). */
  apply(value: string | number | boolean, target: string, context: ConversionContext): void;
}

function sibling(data: Readonly<Record<string, RawValue>>, name: string): string | undefined {
  if (!Object.hasOwn(data, name)) return undefined;
  const value = data[name];
  return value === null || value === undefined ? undefined : String(value);
}

/** File name after the last `\` or `/`. */
export function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return cut < 0 ? path : path.slice(cut + 1);
}

function directoryName(path: string): string | undefined {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return cut <= 0 ? undefined : path.slice(0, cut);
}

function extension(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? undefined : name.slice(dot + 1);
}

function decodeXmlText(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (entity: string, name: string) => {
    switch (name) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const code = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    return code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : entity;
  });
}

const LOGON_TYPES: Readonly<Record<string, string>> = {
  '0': 'system',
  '2': 'interactive',
  '3': 'network',
  '4': 'batch',
  '5': 'service',
  '7': 'unlock',
  '8': 'network_cleartext',
  '9': 'new_credentials',
  '10': 'remote_interactive',
  '11': 'cached_interactive',
  '12': 'cached_remote_interactive',
  '13': 'cached_unlock',
};

/** Mandatory label SIDs (4688 MandatoryLabel) to the integrity level names Sysmon writes. */
const INTEGRITY_LABELS: Readonly<Record<string, string>> = {
  'S-1-16-0': 'Untrusted',
  'S-1-16-4096': 'Low',
  'S-1-16-8192': 'Medium',
  'S-1-16-8448': 'Medium',
  'S-1-16-12288': 'High',
  'S-1-16-16384': 'System',
  'S-1-16-20480': 'Protected',
};

/** NTSTATUS codes of failed logons and NTLM validations (4625, 4776), lower-case hex. */
const NT_STATUS_REASONS: Readonly<Record<string, string>> = {
  '0xc0000064': 'user name does not exist',
  '0xc000006a': 'wrong password',
  '0xc000006d': 'bad user name or authentication information',
  '0xc000006e': 'account restriction',
  '0xc000006f': 'logon outside authorized hours',
  '0xc0000070': 'workstation restriction',
  '0xc0000071': 'password expired',
  '0xc0000072': 'account disabled',
  '0xc0000133': 'clock skew between client and domain controller',
  '0xc000015b': 'logon type not granted',
  '0xc000018c': 'trust relationship failed',
  '0xc0000192': 'netlogon service not started',
  '0xc0000193': 'account expired',
  '0xc0000224': 'password must be changed',
  '0xc0000234': 'account locked out',
  '0xc0000413': 'authentication firewall',
};

/** Kerberos error codes of 4768 / 4769 Status, lower-case hex. */
const KERBEROS_REASONS: Readonly<Record<string, string>> = {
  '0x6': 'client not found in Kerberos database',
  '0x7': 'server not found in Kerberos database',
  '0xc': 'policy rejects the request',
  '0x12': 'client credentials revoked (disabled, expired or locked out)',
  '0x17': 'password expired',
  '0x18': 'pre-authentication failed (wrong password)',
  '0x20': 'ticket expired',
  '0x25': 'clock skew too great',
};

/** DNS status of Sysmon 22 QueryStatus (Win32 DNS error codes) to DNS response code names. */
const DNS_STATUS: Readonly<Record<string, string>> = {
  '0': 'NOERROR',
  '9001': 'FORMERR',
  '9002': 'SERVFAIL',
  '9003': 'NXDOMAIN',
  '9004': 'NOTIMP',
  '9005': 'REFUSED',
};

const START_TYPES_BY_NUMBER = ['boot', 'system', 'auto', 'demand', 'disabled'] as const;

function normalizedStatus(value: string | number | boolean): string | undefined {
  const number = parseInteger(value);
  return number === undefined || number < 0 ? undefined : `0x${number.toString(16)}`;
}

function registryHive(first: string): string | undefined {
  switch (first.toUpperCase()) {
    case 'HKLM':
    case 'HKEY_LOCAL_MACHINE':
    case 'MACHINE':
      return 'HKLM';
    case 'HKU':
    case 'HKEY_USERS':
    case 'USER':
      return 'HKU';
    case 'HKCU':
    case 'HKEY_CURRENT_USER':
      return 'HKCU';
    case 'HKCR':
    case 'HKEY_CLASSES_ROOT':
      return 'HKCR';
    case 'HKCC':
    case 'HKEY_CURRENT_CONFIG':
      return 'HKCC';
  }
  return undefined;
}

/** Key/value pairs of the `Name = value` (4103 ContextInfo) or `Name=value` (400, 800 details) lines PowerShell writes. */
function powershellContext(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const cut = line.indexOf('=');
    if (cut <= 0) continue;
    const key = line.slice(0, cut).replace(/\s+/g, '').toLowerCase();
    if (!pairs.has(key)) pairs.set(key, line.slice(cut + 1).trim());
  }
  return pairs;
}

function putUser(text: string, prefix: string, context: ConversionContext): void {
  const cut = text.indexOf('\\');
  if (cut < 0) {
    context.put(`${prefix}.name`, text);
    return;
  }
  const domain = text.slice(0, cut);
  const name = text.slice(cut + 1);
  if (name) context.put(`${prefix}.name`, name);
  if (domain) context.put(`${prefix}.domain`, domain);
}

function putCommandLine(text: string, prefix: string, context: ConversionContext): void {
  context.put(`${prefix}.command_line`, text);
  const args = splitWindowsCommandLine(text);
  if (args.length === 0) return;
  context.put(`${prefix}.args`, args);
  context.put(`${prefix}.args_count`, args.length);
}

function single(apply: (text: string) => unknown): Converter {
  return {
    fields: (target) => [target],
    apply: (value, target, context) => context.put(target, apply(String(value))),
  };
}

export const converters = {
  /** `target` is a process prefix (`process`, `process.parent`, `target.process`): executable path and its base name. */
  image: {
    fields: (p) => [`${p}.executable`, `${p}.name`],
    apply(value, p, context) {
      const path = String(value);
      context.put(`${p}.executable`, path);
      context.put(`${p}.name`, baseName(path));
    },
  },
  /** As `image`, but Defender's `Unknown` (no process known) sets nothing. */
  knownImage: {
    fields: (p) => [`${p}.executable`, `${p}.name`],
    apply(value, p, context) {
      const path = String(value).trim();
      if (path === '' || path.toLowerCase() === 'unknown') return;
      context.put(`${p}.executable`, path);
      context.put(`${p}.name`, baseName(path));
    },
  },
  /** `target` is a process prefix: the command line and its argument vector (Windows quoting rules). */
  commandLine: {
    fields: (p) => [`${p}.command_line`, `${p}.args`, `${p}.args_count`],
    apply: (value, p, context) => putCommandLine(String(value), p, context),
  },
  /** `target` is a prefix with `.hash.*` and `.pe.imphash`: Sysmon `MD5=..,SHA256=..,IMPHASH=..`. */
  hashes: {
    fields: (p) => [`${p}.hash.md5`, `${p}.hash.sha1`, `${p}.hash.sha256`, `${p}.pe.imphash`],
    apply(value, p, context) {
      for (const part of String(value).split(',')) {
        const cut = part.indexOf('=');
        if (cut <= 0) continue;
        const algorithm = part.slice(0, cut).trim().toUpperCase();
        const digest = part.slice(cut + 1).trim();
        if (algorithm === 'MD5') context.put(`${p}.hash.md5`, digest);
        else if (algorithm === 'SHA1') context.put(`${p}.hash.sha1`, digest);
        else if (algorithm === 'SHA256') context.put(`${p}.hash.sha256`, digest);
        else if (algorithm === 'IMPHASH') context.put(`${p}.pe.imphash`, digest);
      }
    },
  },
  /** `target` is a user prefix: `DOMAIN\name` to `.domain` and `.name` (a prefix without `.domain` keeps the name only). */
  user: {
    fields: (p) => [`${p}.name`, `${p}.domain`],
    apply: (value, p, context) => putUser(String(value), p, context),
  },
  /** `target` is a file-like prefix (`file`, `dll`, `driver`): `.path`, `.name`, `.directory`, `.extension`. */
  path: {
    fields: (p) => [`${p}.path`, `${p}.name`, `${p}.directory`, `${p}.extension`],
    apply(value, p, context) {
      const path = String(value);
      const name = baseName(path);
      context.put(`${p}.path`, path);
      if (name) context.put(`${p}.name`, name);
      context.put(`${p}.directory`, directoryName(path));
      context.put(`${p}.extension`, extension(name));
    },
  },
  /**
   * `target` is `registry`: the key or value path (`HKLM\...`, `\REGISTRY\MACHINE\...`) to path, hive, key and value.
   * The record's EventType says whether it names a value (SetValue, DeleteValue) or a key (CreateKey, DeleteKey, RenameKey).
   */
  registryPath: {
    fields: (p) => [`${p}.path`, `${p}.hive`, `${p}.key`, `${p}.value`],
    apply(value, p, context) {
      const path = String(value);
      context.put(`${p}.path`, path);
      const parts = path.replace(/^\\REGISTRY\\/i, '').split('\\');
      const hive = registryHive(parts[0] ?? '');
      if (!hive) return;
      context.put(`${p}.hive`, hive);
      const rest = parts.slice(1);
      const isValue = /value/i.test(sibling(context.data, 'EventType') ?? '');
      if (isValue && rest.length > 0) {
        context.put(`${p}.value`, rest[rest.length - 1]);
        rest.pop();
      }
      if (rest.length > 0) context.put(`${p}.key`, rest.join('\\'));
    },
  },
  /** `target` is `registry.data`: Sysmon 13 Details (`DWORD (0x00000001)`, `QWORD (0x...-0x...)`, `Binary Data`, text). */
  registryDetails: {
    fields: (p) => [`${p}.strings`, `${p}.type`],
    apply(value, p, context) {
      const text = String(value);
      const dword = /^DWORD \((0x[0-9a-fA-F]{1,8})\)$/.exec(text);
      const qword = /^QWORD \((0x[0-9a-fA-F]{1,8})-(0x[0-9a-fA-F]{1,8})\)$/.exec(text);
      if (dword) {
        context.put(`${p}.strings`, [BigInt(dword[1] ?? '0').toString(10)]);
        context.put(`${p}.type`, 'REG_DWORD');
      } else if (qword) {
        const combined = (BigInt(qword[1] ?? '0') << 32n) + BigInt(qword[2] ?? '0');
        context.put(`${p}.strings`, [combined.toString(10)]);
        context.put(`${p}.type`, 'REG_QWORD');
      } else if (text === 'Binary Data') {
        context.put(`${p}.type`, 'REG_BINARY');
      } else {
        context.put(`${p}.strings`, [text === '(Empty)' ? '' : text]);
      }
    },
  },
  /** `target` is an ip field; also sets network.type from the address family. */
  ip: {
    fields: (target) => [target, 'network.type'],
    apply(value, target, context) {
      const text = String(value).trim();
      const family = isIP(text);
      if (family === 0) return;
      context.put(target, text);
      context.put('network.type', family === 4 ? 'ipv4' : 'ipv6');
    },
  },
  /** A TCP/UDP port 0-65535. */
  port: single((text) => {
    const port = parseInteger(text);
    return port !== undefined && port >= 0 && port <= 65535 ? port : undefined;
  }),
  /** Sysmon 3 Initiated: true is egress, false ingress. */
  direction: single((text) => (text.toLowerCase() === 'true' ? 'egress' : text.toLowerCase() === 'false' ? 'ingress' : undefined)),
  /** Sysmon IntegrityLevel text, or a 4688 MandatoryLabel SID, to Low / Medium / High / System. */
  integrityLevel: single((text) => (text.toUpperCase().startsWith('S-1-16-') ? INTEGRITY_LABELS[text.toUpperCase()] : text)),
  /** Security LogonType number to interactive, network, remote_interactive, ... */
  logonType: single((text) => LOGON_TYPES[text.trim()] ?? text),
  /** AuthenticationPackageName / PackageName to ntlm, kerberos, negotiate, ... */
  authenticationPackage: single((text) => (/ntlm|MICROSOFT_AUTHENTICATION_PACKAGE_V1_0/i.test(text) ? 'ntlm' : text.toLowerCase())),
  /** NTSTATUS (4625 Status/SubStatus, 4776 Status) to a reason; success (0x0) sets nothing. */
  ntStatusReason: single((text) => {
    const status = normalizedStatus(text);
    if (status === undefined || status === '0x0') return undefined;
    return NT_STATUS_REASONS[status] ?? status;
  }),
  /** Kerberos status (4768, 4769) to a reason; success (0x0) sets nothing. */
  kerberosReason: single((text) => {
    const status = normalizedStatus(text);
    if (status === undefined || status === '0x0') return undefined;
    return KERBEROS_REASONS[status] ?? status;
  }),
  /** A status code to event.outcome: 0x0 success, anything else failure. */
  statusOutcome: single((text) => {
    const status = normalizedStatus(text);
    return status === undefined ? undefined : status === '0x0' ? 'success' : 'failure';
  }),
  /** 7045 StartType text or 4697 ServiceStartType number to boot / system / auto / demand / disabled. */
  serviceStartType: single((text) => {
    const number = parseInteger(text);
    if (number !== undefined) return START_TYPES_BY_NUMBER[number];
    const lower = text.toLowerCase();
    return ['auto', 'demand', 'disabled', 'boot', 'system'].find((name) => lower.includes(name));
  }),
  /** 7045 ServiceType text or 4697 ServiceType mask to windows_service / kernel_driver / file_system_driver. */
  serviceType: single((text) => {
    const mask = parseInteger(text);
    if (mask !== undefined) return mask & 0x1 ? 'kernel_driver' : mask & 0x2 ? 'file_system_driver' : mask & 0x30 ? 'windows_service' : undefined;
    const lower = text.toLowerCase();
    if (lower.includes('kernel')) return 'kernel_driver';
    if (lower.includes('file system')) return 'file_system_driver';
    if (lower.includes('service') || lower.includes('process')) return 'windows_service';
    return undefined;
  }),
  /** 7036 state text to running / stopped (other states lower-cased as written). */
  serviceState: single((text) => text.trim().toLowerCase()),
  /** Scheduled task XML (4698 TaskContent) to what its first Exec action runs: Command and Arguments. */
  taskCommand: single((text) => {
    const command = /<Command>([\s\S]*?)<\/Command>/.exec(text)?.[1];
    if (command === undefined) return undefined;
    const args = /<Exec>[\s\S]*?<Arguments>([\s\S]*?)<\/Arguments>/.exec(text)?.[1];
    const decoded = decodeXmlText(command.trim());
    return args === undefined ? decoded : `${decoded} ${decodeXmlText(args.trim())}`;
  }),
  /** `target` is `dns`: Sysmon 22 QueryResults (`type:  5 name;::ffff:1.2.3.4;`) to answers and resolved addresses. */
  dnsAnswers: {
    fields: (p) => [`${p}.answers`, `${p}.resolved_ip`],
    apply(value, p, context) {
      const answers: string[] = [];
      const addresses: string[] = [];
      for (const part of String(value).split(';')) {
        const answer = part.replace(/^\s*type:\s*\d+\s*/i, '').trim();
        if (!answer) continue;
        answers.push(answer);
        const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(answer)?.[1];
        const address = mapped ?? answer;
        if (isIP(address) !== 0) addresses.push(address);
      }
      if (answers.length) context.put(`${p}.answers`, answers);
      if (addresses.length) context.put(`${p}.resolved_ip`, addresses);
    },
  },
  /** Sysmon 22 QueryStatus (Win32 DNS status) to NOERROR, NXDOMAIN, ...; other codes as written. */
  dnsStatus: single((text) => DNS_STATUS[text.trim()] ?? text.trim()),
  /**
   * `target` is a text field (`message`): a Defender detection's Threat Name with its severity, category, path and the
   * action taken, as one line an analyst reads (`Defender: Tool:Win32/EICAR_Test_File (Severe, Tool) in C:\x.exe; Quarantine`).
   */
  defenderDetection: {
    fields: (target) => [target],
    apply(value, target, context) {
      const details = ['Severity Name', 'Category Name'].map((name) => sibling(context.data, name)?.trim()).filter((text): text is string => Boolean(text) && text !== '-');
      const path = sibling(context.data, 'Path')?.trim();
      const action = sibling(context.data, 'Action Name')?.trim();
      let text = `Defender: ${String(value)}`;
      if (details.length) text += ` (${details.join(', ')})`;
      if (path && path !== '-') text += ` in ${path}`;
      if (action && action !== '-' && action.toLowerCase() !== 'not applicable') text += `; ${action}`;
      context.put(target, text);
    },
  },
  /** Sysmon WMI values (19-21) are written as ` "text"`: the text without the surrounding blanks and one pair of quotes. */
  unquote: single((text) => {
    const trimmed = text.trim();
    const inner = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
    return inner === '' ? undefined : inner;
  }),
  /** Sysmon SignatureStatus: `Valid` is true, anything else false. */
  signatureValid: single((text) => text.trim().toLowerCase() === 'valid'),
  /**
   * `target` is ignored (use `process`): PowerShell context lines (4103 ContextInfo, 400/800 details) to the host
   * command line, the user and the script path.
   */
  powershellContext: {
    fields: () => ['process.command_line', 'process.args', 'process.args_count', 'user.name', 'user.domain', 'script.path'],
    apply(value, _target, context) {
      const pairs = powershellContext(String(value));
      const host = pairs.get('hostapplication');
      if (host) putCommandLine(host, 'process', context);
      const user = pairs.get('user') || pairs.get('userid');
      if (user) putUser(user, 'user', context);
      const script = pairs.get('scriptname');
      if (script) context.put('script.path', script);
    },
  },
} satisfies Record<string, Converter>;

export type ConverterName = keyof typeof converters;
