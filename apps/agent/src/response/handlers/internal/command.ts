// Runs an operating-system tool (usermod, passwd, chattr, lsattr, ...) without a shell and captures its output.
// Never interpolates arguments into a command line; a missing tool is a `system` error naming it.

import { execFile } from 'node:child_process';
import { VigilError } from '@vigil/common';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args` and resolves with its exit code and output (a non-zero exit is not an error here). */
export function runCommand(file: string, args: readonly string[], timeoutMs = 15_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const failure = error as (NodeJS.ErrnoException & { code?: string | number; killed?: boolean }) | null;
      if (failure && typeof failure.code === 'string') {
        reject(new VigilError('system', failure.code === 'ENOENT' ? `${file} is not installed (needed for this action)` : `cannot run ${file}: ${failure.message}`, { cause: error }));
        return;
      }
      if (failure?.killed) {
        reject(new VigilError('system', `${file} did not finish within ${timeoutMs} ms`, { cause: error }));
        return;
      }
      resolve({ code: failure ? Number(failure.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs the command and throws a `system` error with its stderr when it exits non-zero. */
export async function runChecked(file: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await runCommand(file, args, timeoutMs);
  if (result.code !== 0) throw new VigilError('system', `${file} ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}
