// Declarations of the account actions: lock a local user account (and end its sessions) and unlock it.
// Data only: the agent's handlers (apps/agent/src/response/handlers/account.ts) implement and verify them.

import type { ActionSpec, JsonSchema } from '../core.js';

/** A local user name as useradd accepts it (Debian's relaxed rules, without spaces, colons or slashes). */
export const userName: JsonSchema = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.][A-Za-z0-9_.-]*\\$?$', description: 'Local user name' };

export const specs: ActionSpec[] = [
  {
    name: 'account.lock',
    title: 'Lock user account',
    description:
      'Locks the password (usermod -L), expires the account so key-based logins fail too, and (unless `end_sessions` is false) kills every process of the user, which ends its SSH and console sessions. Refuses root and the account the agent runs as. Verified when `passwd -S` reports L, the account is expired and none of its processes is left.',
    permission: 'response:contain',
    verification: '`passwd -S` reports L, the shadow expiry is in the past and no process of the user is left.',
    args: {
      type: 'object',
      additionalProperties: false,
      required: ['user'],
      properties: { user: userName, end_sessions: { type: 'boolean', default: true, description: "Kill the user's processes (sessions)" } },
    },
    reversedBy: 'account.unlock',
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 60,
  },
  {
    name: 'account.unlock',
    title: 'Unlock user account',
    description:
      'Restores the password lock state and the expiry date the account had before account.lock (or, without a record, unlocks it and clears the expiry). Verified with `passwd -S` and the shadow expiry field.',
    permission: 'response:contain',
    verification: '`passwd -S` and the shadow expiry equal the state recorded before the lock.',
    args: { type: 'object', additionalProperties: false, required: ['user'], properties: { user: userName } },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 60,
  },
];
