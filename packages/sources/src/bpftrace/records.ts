// Decodes the output of `bpftrace -f json` running the program of script.ts: one JSON message per line, printf lines
// holding one kernel fact each. Validates every field; a bad line is a VigilError with the column of the problem.

import { isIP } from 'node:net';
import { VigilError } from '@vigil/common';

/** The acting task as the kernel saw it when the probe fired. */
export interface TaskFields {
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  gid: number;
  /** Start time of the thread group leader in clock ticks since boot (as /proc/<pid>/stat field 22). */
  startTicks: string;
  parentStartTicks: string;
  /** Task name (at most 15 bytes, may hold spaces). */
  comm: string;
}

export interface SocketFields {
  family: 4 | 6;
  localPort: number;
  remotePort: number;
  localAddress: string;
  remoteAddress: string;
}

export type NetRecord =
  | { kind: 'tcp_state'; task: TaskFields; socket: SocketFields; sk: string; oldState: number; newState: number }
  | { kind: 'accept' | 'udp_connect' | 'udp_bind' | 'udp_send'; task: TaskFields; socket: SocketFields }
  | { kind: 'dns_query'; task: TaskFields; socket: SocketFields; length: number; explicitAddress: boolean }
  | { kind: 'dns_answer'; task: TaskFields; socket: SocketFields; length: number }
  | { kind: 'chunk'; tid: number; offset: number; bytes: Buffer }
  /** A process exec'd: not an event of its own, its start time feeds the process source (internal/exec-starts.ts). */
  | { kind: 'exec'; task: TaskFields };

export type OutputMessage =
  | { type: 'printf'; data: string }
  | { type: 'attached'; probes: number }
  | { type: 'lost'; events: number }
  /** Other bpftrace messages (map prints at exit, time stamps): nothing to do. */
  | { type: 'other'; name: string };

/** TCP states of the kernel's enum (include/net/tcp_states.h) that the program reports. */
export const TCP = { ESTABLISHED: 1, SYN_SENT: 2, CLOSE: 7, LISTEN: 10 } as const;

const MAX_LINE = 4096;

const bad = (message: string, column: number) => new VigilError('invalid_input', message, { location: { column } });

/** Parses one line of bpftrace's JSON output. Throws VigilError(invalid_input) for anything that is not a message. */
export function parseOutputLine(line: string): OutputMessage {
  if (line.length > MAX_LINE) throw bad(`bpftrace line of ${line.length} characters exceeds ${MAX_LINE}`, MAX_LINE);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message);
    throw bad(`bpftrace line is not JSON: ${(error as Error).message}`, at ? Number(at[1]) + 1 : 1);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('bpftrace line is not a JSON object', 1);
  const message = value as { type?: unknown; data?: unknown };
  if (typeof message.type !== 'string') throw bad('bpftrace message has no "type"', 1);
  const data = message.data;
  switch (message.type) {
    case 'printf':
      if (typeof data !== 'string') throw bad('printf message without string "data"', 1);
      return { type: 'printf', data };
    case 'attached_probes': {
      const probes = (data as { probes?: unknown } | null)?.probes;
      if (typeof probes !== 'number' || !Number.isSafeInteger(probes) || probes < 0) throw bad('attached_probes message without a probe count', 1);
      return { type: 'attached', probes };
    }
    case 'lost_events': {
      const events = (data as { events?: unknown } | null)?.events;
      if (typeof events !== 'number' || !Number.isSafeInteger(events) || events < 0) throw bad('lost_events message without an event count', 1);
      return { type: 'lost', events };
    }
    default:
      return { type: 'other', name: message.type.slice(0, 64) };
  }
}

/** Splits `text` on single spaces into `count` fields plus the rest (which may hold spaces); column of each field. */
function split(text: string, count: number): { fields: string[]; columns: number[]; rest: string; restColumn: number } | undefined {
  const fields: string[] = [];
  const columns: number[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const space = text.indexOf(' ', at);
    if (space < 0) return undefined;
    fields.push(text.slice(at, space));
    columns.push(at + 1);
    at = space + 1;
  }
  return { fields, columns, rest: text.slice(at), restColumn: at + 1 };
}

class Fields {
  private index = 0;
  constructor(
    private readonly fields: string[],
    private readonly columns: number[],
  ) {}

  private next(): { text: string; column: number } {
    const i = this.index++;
    return { text: this.fields[i]!, column: this.columns[i]! };
  }

  int(what: string, max: number): number {
    const { text, column } = this.next();
    if (!/^\d{1,19}$/.test(text)) throw bad(`${what} is not a non-negative integer: ${JSON.stringify(text.slice(0, 32))}`, column);
    const value = Number(text);
    if (value > max) throw bad(`${what} ${text} is above ${max}`, column);
    return value;
  }

  digits(what: string): string {
    const { text, column } = this.next();
    if (!/^\d{1,20}$/.test(text)) throw bad(`${what} is not a non-negative integer: ${JSON.stringify(text.slice(0, 32))}`, column);
    return text.replace(/^0+(?=\d)/, '');
  }

  hex(what: string): string {
    const { text, column } = this.next();
    if (!/^[0-9a-f]{1,16}$/.test(text)) throw bad(`${what} is not a hex address: ${JSON.stringify(text.slice(0, 32))}`, column);
    return text;
  }

