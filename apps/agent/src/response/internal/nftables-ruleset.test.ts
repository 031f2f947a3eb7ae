// Unit tests of the nftables ruleset builders and of the listing check, against listings shaped like `nft -j` output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllowEntry, parseCidr } from './addresses.js';
import { blockRuleset, checkBlockListing, checkIsolationListing, isolationRuleset, type BlockPlan, type IsolationPlan } from './nftables-ruleset.js';

const plan: IsolationPlan = {
  server: [
    { family: 4, address: '10.213.0.1', port: 8444 },
    { family: 6, address: 'fd00::1', port: 8444 },
  ],
  allow: [parseAllowEntry('10.20.0.0/16', 'a'), parseAllowEntry('192.0.2.10:22', 'a')],
  dns: [{ family: 4, address: '10.213.0.53' }],
  dhcp: true,
};

/** What `nft -j list table` prints for a table, built from the script's declarations (the shape nft 1.0.6 uses). */
function listingFrom(script: string, table: string): { nftables: unknown[] } {
  const items: unknown[] = [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, { table: { family: 'inet', name: table, handle: 1 } }];
  const body = script.slice(script.lastIndexOf(`table inet ${table} {`));
  for (const match of body.matchAll(/set (\w+) \{ type ([^;]+);( flags interval; auto-merge;)?(?: elements = \{ ([^}]*) \};)? \}/g)) {
    const type = match[2]!.split(' . ');
    const interval = Boolean(match[3]);
    const elements = (match[4] ?? '').split(',').map((e) => e.trim()).filter(Boolean);
    const elem = elements.map((text) => {
      const parts = text.split(' . ').map((p, i) => (type[i] === 'inet_service' ? Number(p) : p));
      if (parts.length > 1) return { concat: parts };
      const [addr, len] = String(parts[0]).split('/');
      return len !== undefined ? { prefix: { addr, len: Number(len) } } : addr;
    });
    items.push({ set: { family: 'inet', name: match[1], table, type: type.length === 1 ? type[0] : type, handle: 2, ...(interval ? { flags: ['interval'] } : {}), ...(elem.length ? { elem } : {}) } });
  }
  for (const match of body.matchAll(/chain (\w+) \{\n\s+type filter hook (\w+) priority (-?\d+); policy (\w+);\n((?: {4}[^\n]+\n)*) {2}\}/g)) {
    items.push({ chain: { family: 'inet', table, name: match[1], handle: 3, type: 'filter', hook: match[2], prio: Number(match[3]), policy: match[4] } });
    for (const _rule of match[5]!.split('\n').filter((l) => l.trim())) items.push({ rule: { family: 'inet', table, chain: match[1], handle: 4, expr: [] } });
  }
  return { nftables: items };
}

