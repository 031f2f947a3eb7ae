// Incidents in the console: alerts of the same host whose activity lies within a window of each other form one
// incident (single linkage on time). Pure; the server's alert grouping (rule + host + process) is kept as is.

export interface AlertLike {
  id: string;
  hostId: string;
  level: string;
  status: string;
  ruleTitle: string;
  tags: readonly string[];
  firstSeen: string;
  lastSeen: string;
  count: number;
}

export interface Incident<A extends AlertLike = AlertLike> {
  /** Id of the incident's first alert. */
  id: string;
  hostId: string;
  alerts: A[];
  firstSeen: string;
  lastSeen: string;
  level: string;
  /** Alerts not resolved or false positive. */
  open: number;
  rules: string[];
  tags: string[];
}

export const levelRank: Record<string, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };
export const closedStatuses = new Set(['resolved', 'false_positive']);

export function groupIncidents<A extends AlertLike>(alerts: readonly A[], windowMs = 30 * 60 * 1000): Incident<A>[] {
  const byHost = new Map<string, A[]>();
  for (const alert of alerts) (byHost.get(alert.hostId) ?? byHost.set(alert.hostId, []).get(alert.hostId)!).push(alert);
  const incidents: Incident<A>[] = [];
  for (const [hostId, list] of byHost) {
    const sorted = [...list].sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen) || a.id.localeCompare(b.id));
    let current: A[] = [];
    let reach = -Infinity;
    const flush = () => {
      if (current.length) incidents.push(summarise(hostId, current));
      current = [];
    };
    for (const alert of sorted) {
      const first = Date.parse(alert.firstSeen);
      const last = Date.parse(alert.lastSeen);
      if (current.length && !(first <= reach + windowMs)) {
        flush();
        reach = -Infinity;
      }
      current.push(alert);
      reach = Math.max(reach, Number.isFinite(last) ? last : first);
    }
    flush();
  }
  return incidents.sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen));
}

function summarise<A extends AlertLike>(hostId: string, alerts: A[]): Incident<A> {
  const level = alerts.reduce((best, a) => ((levelRank[a.level] ?? -1) > (levelRank[best] ?? -1) ? a.level : best), alerts[0]!.level);
  return {
    id: alerts[0]!.id,
    hostId,
    alerts,
    firstSeen: alerts.reduce((m, a) => (a.firstSeen < m ? a.firstSeen : m), alerts[0]!.firstSeen),
    lastSeen: alerts.reduce((m, a) => (a.lastSeen > m ? a.lastSeen : m), alerts[0]!.lastSeen),
    level,
    open: alerts.filter((a) => !closedStatuses.has(a.status)).length,
    rules: [...new Set(alerts.map((a) => a.ruleTitle))],
    tags: [...new Set(alerts.flatMap((a) => a.tags))].filter((t) => t.startsWith('attack.')).sort(),
  };
}
