// nftables rulesets of the network actions as pure functions: plan in → `nft -f` script out, and `nft -j` listing in →
// list of differences out. Never runs a command; never names a table other than vigil_isolation and vigil_block.

import type { AllowEntry, Cidr, Family } from './addresses.js';
import { addressToBig, bigToAddress, cidrRange, cidrText, covered } from './addresses.js';

export const ISOLATION_TABLE = 'vigil_isolation';
export const BLOCK_TABLE = 'vigil_block';
/** Before ordinary filter chains (priority 0) and after conntrack (-200), so `ct state` is known. */
export const ISOLATION_PRIORITY = -10;
export const BLOCK_PRIORITY = -5;

export interface Endpoint {
  family: Family;
  address: string;
  port: number;
}

export interface IsolationPlan {
  /** Every address of the Vigil server with its agent port: connections to it, and their replies, stay allowed. */
  server: Endpoint[];
  allow: AllowEntry[];
  /** Resolvers kept reachable on port 53 (udp and tcp). */
  dns: { family: Family; address: string }[];
  /** DHCP (udp 67/68) and DHCPv6 (udp 546/547). */
  dhcp: boolean;
}

export type Protocol = 'tcp' | 'udp';

export interface BlockPlan {
  cidrs: Cidr[];
  ports: { protocol: Protocol; port: number }[];
}

interface SetDef {
  name: string;
  type: string[];
  interval: boolean;
  /** Canonical element texts (see canonicalElement). */
  elements: string[];
}

interface ChainDef {
  name: 'input' | 'output' | 'forward';
  policy: 'accept' | 'drop';
  priority: number;
  rules: string[];
}

const v = (family: Family) => (family === 4 ? 'v4' : 'v6');
const addrType = (family: Family) => (family === 4 ? 'ipv4_addr' : 'ipv6_addr');
const ipKw = (family: Family) => (family === 4 ? 'ip' : 'ip6');
const canonical = (family: Family, address: string) => bigToAddress(family, addressToBig(family, address));

function isolationParts(plan: IsolationPlan): { sets: SetDef[]; chains: ChainDef[] } {
  const sets: SetDef[] = [];
  for (const family of [4, 6] as const) {
    sets.push({
      name: `server_${v(family)}`,
      type: [addrType(family), 'inet_service'],
      interval: false,
      elements: unique(plan.server.filter((s) => s.family === family).map((s) => `${canonical(family, s.address)} . ${s.port}`)),
    });
    sets.push({
      name: `allow_${v(family)}`,
      type: [addrType(family)],
      interval: true,
      elements: unique(plan.allow.flatMap((a) => (a.kind === 'cidr' && a.cidr.family === family ? [cidrText(a.cidr)] : []))),
    });
    sets.push({
      name: `allow_svc_${v(family)}`,
      type: [addrType(family), 'inet_proto', 'inet_service'],
      interval: false,
      elements: unique(plan.allow.flatMap((a) => (a.kind === 'service' && a.family === family ? ['tcp', 'udp'].map((p) => `${canonical(family, a.address)} . ${p} . ${a.port}`) : []))),
    });
    sets.push({
      name: `dns_${v(family)}`,
      type: [addrType(family)],
      interval: false,
      elements: unique(plan.dns.filter((d) => d.family === family).map((d) => canonical(family, d.address))),
    });
  }
  // Replies come back two ways. UDP (DNS, allowed UDP services): `ct state established`, as its requests go out
  // after the table loads. TCP: any segment but a bare SYN, which cannot open a connection to this host. `ct state`
  // alone would cut connections that were open before isolation: conntrack starts tracking in a namespace only when
  // a ruleset using it loads, so it picks up an open connection from whichever side sends next, and a server reply
  // to a request sent just before (the agent's task report, its long poll) would count as new and be dropped.
  const established = 'ct state established,related';
  const notBareSyn = 'tcp flags & (syn | ack) != syn';
  const input: string[] = ['iif "lo" accept'];
  const output: string[] = ['oif "lo" accept'];
  for (const family of [4, 6] as const) {
    const ip = ipKw(family);
    const s = v(family);
    input.push(`${ip} saddr . tcp sport @server_${s} ${notBareSyn} accept`);
    output.push(`${ip} daddr . tcp dport @server_${s} accept`);
    input.push(`${ip} saddr @allow_${s} accept`);
    output.push(`${ip} daddr @allow_${s} accept`);
    input.push(`${ip} saddr . meta l4proto . th sport @allow_svc_${s} ${notBareSyn} accept`);
    input.push(`${established} ${ip} saddr . meta l4proto . th sport @allow_svc_${s} accept`);
    output.push(`${ip} daddr . meta l4proto . th dport @allow_svc_${s} accept`);
    input.push(`${ip} saddr @dns_${s} tcp sport 53 ${notBareSyn} accept`);
    input.push(`${established} ${ip} saddr @dns_${s} udp sport 53 accept`);
    output.push(`${ip} daddr @dns_${s} meta l4proto { tcp, udp } th dport 53 accept`);
  }
  // Neighbour discovery: without it no IPv6 peer (the server included) stays reachable on the link.
  input.push('icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept');
  output.push('icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept');
  if (plan.dhcp) {
    input.push('udp sport 67 udp dport 68 accept', 'udp sport 547 udp dport 546 accept');
    output.push('udp sport 68 udp dport 67 accept', 'udp sport 546 udp dport 547 accept');
  }
  return {
    sets,
    chains: [
      { name: 'input', policy: 'drop', priority: ISOLATION_PRIORITY, rules: input },
      { name: 'output', policy: 'drop', priority: ISOLATION_PRIORITY, rules: output },
      { name: 'forward', policy: 'drop', priority: ISOLATION_PRIORITY, rules: [] },
    ],
  };
}

