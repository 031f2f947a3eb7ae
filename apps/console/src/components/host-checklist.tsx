// A checklist of hosts (one checkbox per host, labelled by its name) for dialogs that act on several hosts.
// Controlled: the caller keeps the chosen ids; the list never fetches or filters hosts itself.

import type { Host } from '../api/types.js';

export function HostChecklist({ hosts, chosen, onToggle, showState }: { hosts: readonly Host[]; chosen: ReadonlySet<string>; onToggle: (id: string) => void; showState?: boolean }) {
  return (
    <ul className="plain">
      {hosts.map((h) => (
        <li key={h.id}>
          <label>
            <input type="checkbox" checked={chosen.has(h.id)} onChange={() => onToggle(h.id)} />{' '}
            {h.hostname}
            {showState ? (
              <>
                {' '}
                <span className="muted small">{h.state}</span>
              </>
            ) : null}
          </label>
        </li>
      ))}
    </ul>
  );
}
