// Host names for ids shown across pages (alerts, hunts, sweeps carry host ids only).

import { useMemo } from 'react';
import { useResource } from './use-resource.js';
import type { Host } from './types.js';
import { useCan } from '../session.js';

export function useHosts(refreshMs = 30_000) {
  const allowed = useCan('hosts:read');
  const hosts = useResource<Host[]>(allowed ? '/api/v1/hosts' : null, { refreshMs });
  const names = useMemo(() => new Map((hosts.data ?? []).map((h) => [h.id, h.hostname])), [hosts.data]);
  return { ...hosts, names, nameOf: (id: string) => names.get(id) ?? (id ? id.slice(0, 8) : 'no host') };
}

export function isIsolated(host: Host): boolean {
  return host.isolated === true || host.isolation?.state === 'isolated' || host.state === 'isolated';
}
