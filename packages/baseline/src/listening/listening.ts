// Profiler of listening ports per executable and host: a port a program never listened on here. Ports in the
// ephemeral range (32768+) count as one "ephemeral" port, so client sockets that listen briefly stay quiet.

import type { ProfileEvent, Profiler } from '../core.js';
import { basename, integer, text } from '../internal/fields.js';
import { fleetText, spanText } from '../internal/novelty.js';
import { createNoveltyProfiler } from '../internal/novelty-profiler.js';
import { pathTemplate } from '../template/command-template.js';

export const LISTENING = 'listening';
export const EPHEMERAL_FROM = 32768;

function listeningPort(event: ProfileEvent): number | undefined {
  if (event['event.category'] === 'listening_ports') return integer(event, 'server.port');
  if (event['event.action'] !== 'listen') return undefined;
  return integer(event, 'source.port') ?? integer(event, 'server.port') ?? integer(event, 'destination.port');
}

export function createListeningProfiler(): Profiler {
  return createNoveltyProfiler({
    name: LISTENING,
    categories: ['network', 'listening_ports'],
    tables: ['ports'],
    extract(event) {
      const port = listeningPort(event);
      const exe = text(event, 'process.executable') ?? text(event, 'process.name');
      if (port === undefined || !exe) return [];
      const transport = text(event, 'network.transport') ?? 'tcp';
      const service = `${transport}/${port >= EPHEMERAL_FROM ? 'ephemeral' : port}`;
      const exeT = pathTemplate(exe);
      const name = basename(exe);
      const key = `${exeT} ${service}`;
      return [
        {
          table: 'ports', type: 'new_listening_port', context: exeT, item: service, fleetKey: key, key,
          explain: (a) =>
            a.contextKnown
              ? `\`${name}\` listens on ${transport}/${port} – a port it never listened on here (${a.contextItems} other port${a.contextItems === 1 ? '' : 's'} in ${spanText(a.observedDays)}); ${fleetText(a)}`
              : `\`${name}\` listens on ${transport}/${port} – ${name} never listened on this host in ${spanText(a.observedDays)}; ${fleetText(a)}`,
          evidence: { port, transport },
        },
      ];
    },
    features: (entries) => entries('ports').map((e) => `listen:${basename(e.context)}>${e.item}`),
  });
}
