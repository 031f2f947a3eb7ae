// The commands and probes network actions run on the host: nft, ss, DNS resolution, TCP connects, resolv.conf.
// Every call has a timeout and fails with a VigilError naming the command; nothing here decides policy.

import { connect } from 'node:net';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { VigilError } from '@vigil/common';
import { familyOf, type Family, type Cidr } from './addresses.js';
import { runCommand } from './command.js';

const NFT = process.env.VIGIL_NFT ?? 'nft';

/** Applies an nft script as one transaction (`nft -f -`): all of it or nothing. */
export async function nftApply(script: string): Promise<void> {
  const result = await runCommand(NFT, ['-f', '-'], { input: script });
  if (result.code !== 0) throw new VigilError('system', `nft refused the ruleset: ${result.stderr.trim().slice(0, 2000)}`);
}

/** `nft -j list table inet <name>`, parsed; undefined when the table does not exist. */
export async function nftListTable(table: string): Promise<unknown | undefined> {
  const result = await runCommand(NFT, ['-j', 'list', 'table', 'inet', table]);
  if (result.code !== 0) {
    if (/No such file or directory|does not exist/i.test(result.stderr)) return undefined;
    throw new VigilError('system', `nft list table inet ${table} failed: ${result.stderr.trim().slice(0, 500)}`);
  }
  try {
    return JSON.parse(result.stdout) as unknown;
  } catch (error) {
    throw new VigilError('system', `nft -j printed something that is not JSON: ${(error as Error).message}`);
  }
}

/** Resolves a host name or literal to every address (A and AAAA). */
export async function resolveAll(host: string): Promise<{ family: Family; address: string }[]> {
  const literal = familyOf(host.replace(/^\[|\]$/g, ''));
  if (literal) return [{ family: literal, address: host.replace(/^\[|\]$/g, '') }];
  try {
    const found = await lookup(host, { all: true, verbatim: true });
    return found.map((a) => ({ family: a.family === 6 ? 6 : 4, address: a.address }) as { family: Family; address: string });
  } catch (error) {
    throw new VigilError('unavailable', `cannot resolve ${host}: ${(error as Error).message}`, { cause: error });
  }
}

/** Opens and closes a TCP connection; resolves true when the handshake completed within the timeout. */
export function tcpReachable(address: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Name servers of /etc/resolv.conf (or the given file); empty when it cannot be read. */
export async function resolvers(file = process.env.VIGIL_RESOLV_CONF ?? '/etc/resolv.conf'): Promise<{ family: Family; address: string }[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const found: { family: Family; address: string }[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    const address = match?.[1]?.replace(/%.*$/, '');
    const family = address ? familyOf(address) : undefined;
    if (address && family) found.push({ family, address });
  }
  return found;
}

/** An `ss` filter term for a destination: `10.0.0.0/8`, `[2001:db8::/32]`, `10.1.1.1:8444`, `[2001:db8::1]:443`. */
export function ssDestination(target: { family: Family; address: string; prefix?: number; port?: number }): string {
  const full = target.family === 4 ? 32 : 128;
  const withPrefix = target.prefix !== undefined && target.prefix !== full ? `${target.address}/${target.prefix}` : target.address;
  const host = target.family === 6 ? `[${withPrefix}]` : withPrefix;
  return target.port !== undefined ? `${host}:${target.port}` : host;
}

/**
 * Destroys every TCP socket of this network namespace that is connected (not listening) to a destination outside
 * `keep` (the kernel's SOCK_DESTROY, `ss -K`): the local program sees ECONNABORTED at once. Loopback is always kept.
 * Returns how many sockets were destroyed.
 */
export async function cutTcpConnections(keep: { family: Family; address: string; prefix?: number; port?: number }[]): Promise<number> {
  const terms = ['dst 127.0.0.0/8', 'dst [::1]', 'dst [::ffff:127.0.0.0/104]', ...keep.map((k) => `dst ${ssDestination(k)}`)];
  const filter = `( ${terms.map((t) => `not ${t}`).join(' and ')} )`;
  const result = await runCommand('ss', ['-K', '-H', '-t', '-n', 'state', 'connected', filter]);
  if (result.code !== 0) throw new VigilError('system', `ss -K failed: ${result.stderr.trim().slice(0, 500)}`);
  return result.stdout.split('\n').filter((line) => line.trim()).length;
}

export type { Cidr };