function blockParts(plan: BlockPlan): { sets: SetDef[]; chains: ChainDef[] } {
  const sets: SetDef[] = [4, 6].map((family) => ({
    name: `ip_${v(family as Family)}`,
    type: [addrType(family as Family)],
    interval: true,
    elements: unique(plan.cidrs.filter((c) => c.family === family).map(cidrText)),
  }));
  sets.push({ name: 'ports', type: ['inet_proto', 'inet_service'], interval: false, elements: unique(plan.ports.map((p) => `${p.protocol} . ${p.port}`)) });
  const input = ['ip saddr @ip_v4 drop', 'ip6 saddr @ip_v6 drop', 'meta l4proto . th dport @ports drop'];
  // Outgoing attempts are rejected so local programs fail at once instead of timing out.
  const output = ['ip daddr @ip_v4 reject', 'ip6 daddr @ip_v6 reject', 'meta l4proto . th dport @ports reject'];
  const forward = ['ip saddr @ip_v4 drop', 'ip daddr @ip_v4 drop', 'ip6 saddr @ip_v6 drop', 'ip6 daddr @ip_v6 drop', 'meta l4proto . th dport @ports drop'];
  return {
    sets,
    chains: [
      { name: 'input', policy: 'accept', priority: BLOCK_PRIORITY, rules: input },
      { name: 'output', policy: 'accept', priority: BLOCK_PRIORITY, rules: output },
      { name: 'forward', policy: 'accept', priority: BLOCK_PRIORITY, rules: forward },
    ],
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function setBody(set: SetDef, withElements: boolean): string {
  const flags = set.interval ? ' flags interval; auto-merge;' : '';
  const elements = withElements && set.elements.length ? ` elements = { ${set.elements.join(', ')} };` : '';
  return `  set ${set.name} { type ${set.type.join(' . ')};${flags}${elements} }`;
}

function chainHead(chain: ChainDef): string {
  return `type filter hook ${chain.name} priority ${chain.priority}; policy ${chain.policy};`;
}

/**
 * The isolation table as one `nft -f` transaction that replaces any previous one atomically
 * (declare, delete, declare again: works whether the table exists or not).
 */
export function isolationRuleset(plan: IsolationPlan): string {
  const { sets, chains } = isolationParts(plan);
  return [
    `table inet ${ISOLATION_TABLE}`,
    `delete table inet ${ISOLATION_TABLE}`,
    `table inet ${ISOLATION_TABLE} {`,
    ...sets.map((set) => setBody(set, true)),
    ...chains.map((chain) => [`  chain ${chain.name} {`, `    ${chainHead(chain)}`, ...chain.rules.map((r) => `    ${r}`), '  }'].join('\n')),
    '}',
    '',
  ].join('\n');
}

export function isolationRemoval(): string {
  return `table inet ${ISOLATION_TABLE}\ndelete table inet ${ISOLATION_TABLE}\n`;
}

/**
 * The block table as one `nft -f` transaction: declares the table, sets and chains (idempotent), rewrites the chains'
 * rules and replaces every set's elements. Set identity is kept, so a change is a flush and add of elements.
 */
export function blockRuleset(plan: BlockPlan): string {
  const { sets, chains } = blockParts(plan);
  const lines = [`table inet ${BLOCK_TABLE} {`, ...sets.map((set) => setBody(set, false)), ...chains.map((chain) => `  chain ${chain.name} { ${chainHead(chain)} }`), '}'];
  for (const chain of chains) {
    lines.push(`flush chain inet ${BLOCK_TABLE} ${chain.name}`);
    for (const rule of chain.rules) lines.push(`add rule inet ${BLOCK_TABLE} ${chain.name} ${rule}`);
  }
  for (const set of sets) {
    lines.push(`flush set inet ${BLOCK_TABLE} ${set.name}`);
    if (set.elements.length) lines.push(`add element inet ${BLOCK_TABLE} ${set.name} { ${set.elements.join(', ')} }`);
  }
  return lines.join('\n') + '\n';
}

export function blockRemoval(): string {
  return `table inet ${BLOCK_TABLE}\ndelete table inet ${BLOCK_TABLE}\n`;
}

// ---- verification against `nft -j list table inet <name>` ----

interface Listed {
  sets: Map<string, { type: string[]; interval: boolean; elements: unknown[] }>;
  chains: Map<string, { type?: string; hook?: string; prio?: number; policy?: string; rules: number }>;
  tableFound: boolean;
}

function parseListing(json: unknown, table: string): Listed {
  const listed: Listed = { sets: new Map(), chains: new Map(), tableFound: false };
  const items = (json as { nftables?: unknown[] } | null)?.nftables;
  if (!Array.isArray(items)) return listed;
  for (const item of items as Record<string, Record<string, unknown>>[]) {
    if (item.table && item.table.family === 'inet' && item.table.name === table) listed.tableFound = true;
    const set = item.set;
    if (set && set.family === 'inet' && set.table === table) {
      const type = Array.isArray(set.type) ? (set.type as string[]) : [String(set.type)];
      listed.sets.set(String(set.name), { type, interval: Array.isArray(set.flags) && (set.flags as string[]).includes('interval'), elements: Array.isArray(set.elem) ? set.elem : [] });
    }
    const chain = item.chain;
    if (chain && chain.family === 'inet' && chain.table === table) {
      listed.chains.set(String(chain.name), {
        ...(typeof chain.type === 'string' ? { type: chain.type } : {}),
        ...(typeof chain.hook === 'string' ? { hook: chain.hook } : {}),
        ...(typeof chain.prio === 'number' ? { prio: chain.prio } : {}),
        ...(typeof chain.policy === 'string' ? { policy: chain.policy } : {}),
        rules: listed.chains.get(String(chain.name))?.rules ?? 0,
      });
    }
    const rule = item.rule;
    if (rule && rule.family === 'inet' && rule.table === table) {
      const name = String(rule.chain);
      const entry = listed.chains.get(name) ?? { rules: 0 };
      entry.rules++;
      listed.chains.set(name, entry);
    }
  }
  return listed;
}

/** One element of a listed set in the canonical text the builders use; ranges for interval sets. */
function canonicalElement(element: unknown, type: string[], interval: boolean): string | [bigint, bigint] | undefined {
  let value = element;
  if (value && typeof value === 'object' && 'elem' in value) value = (value as { elem: { val?: unknown } }).elem.val;
  const part = (piece: unknown, kind: string | undefined): string | undefined => {
    if (kind === 'ipv4_addr' || kind === 'ipv6_addr') {
      const family: Family = kind === 'ipv4_addr' ? 4 : 6;
      return typeof piece === 'string' ? canonical(family, piece) : undefined;
    }
    if (kind === 'inet_service') return typeof piece === 'number' || typeof piece === 'string' ? String(piece) : undefined;
    if (kind === 'inet_proto') return typeof piece === 'string' ? piece : typeof piece === 'number' ? ({ 6: 'tcp', 17: 'udp' } as Record<number, string>)[piece] : undefined;
    return undefined;
  };
  if (interval && type.length === 1 && (type[0] === 'ipv4_addr' || type[0] === 'ipv6_addr')) {
    const family: Family = type[0] === 'ipv4_addr' ? 4 : 6;
    if (typeof value === 'string') {
      const n = addressToBig(family, value);
      return [n, n];
    }
    const prefix = (value as { prefix?: { addr: string; len: number } })?.prefix;
    if (prefix) return cidrRange({ family, address: canonical(family, prefix.addr), prefix: prefix.len });
    const range = (value as { range?: [string, string] })?.range;
    if (range) return [addressToBig(family, range[0]), addressToBig(family, range[1])];
    return undefined;
  }
  const concat = value !== null && typeof value === 'object' ? (value as { concat?: unknown }).concat : undefined;
  const pieces = Array.isArray(concat) ? concat : [value];
  const texts = pieces.map((p, i) => part(p, type[i]));
  return texts.every((t) => t !== undefined) && texts.length === type.length ? texts.join(' . ') : undefined;
}

function compareSets(expected: SetDef[], listed: Listed, problems: string[]): void {
  for (const set of expected) {
    const found = listed.sets.get(set.name);
    if (!found) {
      problems.push(`set ${set.name} is missing`);
      continue;
    }
    if (found.type.join(' . ') !== set.type.join(' . ') || found.interval !== set.interval) {
      problems.push(`set ${set.name} is ${found.type.join(' . ')}${found.interval ? ' (interval)' : ''}, expected ${set.type.join(' . ')}${set.interval ? ' (interval)' : ''}`);
      continue;
    }
    const elements = found.elements.map((e) => canonicalElement(e, set.type, set.interval));
    if (elements.some((e) => e === undefined)) problems.push(`set ${set.name} has elements that cannot be read: ${JSON.stringify(found.elements).slice(0, 200)}`);
    if (set.interval) {
      const family: Family = set.type[0] === 'ipv4_addr' ? 4 : 6;
      const listedRanges = elements.filter((e): e is [bigint, bigint] => Array.isArray(e));
      const wantedRanges = set.elements.map((text) => {
        const [address = '', prefix] = text.split('/');
        return cidrRange({ family, address, prefix: prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix) });
      });
      for (const [i, range] of wantedRanges.entries()) if (!covered(range, listedRanges)) problems.push(`set ${set.name} lacks ${set.elements[i]}`);
      for (const range of listedRanges) if (!covered(range, wantedRanges)) problems.push(`set ${set.name} has an unexpected element ${bigToAddress(family, range[0])}-${bigToAddress(family, range[1])}`);
    } else {
      const have = new Set(elements.filter((e): e is string => typeof e === 'string'));
      for (const element of set.elements) if (!have.has(element)) problems.push(`set ${set.name} lacks ${element}`);
      const wanted = new Set(set.elements);
      for (const element of have) if (!wanted.has(element)) problems.push(`set ${set.name} has an unexpected element ${element}`);
    }
  }
}

function compareChains(expected: ChainDef[], listed: Listed, problems: string[]): void {
  for (const chain of expected) {
    const found = listed.chains.get(chain.name);
    if (!found) {
      problems.push(`chain ${chain.name} is missing`);
      continue;
    }
    if (found.type !== 'filter' || found.hook !== chain.name || found.prio !== chain.priority || found.policy !== chain.policy) {
      problems.push(`chain ${chain.name} is ${found.type} hook ${found.hook} priority ${found.prio} policy ${found.policy}, expected filter hook ${chain.name} priority ${chain.priority} policy ${chain.policy}`);
    }
    if (found.rules !== chain.rules.length) problems.push(`chain ${chain.name} has ${found.rules} rules, expected ${chain.rules.length}`);
  }
  for (const name of listed.chains.keys()) if (!expected.some((c) => c.name === name)) problems.push(`unexpected chain ${name}`);
}

/** Differences between the listed isolation table and the plan; empty when the kernel holds exactly what was meant. */
export function checkIsolationListing(json: unknown, plan: IsolationPlan): string[] {
  const listed = parseListing(json, ISOLATION_TABLE);
  if (!listed.tableFound) return [`table inet ${ISOLATION_TABLE} is missing`];
  const { sets, chains } = isolationParts(plan);
  const problems: string[] = [];
  compareSets(sets, listed, problems);
  compareChains(chains, listed, problems);
  return problems;
}

export function checkBlockListing(json: unknown, plan: BlockPlan): string[] {
  const listed = parseListing(json, BLOCK_TABLE);
  if (!listed.tableFound) return [`table inet ${BLOCK_TABLE} is missing`];
  const { sets, chains } = blockParts(plan);
  const problems: string[] = [];
  compareSets(sets, listed, problems);
  compareChains(chains, listed, problems);
  return problems;
}
