// One line describing a stored event for timelines and lists: what ran, what was touched, where it connected.
// Pure; reads only well-known fields and falls back to the category and action.

const s = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : Array.isArray(value) ? value.join(' ') : '');

export function eventSummary(event: Record<string, unknown>): string {
  const category = s(event['event.category']);
  const process = s(event['process.command_line']) || s(event['process.executable']) || s(event['process.name']);
  switch (category) {
    case 'process':
      return process || s(event['process.pid']);
    case 'network': {
      const dest = s(event['destination.ip']);
      const src = s(event['source.ip']);
      const peer = dest ? `${dest}${event['destination.port'] !== undefined && event['destination.port'] !== null ? `:${s(event['destination.port'])}` : ''}` : src ? `${src}:${s(event['source.port'])}` : '';
      return [s(event['process.name']) || process, peer ? `→ ${peer}` : '', s(event['network.transport'])].filter(Boolean).join(' ');
    }
    case 'dns':
      return [s(event['dns.question.name']), s(event['process.name']) ? `by ${s(event['process.name'])}` : ''].filter(Boolean).join(' ');
    case 'file':
      return [s(event['file.path']) || s(event['file.name']), s(event['process.name']) ? `by ${s(event['process.name'])}` : ''].filter(Boolean).join(' ');
    case 'authentication':
      return [s(event['user.name']), s(event['source.ip']) ? `from ${s(event['source.ip'])}` : '', s(event['event.outcome'])].filter(Boolean).join(' ');
    default: {
      const text = s(event['message']) || s(event['file.path']) || process || s(event['dns.question.name']) || s(event['user.name']);
      return text || `${category}/${s(event['event.action'])}`;
    }
  }
}

/** The non-empty fields of an event, sorted with the common ones first. */
export function eventFields(event: Record<string, unknown>): [string, unknown][] {
  const first = ['@timestamp', 'event.category', 'event.action', 'event.outcome', 'host.id', 'process.pid', 'process.executable', 'process.command_line', 'user.name'];
  return Object.entries(event)
    .filter(([, v]) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))
    .sort((a, b) => {
      const ia = first.indexOf(a[0]);
      const ib = first.indexOf(b[0]);
      if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
      return a[0].localeCompare(b[0]);
    });
}
