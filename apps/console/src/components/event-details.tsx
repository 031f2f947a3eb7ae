// Details of one event in a side dialog: every non-empty field, with a link to the process tree when it has one.

import type { HuntEvent } from '../api/types.js';
import { eventFields } from '../lib/event-summary.js';
import { cellText } from './virtual-table.js';
import { Modal } from './ui.js';
import { Link } from '../router.js';

export function EventDetails({ event, onClose }: { event: HuntEvent; onClose: () => void }) {
  const host = typeof event['host.id'] === 'string' ? event['host.id'] : null;
  const entity = typeof event['process.entity_id'] === 'string' ? event['process.entity_id'] : null;
  return (
    <Modal
      title={`${String(event['event.category'] ?? 'event')} / ${String(event['event.action'] ?? '')}`}
      onClose={onClose}
      footer={
        <>
          {host && entity ? (
            <Link to={`/hosts/${encodeURIComponent(host)}/processes/${encodeURIComponent(entity)}`} className="button" onClick={onClose}>
              Process tree
            </Link>
          ) : null}
          <button type="button" onClick={onClose} autoFocus>
            Close
          </button>
        </>
      }
    >
      <dl className="kv" data-testid="event-details">
        {eventFields(event).map(([key, value]) => (
          <div key={key} className="kv-row">
            <dt>{key}</dt>
            <dd>{cellText(value)}</dd>
          </div>
        ))}
      </dl>
    </Modal>
  );
}