test('isolation ruleset: one transaction replacing the table; drop policies; loopback, server, allow, DNS and DHCP rules', () => {
  const script = isolationRuleset(plan);
  assert.match(script, /^table inet vigil_isolation\ndelete table inet vigil_isolation\ntable inet vigil_isolation \{/);
  assert.match(script, /set server_v4 \{ type ipv4_addr \. inet_service; elements = \{ 10\.213\.0\.1 \. 8444 \}; \}/);
  assert.match(script, /set server_v6 \{ type ipv6_addr \. inet_service; elements = \{ fd00::1 \. 8444 \}; \}/);
  assert.match(script, /set allow_v4 \{ type ipv4_addr; flags interval; auto-merge; elements = \{ 10\.20\.0\.0\/16 \}; \}/);
  assert.match(script, /set allow_svc_v4 \{ type ipv4_addr \. inet_proto \. inet_service; elements = \{ 192\.0\.2\.10 \. tcp \. 22, 192\.0\.2\.10 \. udp \. 22 \}; \}/);
  assert.match(script, /set dns_v4 \{ type ipv4_addr; elements = \{ 10\.213\.0\.53 \}; \}/);
  for (const chain of ['input', 'output', 'forward']) assert.match(script, new RegExp(`chain ${chain} \\{\\n    type filter hook ${chain} priority -10; policy drop;`));
  assert.match(script, /iif "lo" accept/);
  assert.match(script, /ip saddr \. tcp sport @server_v4 tcp flags & \(syn | ack\) != syn accept/);
  assert.doesNotMatch(script, /ct state established,related ip saddr \. tcp sport @server/, "server replies must not depend on conntrack having seen the connection open");
  assert.match(script, /udp sport 68 udp dport 67 accept/);
  assert.doesNotMatch(isolationRuleset({ ...plan, dhcp: false }), /dport 67/);
  // Nothing but our own table is named.
  for (const match of script.matchAll(/table inet (\w+)/g)) assert.equal(match[1], 'vigil_isolation');
});

test('isolation listing check: the listing of what was applied passes; each kind of drift is reported', () => {
  const listing = listingFrom(isolationRuleset(plan), 'vigil_isolation');
  assert.deepEqual(checkIsolationListing(listing, plan), []);
  assert.deepEqual(checkIsolationListing({ nftables: [] }, plan), ['table inet vigil_isolation is missing']);

  const withoutServer = structuredClone(listing);
  const serverSet = withoutServer.nftables.find((i: any) => i.set?.name === 'server_v4') as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  serverSet.set.elem = [];
  assert.deepEqual(checkIsolationListing(withoutServer, plan), ['set server_v4 lacks 10.213.0.1 . 8444']);

  const extraAllow = structuredClone(listing);
  (extraAllow.nftables.find((i: any) => i.set?.name === 'allow_v4') as any).set.elem.push({ prefix: { addr: '0.0.0.0', len: 0 } }); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.match(checkIsolationListing(extraAllow, plan).join('\n'), /allow_v4 has an unexpected element 0\.0\.0\.0-255\.255\.255\.255/);

  const accepting = structuredClone(listing);
  (accepting.nftables.find((i: any) => i.chain?.name === 'output') as any).chain.policy = 'accept'; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.match(checkIsolationListing(accepting, plan).join('\n'), /chain output is filter hook output priority -10 policy accept, expected .* policy drop/);

  const extraRule = structuredClone(listing);
  extraRule.nftables.push({ rule: { family: 'inet', table: 'vigil_isolation', chain: 'input', expr: [{ accept: null }] } });
  assert.match(checkIsolationListing(extraRule, plan).join('\n'), /chain input has \d+ rules, expected/);

  // Rules of other tables never count.
  const otherTable = structuredClone(listing);
  otherTable.nftables.push({ rule: { family: 'inet', table: 'filter', chain: 'input', expr: [] } });
  assert.deepEqual(checkIsolationListing(otherTable, plan), []);
});

test('block ruleset: declares sets idempotently, rewrites rules and elements in one transaction', () => {
  const block: BlockPlan = { cidrs: [parseCidr('203.0.113.0/24', 'x'), parseCidr('2001:db8::7', 'x')], ports: [{ protocol: 'tcp', port: 4444 }] };
  const script = blockRuleset(block);
  assert.match(script, /set ip_v4 \{ type ipv4_addr; flags interval; auto-merge; \}/);
  assert.match(script, /flush chain inet vigil_block input\nadd rule inet vigil_block input ip saddr @ip_v4 drop/);
  assert.match(script, /flush set inet vigil_block ip_v4\nadd element inet vigil_block ip_v4 \{ 203\.0\.113\.0\/24 \}/);
  assert.match(script, /add element inet vigil_block ip_v6 \{ 2001:db8::7 \}/);
  assert.match(script, /add element inet vigil_block ports \{ tcp \. 4444 \}/);
  assert.doesNotMatch(blockRuleset({ cidrs: [], ports: [] }), /add element/);
});

test('block listing check: auto-merged intervals still count as covering what was asked; a missing element is reported', () => {
  const block: BlockPlan = { cidrs: [parseCidr('10.0.0.0/8', 'x'), parseCidr('10.1.0.0/16', 'x')], ports: [{ protocol: 'udp', port: 53 }] };
  const listing = (elements: unknown[], ports: unknown[]) => ({
    nftables: [
      { table: { family: 'inet', name: 'vigil_block' } },
      { set: { family: 'inet', table: 'vigil_block', name: 'ip_v4', type: 'ipv4_addr', flags: ['interval'], elem: elements } },
      { set: { family: 'inet', table: 'vigil_block', name: 'ip_v6', type: 'ipv6_addr', flags: ['interval'] } },
      { set: { family: 'inet', table: 'vigil_block', name: 'ports', type: ['inet_proto', 'inet_service'], elem: ports } },
      ...['input', 'output', 'forward'].map((name) => ({ chain: { family: 'inet', table: 'vigil_block', name, type: 'filter', hook: name, prio: -5, policy: 'accept' } })),
      ...[3, 3, 5].flatMap((count, i) => Array.from({ length: count }, () => ({ rule: { family: 'inet', table: 'vigil_block', chain: ['input', 'output', 'forward'][i] } }))),
    ],
  });
  assert.deepEqual(checkBlockListing(listing([{ prefix: { addr: '10.0.0.0', len: 8 } }], [{ concat: ['udp', 53] }]), block), []);
  assert.deepEqual(checkBlockListing(listing([{ range: ['10.0.0.0', '10.255.255.255'] }], [{ concat: ['udp', 53] }]), block), []);
  assert.deepEqual(checkBlockListing(listing([{ prefix: { addr: '10.1.0.0', len: 16 } }], [{ concat: ['udp', 53] }]), block), ['set ip_v4 lacks 10.0.0.0/8']);
  assert.deepEqual(checkBlockListing(listing([{ prefix: { addr: '10.0.0.0', len: 8 } }], []), block), ['set ports lacks udp . 53']);
});
