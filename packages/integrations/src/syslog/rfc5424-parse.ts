// A strict RFC 5424 parser for receivers and tests: checks every header field, structured data and the BOM.
// Never accepts a message outside the grammar; it throws an Error naming the octet offset and the rule broken.

export interface ParsedSyslog {
  priority: number;
  facility: number;
  severity: number;
  version: number;
  /** NILVALUE is null. */
  timestamp: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: { id: string; params: [string, string][] }[];
  /** MSG without its BOM; '' when absent. */
  msg: string;
  utf8Bom: boolean;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

export function parseRfc5424(input: Buffer | string): ParsedSyslog {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let at = 0;
  const fail = (rule: string): never => {
    throw new Error(`not RFC 5424 at octet ${at}: ${rule}`);
  };
  const expect = (byte: number, rule: string) => {
    if (bytes[at] !== byte) fail(rule);
    at++;
  };
  /** A run of PRINTUSASCII up to the next space (1..max octets), or NILVALUE. */
  const token = (max: number, rule: string): string | null => {
    const start = at;
    while (at < bytes.length && bytes[at] !== 0x20) {
      if (bytes[at]! < 33 || bytes[at]! > 126) fail(`${rule}: octet ${bytes[at]} is not PRINTUSASCII`);
      at++;
    }
    const text = bytes.subarray(start, at).toString('latin1');
    if (text.length === 0 || text.length > max) fail(`${rule}: length ${text.length} is outside 1..${max}`);
    return text === '-' ? null : text;
  };

  expect(0x3c, 'PRI must start with "<"');
  const priStart = at;
  while (at < bytes.length && bytes[at]! >= 0x30 && bytes[at]! <= 0x39) at++;
  const priText = bytes.subarray(priStart, at).toString('latin1');
  if (!/^(0|[1-9]\d{0,2})$/.test(priText) || Number(priText) > 191) fail('PRIVAL must be 0..191 without leading zeros');
  expect(0x3e, 'PRI must end with ">"');
  const versionStart = at;
  while (at < bytes.length && bytes[at]! >= 0x30 && bytes[at]! <= 0x39) at++;
  const versionText = bytes.subarray(versionStart, at).toString('latin1');
  if (!/^[1-9]\d{0,2}$/.test(versionText)) fail('VERSION must be a non-zero number');
  expect(0x20, 'SP after VERSION');
  const timestamp = token(64, 'TIMESTAMP');
  if (timestamp !== null) {
    const m = TIMESTAMP.exec(timestamp);
    if (!m) fail('TIMESTAMP must be FULL-DATE "T" FULL-TIME');
    const [month, day, hour, minute, second] = [m![2], m![3], m![4], m![5], m![6]].map(Number) as [number, number, number, number, number];
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59 || !Number.isFinite(Date.parse(timestamp))) fail('TIMESTAMP out of range');
  }
  expect(0x20, 'SP after TIMESTAMP');
  const hostname = token(255, 'HOSTNAME');
  expect(0x20, 'SP after HOSTNAME');
  const appName = token(48, 'APP-NAME');
  expect(0x20, 'SP after APP-NAME');
  const procId = token(128, 'PROCID');
  expect(0x20, 'SP after PROCID');
  const msgId = token(32, 'MSGID');
  expect(0x20, 'SP after MSGID');

  const structuredData: ParsedSyslog['structuredData'] = [];
  const sdName = (rule: string): string => {
    const start = at;
    while (at < bytes.length && bytes[at]! >= 33 && bytes[at]! <= 126 && ![0x3d, 0x20, 0x5d, 0x22].includes(bytes[at]!)) at++;
    const name = bytes.subarray(start, at).toString('latin1');
    if (name.length < 1 || name.length > 32) fail(`${rule}: SD-NAME length ${name.length} is outside 1..32`);
    return name;
  };
  if (bytes[at] === 0x2d) {
    at++;
  } else {
    if (bytes[at] !== 0x5b) fail('STRUCTURED-DATA must be "-" or start with "["');
    while (bytes[at] === 0x5b) {
      at++;
      const id = sdName('SD-ID');
      if (!id.includes('@') && !['timeQuality', 'origin', 'meta'].includes(id)) fail(`SD-ID ${id} has no "@" and is not registered with IANA`);
      if (structuredData.some((e) => e.id === id)) fail(`SD-ID ${id} appears twice`);
      const params: [string, string][] = [];
      while (bytes[at] === 0x20) {
        at++;
        const name = sdName('PARAM-NAME');
        expect(0x3d, 'PARAM-NAME must be followed by "="');
        expect(0x22, 'PARAM-VALUE must start with a quote');
        const parts: Buffer[] = [];
        let start = at;
        for (;;) {
          if (at >= bytes.length) fail('PARAM-VALUE is not terminated');
          const byte = bytes[at]!;
          if (byte === 0x5c && [0x22, 0x5c, 0x5d].includes(bytes[at + 1] ?? -1)) {
            parts.push(bytes.subarray(start, at));
            at++;
            start = at;
            at++;
            continue;
          }
          if (byte === 0x5d) fail('"]" inside PARAM-VALUE must be escaped');
          if (byte === 0x22) break;
          at++;
        }
        parts.push(bytes.subarray(start, at));
        at++;
        const raw = Buffer.concat(parts);
        const value = raw.toString('utf8');
        if (!Buffer.from(value, 'utf8').equals(raw)) fail('PARAM-VALUE is not valid UTF-8');
        params.push([name, value]);
      }
      expect(0x5d, 'SD-ELEMENT must end with "]"');
      structuredData.push({ id, params });
    }
  }
  let msg = '';
  let utf8Bom = false;
  if (at < bytes.length) {
    expect(0x20, 'SP before MSG');
    let body = bytes.subarray(at);
    if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
      utf8Bom = true;
      body = body.subarray(3);
      const text = body.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(body)) fail('MSG-UTF8 is not valid UTF-8');
    }
    msg = body.toString('utf8');
  }
  const priority = Number(priText);
  return { priority, facility: priority >> 3, severity: priority & 7, version: Number(versionText), timestamp, hostname, appName, procId, msgId, structuredData, msg, utf8Bom };
}
