// Decodes the hex `saddr` of a SOCKADDR record into family, address, port or socket path.
// Never throws: an unknown family or short data yields just the family name.

export interface DecodedSockaddr {
  /** `ipv4`, `ipv6`, `unix`, `netlink`, or the numeric family when unknown. */
  family: string;
  addr?: string;
  port?: number;
  /** Path of a unix socket; abstract sockets start with `@`. */
  path?: string;
}

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;

/** `saddr` is the hex text of a struct sockaddr as the kernel logs it (family in host byte order, little endian). */
export function decodeSockaddr(saddr: string): DecodedSockaddr | undefined {
  if (saddr.length < 4 || saddr.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(saddr)) return undefined;
  const bytes = Buffer.from(saddr, 'hex');
  const family = bytes.readUInt16LE(0);
  switch (family) {
    case AF_INET:
      if (bytes.length < 8) return { family: 'ipv4' };
      return { family: 'ipv4', port: bytes.readUInt16BE(2), addr: `${bytes[4]}.${bytes[5]}.${bytes[6]}.${bytes[7]}` };
    case AF_INET6:
      if (bytes.length < 24) return { family: 'ipv6' };
      return { family: 'ipv6', port: bytes.readUInt16BE(2), addr: formatIPv6(bytes.subarray(8, 24)) };
    case AF_UNIX: {
      const rest = bytes.subarray(2);
      if (rest.length === 0) return { family: 'unix' };
      if (rest[0] === 0) {
        const end = rest.indexOf(0, 1);
        return { family: 'unix', path: '@' + rest.subarray(1, end < 0 ? rest.length : end).toString('utf8') };
      }
      const end = rest.indexOf(0);
      return { family: 'unix', path: rest.subarray(0, end < 0 ? rest.length : end).toString('utf8') };
    }
    case AF_NETLINK:
      return { family: 'netlink' };
    default:
      return { family: String(family) };
  }
}

/** RFC 5952 text form: lowercase, longest run of two or more zero groups compressed (the first on ties). */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i + 1 < bytes.length && groups.length < 8; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.length === 8 && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const b = bytes;
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