  family(): 4 | 6 {
    const { text, column } = this.next();
    if (text !== '4' && text !== '6') throw bad(`address family must be 4 or 6, got ${JSON.stringify(text.slice(0, 8))}`, column);
    return text === '4' ? 4 : 6;
  }

  flag(what: string): boolean {
    const { text, column } = this.next();
    if (text !== '0' && text !== '1') throw bad(`${what} must be 0 or 1, got ${JSON.stringify(text.slice(0, 8))}`, column);
    return text === '1';
  }

  address(family: 4 | 6, what: string): string {
    const { text, column } = this.next();
    if (isIP(text) !== family) throw bad(`${what} is not an IPv${family} address: ${JSON.stringify(text.slice(0, 64))}`, column);
    return text;
  }
}

const U32 = 0xffffffff;
const PID_MAX = 4194304;

function task(f: Fields, comm: string): TaskFields {
  return {
    pid: f.int('pid', PID_MAX),
    tid: f.int('tid', PID_MAX),
    ppid: f.int('ppid', PID_MAX),
    uid: f.int('uid', U32),
    gid: f.int('gid', U32),
    startTicks: f.digits('start ticks'),
    parentStartTicks: f.digits('parent start ticks'),
    comm,
  };
}

function socket(f: Fields, family: 4 | 6): SocketFields {
  const localPort = f.int('local port', 65535);
  const remotePort = f.int('remote port', 65535);
  return { family, localPort, remotePort, localAddress: f.address(family, 'local address'), remoteAddress: f.address(family, 'remote address') };
}

/** Bytes of a `%rx` buffer: `\xNN` for every byte. */
export function decodeHexEscapes(text: string, column: number): Buffer {
  if (text.length % 4 !== 0) throw bad('buffer is not a sequence of \\xNN escapes', column);
  const bytes = Buffer.alloc(text.length / 4);
  for (let i = 0; i < bytes.length; i++) {
    const at = i * 4;
    if (text.charCodeAt(at) !== 0x5c || text.charCodeAt(at + 1) !== 0x78) throw bad('buffer is not a sequence of \\xNN escapes', column + at);
    const digits = text.slice(at + 2, at + 4);
    if (!/^[0-9a-fA-F]{2}$/.test(digits)) throw bad('buffer holds a bad hex digit', column + at + 2);
    bytes[i] = Number.parseInt(digits, 16);
  }
  return bytes;
}

/** Decodes the data of one printf message (see script.ts for the line formats). Throws VigilError(invalid_input). */
export function decodeRecord(data: string): NetRecord {
  const text = data.endsWith('\n') ? data.slice(0, -1) : data;
  const kind = text.slice(0, 2);
  const layout = (count: number) => {
    const parts = split(text.slice(2), count);
    if (!parts) throw bad(`record ${JSON.stringify(kind.trim())} has fewer than ${count + 1} fields`, text.length + 1);
    return { f: new Fields(parts.fields, parts.columns.map((c) => c + 2)), rest: parts.rest, restColumn: parts.restColumn + 2 };
  };
  switch (kind) {
    case 'S ': {
      const { f, rest } = layout(15);
      const t = task(f, rest);
      const sk = f.hex('socket address');
      const oldState = f.int('old state', 12);
      const newState = f.int('new state', 12);
      const family = f.family();
      const localPort = f.int('source port', 65535);
      const remotePort = f.int('destination port', 65535);
      const localAddress = f.address(family, 'source address');
      const remoteAddress = f.address(family, 'destination address');
      return { kind: 'tcp_state', task: t, sk, oldState, newState, socket: { family, localPort, remotePort, localAddress, remoteAddress } };
    }
    case 'A ':
    case 'U ':
    case 'P ':
    case 'O ': {
      const { f, rest } = layout(12);
      const t = task(f, rest);
      const record = { task: t, socket: socket(f, f.family()) };
      const kinds = { 'A ': 'accept', 'U ': 'udp_connect', 'P ': 'udp_bind', 'O ': 'udp_send' } as const;
      return { kind: kinds[kind], ...record };
    }
    case 'Q ': {
      const { f, rest } = layout(14);
      const t = task(f, rest);
      const length = f.int('length', U32);
      const explicitAddress = f.flag('explicit address flag');
      return { kind: 'dns_query', task: t, length, explicitAddress, socket: socket(f, f.family()) };
    }
    case 'R ': {
      const { f, rest } = layout(13);
      const t = task(f, rest);
      const length = f.int('length', U32);
      return { kind: 'dns_answer', task: t, length, socket: socket(f, f.family()) };
    }
    case 'B ': {
      const { f, rest, restColumn } = layout(2);
      const tid = f.int('tid', PID_MAX);
      const offset = f.int('offset', 1 << 20);
      const bytes = decodeHexEscapes(rest, restColumn);
      if (bytes.length === 0 || bytes.length > 200) throw bad(`buffer chunk of ${bytes.length} bytes is outside 1-200`, restColumn);
      return { kind: 'chunk', tid, offset, bytes };
    }
    case 'X ': {
      const { f, rest } = layout(7);
      return { kind: 'exec', task: task(f, rest) };
    }
    default:
      throw bad(`unknown record kind ${JSON.stringify(text.slice(0, 2))}`, 1);
  }
}
