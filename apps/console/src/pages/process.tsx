// Process tree of any process: its ancestors and descendants with what each touched (files, connections, DNS),
// laid out as an interactive graph.

import { useEffect, useMemo, useState } from 'react';
import { api, query } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import type { HuntResult, ProcessTree } from '../api/types.js';
import { ErrorBox, Loading, Page, Notice } from '../components/ui.js';
import { ProcessGraph } from '../graph/process-graph.js';
import { buildGraph } from '../lib/graph-model.js';
import { Link } from '../router.js';
import type { PageProps } from '../nav.js';

/** Events of these processes (files, connections, DNS), newest first, through the hunt API. */
export async function artifactEvents(hostId: string, entityIds: readonly string[]): Promise<Record<string, unknown>[]> {
  const ids = entityIds.slice(0, 400);
  if (!ids.length) return [];
  const list = ids.map((id) => JSON.stringify(id)).join(', ');
  const kinds = ['file', 'network', 'dns'];
  const results = await Promise.all(
    kinds.map((category) => api.post<HuntResult>('/api/v1/hunt', { query: `${category} where process.entity_id in_cs (${list}) | limit 2000`, host_ids: [hostId], limit: 2000 }).catch(() => null)),
  );
  return results.flatMap((r) => r?.rows ?? []);
}

export default function ProcessPage({ params }: PageProps) {
  const hostId = params.id ?? '';
  const entity = params.entity ?? '';
  const { nameOf } = useHosts();
  const tree = useResource<ProcessTree>(`/api/v1/hosts/${encodeURIComponent(hostId)}/process-tree${query({ entity_id: entity })}`);
  const [events, setEvents] = useState<Record<string, unknown>[]>([]);
  useEffect(() => {
    if (!tree.data) return;
    let live = true;
    void artifactEvents(hostId, [...tree.data.ancestors, ...tree.data.nodes].map((n) => n.entityId)).then((rows) => live && setEvents(rows));
    return () => {
      live = false;
    };
  }, [tree.data, hostId]);
  const nodes = useMemo(() => (tree.data ? buildGraph([...tree.data.ancestors].reverse().concat(tree.data.nodes), events, new Set([entity])) : []), [tree.data, events, entity]);
  return (
    <Page
      title="Process tree"
      subtitle={
        <>
          on <Link to={`/hosts/${encodeURIComponent(hostId)}`}>{nameOf(hostId)}</Link>
        </>
      }
    >
      <ErrorBox error={tree.error} />
      {!tree.data && tree.loading ? <Loading what="process tree" /> : null}
      {tree.data?.truncated ? <Notice tone="warning">The tree is larger than shown (at most 10 levels and 2,000 processes).</Notice> : null}
      {tree.data && !tree.data.nodes.length ? <Notice tone="warning">No process events with this entity id are stored on this host.</Notice> : null}
      {nodes.length ? <ProcessGraph nodes={nodes} initialSelection={entity} /> : null}
    </Page>
  );
}
