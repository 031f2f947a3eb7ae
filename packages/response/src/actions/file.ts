// Declarations of the file actions: quarantine and restore, delete, and restricting permissions on a path.
// Data only: the agent's handlers (apps/agent/src/response/handlers/file.ts) implement and verify them.

import type { ActionSpec, JsonSchema } from '../core.js';

/** An absolute path on the endpoint (no NUL bytes); the agent resolves `..` and refuses protected locations. */
export const absolutePath: JsonSchema = { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/[^\\u0000]*$', description: 'Absolute path on the endpoint' };

/** A quarantine vault entry, as returned in `details.vault_id` by file.quarantine. */
export const vaultId: JsonSchema = { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'Vault entry id returned by file.quarantine' };

export const specs: ActionSpec[] = [
  {
    name: 'file.quarantine',
    title: 'Quarantine file',
    description:
      'Moves a regular file into the agent\'s locked vault (folder 0700, file mode 0000, immutable when the file system allows) and records its original path, owner, mode, timestamps, attribute flags, size and sha256. Verified when the path is gone and the vault copy hashes the same as the file did.',
    permission: 'response:remediate',
    verification: 'The original path is gone and the vault copy hashes to the sha256 the file had.',
    args: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: absolutePath } },
    reversedBy: 'file.restore',
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 600,
  },
  {
    name: 'file.restore',
    title: 'Restore quarantined file',
    description:
      'Puts a quarantined file back at its original path with its content, owner, group, mode, timestamps and immutable/append-only flags. Refuses when something exists at that path. Verified by sha256, owner, mode and modification time of the restored file.',
    permission: 'response:remediate',
    verification: 'The restored file has the recorded sha256, owner, group, mode, modification time and flags.',
    args: { type: 'object', additionalProperties: false, required: ['vault_id'], properties: { vault_id: vaultId } },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 600,
  },
  {
    name: 'file.delete',
    title: 'Delete file',
    description:
      'Deletes a file (or, with `recursive`, a directory tree that does not cross a mount point) after recording the sha256 and size of what it removes. Refuses /, system folders and the agent\'s own files. Verified when the path no longer exists. Cannot be undone: quarantine instead when in doubt.',
    permission: 'response:remediate',
    verification: 'The path no longer exists (its sha256 and size were recorded before).',
    args: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: { path: absolutePath, recursive: { type: 'boolean', default: false, description: 'Required to delete a directory and everything below it' } },
    },
    destructive: true,
    platforms: ['linux'],
    timeoutSeconds: 600,
  },
  {
    name: 'path.restrict',
    title: 'Restrict permissions on a path',
    description:
      'Sets the permission bits of a file or directory and/or makes it immutable (chattr +i), after recording the previous mode and flags. Verified by reading the mode and the flags back.',
    permission: 'response:contain',
    verification: 'The mode and the immutable flag are read back and equal the requested ones.',
    args: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      // path plus at least one of mode and immutable
      minProperties: 2,
      properties: {
        path: absolutePath,
        mode: { type: 'string', pattern: '^0?[0-7]{3,4}$', description: 'New permission bits in octal, e.g. "0000" or "0700"' },
        immutable: { type: 'boolean', description: 'true: set the immutable flag; false: clear it' },
      },
    },
    reversedBy: 'path.unrestrict',
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 30,
  },
  {
    name: 'path.unrestrict',
    title: 'Undo a path restriction',
    description:
      'Restores the mode and the immutable/append-only flags a path had before its first path.restrict. Verified by reading them back.',
    permission: 'response:contain',
    verification: 'The mode and flags are read back and equal those recorded before the first restriction.',
    args: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: absolutePath } },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 30,
  },
];
