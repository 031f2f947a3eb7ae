// Network containment actions: host isolation and IP/port/domain blocking, enforced on Linux with nftables.
// Declarations only (name, permission, argument schema, reversal, how the effect is verified); agents hold the handlers.

import type { ActionSpec } from '../core.js';

/** An IPv4/IPv6 address or CIDR, optionally with a port: `10.0.0.0/8`, `192.0.2.10:443`, `[2001:db8::1]:443`. */
const allowEntry = {
  type: 'string',
  minLength: 2,
  maxLength: 64,
  pattern: '^(\\[[0-9A-Fa-f:.]+\\](/\\d{1,3})?(:\\d{1,5})?|[0-9A-Fa-f:.]+(/\\d{1,3})?|[0-9.]+(/\\d{1,2})?:\\d{1,5})$',
  description: 'An address or CIDR (all traffic with it, both ways) or address:port (connections from the endpoint to that TCP/UDP port, and their replies). IPv6 with a port in brackets.',
  examples: ['10.20.0.0/16', '192.0.2.10:22', '[2001:db8::10]:443'],
};

const ipOrCidr = {
  type: 'string',
  minLength: 2,
  maxLength: 43,
  pattern: '^[0-9A-Fa-f:.]+(/\\d{1,3})?$',
  description: 'IPv4 or IPv6 address or CIDR.',
  examples: ['203.0.113.7', '198.51.100.0/24', '2001:db8::/32'],
};

const domain = {
  type: 'string',
  minLength: 1,
  maxLength: 253,
  pattern: '^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}\\.?$',
  description: 'A DNS name; its A and AAAA addresses are blocked when the action runs and again on every refresh.',
  examples: ['evil.example.com'],
};

/** A subschema "has property `key`" (declared locally, as Ajv's strict mode wants for `required`). */
const has = (key: string) => ({ required: [key], properties: { [key]: true } });

const blockTarget = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ip: ipOrCidr,
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Destination port, blocked in both directions (outgoing connections to it, incoming connections to it).' },
    protocol: { type: 'string', enum: ['tcp', 'udp', 'both'], description: 'With `port`: which transport protocol; both when absent.' },
    domain,
  },
  oneOf: [
    { ...has('ip'), not: { anyOf: [has('port'), has('domain'), has('protocol')] } },
    { ...has('port'), not: { anyOf: [has('ip'), has('domain')] } },
    { ...has('domain'), not: { anyOf: [has('ip'), has('port'), has('protocol')] } },
  ],
  examples: [{ ip: '203.0.113.7' }, { port: 4444, protocol: 'tcp' }, { domain: 'evil.example.com' }],
};

export const specs: ActionSpec[] = [
  {
    name: 'host.isolate',
    title: 'Isolate host',
    description:
      'Cuts the host off the network with the nftables table `inet vigil_isolation`: only loopback, the Vigil server address and agent port, the resolvers (allow_dns), DHCP (allow_dhcp) and the `allow` entries stay reachable; open connections to anything else are cut. Refused when the server is not reachable beforehand; verified by listing the table and connecting to the server again, rolled back automatically when the server became unreachable. Survives agent restarts until released.',
    permission: 'response:contain',
    verification: 'Lists table inet vigil_isolation and compares its set elements, chains, hooks, policies and rule counts with the plan, then connects to the server again; rolls back and fails when either check fails.',
    args: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allow: { type: 'array', items: allowEntry, maxItems: 64, uniqueItems: true, default: [], description: 'Extra destinations that stay reachable (jump hosts, forensic shares).' },
        allow_dns: { type: 'boolean', default: true, description: 'Keep the resolvers of /etc/resolv.conf reachable on port 53.' },
        allow_dhcp: { type: 'boolean', default: true, description: 'Keep DHCP (udp 67/68) and DHCPv6 (udp 546/547) working so the host keeps its address.' },
      },
      examples: [{}, { allow: ['10.20.30.40:22'], allow_dns: false }],
    },
    reversedBy: 'host.release',
    destructive: false,
    platforms: ['linux'],
  },
  {
    name: 'host.release',
    title: 'Release host isolation',
    description: 'Removes the isolation table and its saved state; verified by checking that the table is gone.',
    permission: 'response:contain',
    verification: 'Lists the tables again: inet vigil_isolation must be gone.',
    args: { type: 'object', additionalProperties: false, properties: {}, examples: [{}] },
    destructive: false,
    platforms: ['linux'],
  },
  {
    name: 'net.block',
    title: 'Block address, port or domain',
    description:
      'Adds an IP or CIDR (IPv4 or IPv6), a destination port (tcp, udp or both) or the addresses of a domain to the named sets of the nftables table `inet vigil_block`; traffic with them is dropped in both directions (outgoing connections are refused at once). Verified by listing the set. Domains are resolved again every 5 minutes. Survives agent restarts.',
    permission: 'response:contain',
    verification: 'Lists table inet vigil_block and compares its sets with every blocked entry; rolls back and fails on a difference.',
    args: blockTarget,
    reversedBy: 'net.unblock',
    destructive: false,
    platforms: ['linux'],
  },
  {
    name: 'net.unblock',
    title: 'Unblock address, port or domain',
    description: 'Removes a block added by net.block (same arguments); verified by listing the set. Addresses still blocked by another entry stay blocked.',
    permission: 'response:contain',
    verification: 'Lists table inet vigil_block again (or checks it is gone when nothing stays blocked) and says whether the address is still covered by another entry.',
    args: blockTarget,
    destructive: false,
    platforms: ['linux'],
  },
];
