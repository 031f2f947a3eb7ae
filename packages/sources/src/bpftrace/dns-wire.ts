// Parses DNS messages (RFC 1035 wire format) captured from a process's send and receive buffers: the question and,
// in answers, the records. Never throws and never reads past the buffer: a capture may be cut anywhere.

export interface DnsQuestion {
  name: string;
  /** Mnemonic (A, AAAA, ...) or TYPE<n> (RFC 3597). */
  type: string;
  /** IN, CH, HS, ANY or CLASS<n>. */
  class: string;
}

export interface DnsAnswer {
  name: string;
  type: string;
  /** Text form of the data: an address, a name, a TXT string, or `\# <len> <hex>` for other types (RFC 3597). */
  data: string;
}

export interface DnsMessage {
  id: number;
  /** true for a response (QR bit). */
  response: boolean;
  opcode: number;
  /** NOERROR, FORMERR, SERVFAIL, NXDOMAIN, ... or RCODE<n>. */
  responseCode: string;
  question: DnsQuestion | undefined;
  answers: DnsAnswer[];
  /** The capture ended (or was malformed) before every announced record was read. */
  truncated: boolean;
}

const TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR',
  39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 52: 'TLSA', 64: 'SVCB', 65: 'HTTPS',
  99: 'SPF', 255: 'ANY', 257: 'CAA',
};
const CLASSES: Record<number, string> = { 1: 'IN', 3: 'CH', 4: 'HS', 255: 'ANY' };
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export const dnsTypeName = (type: number): string => TYPES[type] ?? `TYPE${type}`;
const className = (cls: number): string => CLASSES[cls] ?? `CLASS${cls}`;

/** Most answers kept from one message (the schema's list limit is larger; more is noise). */
export const MAX_ANSWERS = 64;
/** Longest name in text form: 255 wire bytes, each non-printable byte escaped as \DDD. */
const MAX_NAME_TEXT = 1024;

/** A label byte as text: letters, digits, '-' and '_' as is; '.' and '\' escaped; anything else as \DDD (RFC 4343). */
function labelText(bytes: Uint8Array, start: number, length: number): string {
  let text = '';
  for (let i = start; i < start + length; i++) {
    const b = bytes[i]!;
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f || b === 0x2a) text += String.fromCharCode(b);
    else if (b === 0x2e || b === 0x5c) text += `\\${String.fromCharCode(b)}`;
    else if (b > 0x20 && b < 0x7f) text += String.fromCharCode(b);
    else text += `\\${String(b).padStart(3, '0')}`;
  }
  return text;
}

/**
 * Reads a possibly compressed name at `offset`. Returns the name (without the trailing dot; "." for the root) and the
 * offset after it in the original position, or undefined when the name is cut or malformed (pointer loops included).
 */
export function readName(bytes: Uint8Array, offset: number): { name: string; next: number } | undefined {
  const labels: string[] = [];
  let position = offset;
  let next: number | undefined;
  let wireLength = 0;
  for (let jumps = 0; ; ) {
    if (position >= bytes.length) return undefined;
    const length = bytes[position]!;
    if (length === 0) {
      next ??= position + 1;
      break;
    }
    const tag = length & 0xc0;
    if (tag === 0xc0) {
      if (position + 1 >= bytes.length) return undefined;
      const target = ((length & 0x3f) << 8) | bytes[position + 1]!;
      next ??= position + 2;
      // Pointers must go backwards; that alone rules out loops, the jump count is a second guard.
      if (target >= position || ++jumps > 64) return undefined;
      position = target;
      continue;
    }
    if (tag !== 0) return undefined; // extended label types (0x40, 0x80) are obsolete
    if (position + 1 + length > bytes.length) return undefined;
    wireLength += length + 1;
    if (wireLength > 255) return undefined;
    labels.push(labelText(bytes, position + 1, length));
    position += 1 + length;
  }
  const name = labels.length === 0 ? '.' : labels.join('.');
  return { name: name.length > MAX_NAME_TEXT ? name.slice(0, MAX_NAME_TEXT) : name, next };
}

const u16 = (bytes: Uint8Array, at: number) => (bytes[at]! << 8) | bytes[at + 1]!;

function ipv6Text(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(u16(bytes, at + 2 * i));
  // Compress the longest run of two or more zero groups (RFC 5952).
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function rdataText(bytes: Uint8Array, type: number, start: number, length: number): string | undefined {
  const end = start + length;
  if (type === 1) return length === 4 ? `${bytes[start]}.${bytes[start + 1]}.${bytes[start + 2]}.${bytes[start + 3]}` : undefined;
  if (type === 28) return length === 16 ? ipv6Text(bytes, start) : undefined;
  if (type === 5 || type === 2 || type === 12 || type === 39) {
    const name = readName(bytes, start);
    return name && name.next <= end ? name.name : undefined;
  }
  if (type === 15) {
    if (length < 3) return undefined;
    const name = readName(bytes, start + 2);
    return name && name.next <= end ? `${u16(bytes, start)} ${name.name}` : undefined;
  }
  if (type === 16) {
    const parts: string[] = [];
    for (let at = start; at < end; ) {
      const size = bytes[at]!;
      if (at + 1 + size > end) return undefined;
      parts.push(JSON.stringify(Buffer.from(bytes.subarray(at + 1, at + 1 + size)).toString('latin1')));
      at += 1 + size;
    }
    return parts.join(' ');
  }
  return `\\# ${length}${length > 0 ? ` ${Buffer.from(bytes.subarray(start, end)).toString('hex')}` : ''}`;
}

/** Parses one DNS message; undefined when even the 12-byte header is missing. */
export function parseDnsMessage(bytes: Uint8Array): DnsMessage | undefined {
  if (bytes.length < 12) return undefined;
  const flags = u16(bytes, 2);
  const questions = u16(bytes, 4);
  const answerCount = u16(bytes, 6);
  const rcode = flags & 0x0f;
  const message: DnsMessage = {
    id: u16(bytes, 0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    responseCode: RCODES[rcode] ?? `RCODE${rcode}`,
    question: undefined,
    answers: [],
    truncated: false,
  };
  let at = 12;
  for (let q = 0; q < questions; q++) {
    const name = readName(bytes, at);
    if (!name || name.next + 4 > bytes.length) {
      message.truncated = true;
      return message;
    }
    if (q === 0) message.question = { name: name.name, type: dnsTypeName(u16(bytes, name.next)), class: className(u16(bytes, name.next + 2)) };
    at = name.next + 4;
  }
  for (let a = 0; a < answerCount; a++) {
    const name = readName(bytes, at);
    if (!name || name.next + 10 > bytes.length) {
      message.truncated = true;
      return message;
    }
    const type = u16(bytes, name.next);
    const length = u16(bytes, name.next + 8);
    const start = name.next + 10;
    if (start + length > bytes.length) {
      message.truncated = true;
      return message;
    }
    const data = rdataText(bytes, type, start, length);
    if (data !== undefined && message.answers.length < MAX_ANSWERS) message.answers.push({ name: name.name, type: dnsTypeName(type), data });
    at = start + length;
  }
  return message;
}
