// The attack-chain graph from a process tree and its events: process nodes linked parent to child, and what each
// process touched (files, connections, DNS names) as leaf nodes. Pure; bounded in size whatever the input.

export interface TreeProcess {
  entityId: string;
  parentEntityId: string | null;
  pid: number | null;
  ppid?: number | null;
  executable: string | null;
  commandLine: string | null;
  user: string | null;
  start: string | null;
  end: string | null;
  exitCode: number | null;
  activity: Record<string, number>;
}

export interface GraphNode {
  id: string;
  parent: string | null;
  kind: 'process' | 'file' | 'network' | 'dns' | 'more';
  label: string;
  sublabel: string;
  /** Shown in the details panel, in order. */
  details: [string, string][];
  highlight: boolean;
}

export const MAX_ARTIFACTS_PER_PROCESS = 8;
export const MAX_NODES = 1500;

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null);
const baseName = (path: string | null): string => (path ? (path.split('/').pop() ?? path) || path : '?');

export function buildGraph(processes: readonly TreeProcess[], events: readonly Record<string, unknown>[], highlight: ReadonlySet<string> = new Set()): GraphNode[] {
  const nodes: GraphNode[] = [];
  const known = new Set<string>();
  for (const p of processes) {
    if (known.has(p.entityId) || nodes.length >= MAX_NODES) continue;
    known.add(p.entityId);
    const activity = Object.entries(p.activity ?? {}).sort((a, b) => b[1] - a[1]);
    nodes.push({
      id: p.entityId,
      parent: p.parentEntityId,
      kind: 'process',
      label: `${baseName(p.executable)}${p.pid !== null ? ` (${p.pid})` : ''}`,
      sublabel: p.commandLine ?? p.executable ?? '',
      details: [
        ['entity id', p.entityId],
        ['pid', p.pid === null ? '–' : String(p.pid)],
        ['executable', p.executable ?? '–'],
        ['command line', p.commandLine ?? '–'],
        ['user', p.user ?? '–'],
        ['started', p.start ?? '–'],
        ['ended', p.end ?? (p.start ? 'running or not seen' : '–')],
        ['exit code', p.exitCode === null ? '–' : String(p.exitCode)],
        ...activity.map(([key, count]): [string, string] => [key, String(count)]),
      ],
      highlight: highlight.has(p.entityId),
    });
  }
  for (const node of nodes) if (node.parent !== null && !known.has(node.parent)) node.parent = null;

  const perProcess = new Map<string, Map<string, GraphNode>>();
  const overflow = new Map<string, number>();
  for (const event of events) {
    if (nodes.length >= MAX_NODES) break;
    const owner = text(event['process.entity_id']);
    if (!owner || !known.has(owner)) continue;
    const category = text(event['event.category']);
    const action = text(event['event.action']) ?? '';
    let key: string | null = null;
    let node: Omit<GraphNode, 'id' | 'parent' | 'highlight'> | null = null;
    if (category === 'file') {
      const path = text(event['file.path']) ?? text(event['file.target_path']);
      if (path) {
        key = `file|${path}`;
        node = { kind: 'file', label: baseName(path), sublabel: `${action} ${path}`, details: [['path', path], ['action', action]] };
      }
    } else if (category === 'network') {
      const ip = text(event['destination.ip']) ?? text(event['source.ip']);
      const port = text(event['destination.port']) ?? text(event['source.port']);
      if (ip) {
        key = `net|${ip}|${port ?? ''}|${action}`;
        node = { kind: 'network', label: `${ip}${port ? `:${port}` : ''}`, sublabel: `${action} ${text(event['network.transport']) ?? ''}`.trim(), details: [['address', ip], ['port', port ?? '–'], ['action', action], ['transport', text(event['network.transport']) ?? '–']] };
      }
    } else if (category === 'dns') {
      const name = text(event['dns.question.name']);
      if (name) {
        key = `dns|${name}`;
        node = { kind: 'dns', label: name, sublabel: `DNS ${text(event['dns.question.type']) ?? 'query'}`, details: [['name', name], ['type', text(event['dns.question.type']) ?? '–']] };
      }
    }
    if (!key || !node) continue;
    const mine = perProcess.get(owner) ?? perProcess.set(owner, new Map()).get(owner)!;
    const existing = mine.get(key);
    if (existing) {
      const seen = existing.details.find(([k]) => k === 'events');
      if (seen) seen[1] = String(Number(seen[1]) + 1);
      continue;
    }
    if (mine.size >= MAX_ARTIFACTS_PER_PROCESS) {
      overflow.set(owner, (overflow.get(owner) ?? 0) + 1);
      continue;
    }
    const full: GraphNode = { ...node, details: [...node.details, ['time', text(event['@timestamp']) ?? '–'], ['events', '1']], id: `${owner}>${key}`, parent: owner, highlight: false };
    mine.set(key, full);
    nodes.push(full);
  }
  for (const [owner, count] of overflow) {
    nodes.push({ id: `${owner}>more`, parent: owner, kind: 'more', label: `+${count} more`, sublabel: 'not drawn', details: [['not drawn', String(count)]], highlight: false });
  }
  return nodes;
}
