// Octet-counting framing of syslog over stream transports (RFC 6587 section 3.4.1, also RFC 5425 for TLS):
// `MSG-LEN SP SYSLOG-MSG`. The decoder never assumes one read holds one frame and refuses malformed lengths.

export const MAX_FRAME_BYTES = 1024 * 1024;

export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/**
 * Returns a function to feed with stream chunks; `onMessage` is called once per complete frame, in order.
 * Throws an Error on a malformed length prefix (not digits, leading zero, longer than `maxBytes`); the stream is
 * then unusable and must be closed.
 */
export function createOctetCountedDecoder(onMessage: (message: Buffer) => void, maxBytes = MAX_FRAME_BYTES): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      const space = pending.indexOf(0x20);
      if (space === -1) {
        if (pending.length > String(maxBytes).length) throw new Error('octet-counted frame: length prefix too long');
        if (!/^[0-9]*$/.test(pending.toString('latin1'))) throw new Error('octet-counted frame: length prefix is not a number');
        return;
      }
      const digits = pending.subarray(0, space).toString('latin1');
      if (!/^[1-9][0-9]*$/.test(digits)) throw new Error(`octet-counted frame: bad length prefix ${JSON.stringify(digits.slice(0, 20))}`);
      const length = Number(digits);
      if (length > maxBytes) throw new Error(`octet-counted frame: ${length} octets is more than ${maxBytes}`);
      if (pending.length < space + 1 + length) return;
      onMessage(pending.subarray(space + 1, space + 1 + length));
      pending = pending.subarray(space + 1 + length);
    }
  };
}
