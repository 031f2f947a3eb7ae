// Agent handler of file.collect (spec in @vigil/response/actions/collect): hashes a regular file, then streams it to
// the server's evidence store, which verifies size and sha256. Never reads through a final symlink, never sends more
// than `max_bytes`, never reads the agent's own state (its private key).

import { constants, createReadStream, lstatSync, openSync } from 'node:fs';
import { Readable } from 'node:stream';
import { VigilError } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import { DEFAULT_COLLECT_MAX_BYTES } from '@vigil/response/actions/collect';
import type { ActionHandler } from '../handler.js';
import { createPathPolicy, type PathPolicyOptions } from './internal/path-policy.js';
import { sha256File } from './internal/file-ops.js';
import { mtlsEvidenceUploader, type EvidenceUploader } from './internal/evidence-upload.js';

export type CollectArgs = { path: string; max_bytes?: number };

export interface CollectHandlerOptions extends PathPolicyOptions {
  /** Default: the agent's mutual-TLS identity and the server of the task's context. */
  uploader?: EvidenceUploader;
}

export function createCollectHandlers(options: CollectHandlerOptions = {}): ActionHandler[] {
  const uploader = options.uploader ?? mtlsEvidenceUploader();
  const collect: ActionHandler<CollectArgs> = {
    action: 'file.collect',
    async run(args, context): Promise<ActionOutcome> {
      const path = createPathPolicy(context.stateDir, options).resolve(args.path, 'path', 'read');
      const maxBytes = args.max_bytes ?? DEFAULT_COLLECT_MAX_BYTES;
      let stat;
      try {
        stat = lstatSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new VigilError('not_found', `${path} does not exist`, { location: { path: 'args.path' } });
        throw VigilError.wrap(error, 'system', `cannot stat ${path}`);
      }
      if (!stat.isFile()) throw new VigilError('invalid_input', `${path} is not a regular file${stat.isSymbolicLink() ? ' (a symbolic link: collect its target)' : ''}`, { location: { path: 'args.path' } });
      if (stat.size > maxBytes) throw new VigilError('invalid_input', `${path} has ${stat.size} bytes, over the limit of ${maxBytes} (max_bytes)`, { location: { path: 'args.max_bytes' } });
      const digest = await sha256File(path, context.signal);
      if (digest.size > maxBytes) throw new VigilError('invalid_input', `${path} grew to ${digest.size} bytes while being read, over the limit of ${maxBytes}`, { location: { path: 'args.max_bytes' } });
      context.progress({ message: `uploading ${digest.size} bytes`, fraction: 0 });
      const receipt = await uploader(
        {
          path,
          size: digest.size,
          sha256: digest.sha256,
          // Exactly the hashed length: a file that grew sends its first `size` bytes (a changed hash the server refuses).
          open: () => (digest.size === 0 ? Readable.from([]) : createReadStream(path, { fd: openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW), start: 0, end: digest.size - 1, highWaterMark: 1 << 20 })),
        },
        context,
      );
      return {
        ok: true,
        // The server stored the file only after its own sha256 and size matched ours.
        verified: true,
        summary: `collected ${path} (${digest.size} bytes, sha256 ${digest.sha256.slice(0, 12)}…) as evidence ${receipt.id}`,
        details: { evidence_id: receipt.id, path, sha256: digest.sha256, size: digest.size, mode: (stat.mode & 0o7777).toString(8).padStart(4, '0'), uid: stat.uid, gid: stat.gid, mtime: stat.mtime.toISOString() },
      };
    },
  };
  return [collect];
}
