// Agent health from a host's last heartbeat: events lost on the way (spool drops, invalid or refused events, source
// drops and audit record gaps) and events a source filtered on purpose. Pure; tolerates any heartbeat shape.

export interface HostHealth {
  lost: number;
  filtered: number;
  /** Every non-zero loss or filter counter, as `source.counter` → value. */
  problems: [string, number][];
}

const lossCounters = ['dropped', 'invalid', 'rejected'];
const lossPattern = /drop|lost|gap|parseerror|truncat|oversize/i;
const filterPattern = /filter/i;

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

export function hostHealth(counters: unknown, sources: unknown): HostHealth {
  const problems: [string, number][] = [];
  let lost = 0;
  let filtered = 0;
  if (counters && typeof counters === 'object') {
    for (const key of lossCounters) {
      const value = num((counters as Record<string, unknown>)[key]);
      if (value) {
        lost += value;
        problems.push([`agent.${key}`, value]);
      }
    }
  }
  const entries: [string, unknown][] = Array.isArray(sources)
    ? sources.map((s, i): [string, unknown] => [typeof (s as { name?: unknown })?.name === 'string' ? String((s as { name: string }).name) : `source${i}`, s])
    : sources && typeof sources === 'object'
      ? Object.entries(sources as Record<string, unknown>)
      : [];
  for (const [name, stats] of entries) {
    if (!stats || typeof stats !== 'object') continue;
    for (const [key, raw] of Object.entries(stats as Record<string, unknown>)) {
      const value = num(raw);
      if (!value) continue;
      if (filterPattern.test(key)) {
        filtered += value;
        problems.push([`${name}.${key}`, value]);
      } else if (lossPattern.test(key)) {
        lost += value;
        problems.push([`${name}.${key}`, value]);
      }
    }
  }
  return { lost, filtered, problems };
}
