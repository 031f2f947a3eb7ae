// Host names for ids shown across pages (alerts, hunts, sweeps carry host ids only).

import { useEffect, useMemo, useState } from 'react';
import { api } from './client.js';
import { useResource } from './use-resource.js';
import type { Host } from './types.js';
import { useCan, useSession } from '../session.js';

export function useHosts(refreshMs = 30_000) {
  const allowed = useCan('hosts:read');
  const hosts = useResource<Host[]>(allowed ? '/api/v1/hosts' : null, { refreshMs });
  const names = useMemo(() => new Map((hosts.data ?? []).map((h) => [h.id, h.hostname])), [hosts.data]);
  return { ...hosts, names, nameOf: (id: string) => names.get(id) ?? (id ? id.slice(0, 8) : 'no host') };
}

export function isIsolated(host: Host): boolean {
  return host.isolated === true || host.isolation?.state === 'isolated' || host.state === 'isolated';
}

/** Most hosts whose tags the list fetches one by one (the API has tags per host only). */
export const MAX_TAGGED_HOSTS = 200;

/** Tags of the given hosts (host id → tags), fetched once per set of hosts when the server has host tags. */
export function useHostTags(hostIds: readonly string[]): Map<string, string[]> {
  const { hasRoute } = useSession();
  const available = hasRoute('GET', '/api/v1/hosts/:id/tags');
  const key = available ? [...hostIds].sort().slice(0, MAX_TAGGED_HOSTS).join(',') : '';
  const [tags, setTags] = useState<Map<string, string[]>>(new Map());
  useEffect(() => {
    if (!key) return;
    const controller = new AbortController();
    void Promise.all(
      key.split(',').map((id) =>
        api
          .get<{ tags: string[] }>(`/api/v1/hosts/${encodeURIComponent(id)}/tags`, controller.signal)
          .then((answer): [string, string[]] => [id, answer.tags])
          .catch((): [string, string[]] => [id, []]),
      ),
    ).then((entries) => !controller.signal.aborted && setTags(new Map(entries)));
    return () => controller.abort();
  }, [key]);
  return tags;
}
