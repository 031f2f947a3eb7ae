// Profiler of outbound destinations per executable: ports a program never used, addresses and domains it never
// reached on a known port, names it never looked up. Loopback traffic is local IPC and is not profiled.

import type { ProfileEvent, Profiler } from '../core.js';
import { addressClass, isLoopback, registeredDomain } from '../internal/addresses.js';
import { basename, integer, text } from '../internal/fields.js';
import { fleetText, spanText, type Assessment } from '../internal/novelty.js';
import { createNoveltyProfiler, type NoveltyObservation } from '../internal/novelty-profiler.js';
import { pathTemplate } from '../template/command-template.js';

export const OUTBOUND = 'outbound';

function actor(event: ProfileEvent): string | undefined {
  return text(event, 'process.executable') ?? text(event, 'process.name');
}

function connectObservations(event: ProfileEvent): NoveltyObservation[] {
  const direction = text(event, 'network.direction');
  if (event['event.action'] !== 'connect' && direction !== 'egress') return [];
  const exe = actor(event);
  const ip = text(event, 'destination.ip');
  const port = integer(event, 'destination.port');
  if (!exe || port === undefined || (ip && isLoopback(ip))) return [];
  const domain = text(event, 'destination.domain');
  const destination = domain ? registeredDomain(domain) : ip ? addressClass(ip) : undefined;
  if (!destination) return [];
  const transport = text(event, 'network.transport') ?? 'tcp';
  const exeT = pathTemplate(exe);
  const name = basename(exe);
  const service = `${transport}/${port}`;
  const where = `${domain ?? ip}:${port}/${transport}`;
  const portKey = `${exeT} ${service}`;
  return [
    {
      table: 'ports', type: 'new_destination_port', context: exeT, item: service, fleetKey: portKey, key: portKey,
      explain: (a: Assessment) =>
        a.contextKnown
          ? `\`${name}\` connected to ${where} – ${name} never used ${service} on this host (${a.contextItems} other port${a.contextItems === 1 ? '' : 's'} in ${spanText(a.observedDays)}); ${fleetText(a)}`
          : `\`${name}\` connected to ${where} – ${name} never connected out on this host in ${spanText(a.observedDays)}; ${fleetText(a)}`,
      evidence: { destination: where },
    },
    {
      table: 'destinations', type: 'new_destination', context: portKey, item: destination, fleetKey: `${portKey} ${destination}`, key: `${portKey} ${destination}`, weight: 0.9, requireKnownContext: true,
      explain: (a: Assessment) => `\`${name}\` connected to ${where} – ${name} never reached ${destination} on ${service} from this host (${a.contextItems} other destination${a.contextItems === 1 ? '' : 's'} in ${spanText(a.observedDays)}); ${fleetText(a)}`,
      evidence: { destination: where },
    },
  ];
}

function dnsObservations(event: ProfileEvent): NoveltyObservation[] {
  const exe = actor(event);
  const question = text(event, 'dns.question.name');
  if (!exe || !question) return [];
  const domain = registeredDomain(question);
  const exeT = pathTemplate(exe);
  const name = basename(exe);
  return [
    {
      table: 'domains', type: 'new_domain', context: exeT, item: domain, fleetKey: domain, key: `${exeT} ${domain}`, weight: 0.9, requireKnownContext: true,
      explain: (a: Assessment) => `\`${name}\` looked up ${question} – ${name} never resolved a name in ${domain} on this host (${a.contextItems} other domain${a.contextItems === 1 ? '' : 's'} in ${spanText(a.observedDays)}); ${fleetText(a)}`,
      evidence: { question },
    },
  ];
}

export function createOutboundProfiler(): Profiler {
  return createNoveltyProfiler({
    name: OUTBOUND,
    categories: ['network', 'dns'],
    tables: ['ports', 'destinations', 'domains'],
    extract: (event) => (event['event.category'] === 'dns' ? dnsObservations(event) : connectObservations(event)),
    features: (entries) => entries('ports').map((e) => `out:${e.context}>${e.item}`),
  });
}
