// Runs an operating-system tool (nft, ss, usermod, chattr, ...) for response actions, without a shell.
// Never interpolates arguments into a command line; a missing tool or a timeout is a `system` VigilError naming it.

import { spawn } from 'node:child_process';
import { VigilError } from '@vigil/common';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Written to the tool's stdin (then closed); stdin is empty otherwise. */
  input?: string;
  timeoutMs?: number;
}

/** Most output kept per stream; more is cut so a chatty tool cannot exhaust the agent's memory. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Resolves with the exit code and output (a non-zero exit is not an error); rejects when it cannot start or times out. */
export function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const collect = () => {
      const chunks: Buffer[] = [];
      let size = 0;
      return {
        push(chunk: Buffer) {
          if (size >= MAX_OUTPUT_BYTES) return;
          chunks.push(chunk.subarray(0, MAX_OUTPUT_BYTES - size));
          size += chunk.length;
        },
        text: () => Buffer.concat(chunks).toString('utf8'),
      };
    };
    const out = collect();
    const err = collect();
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      child.kill('SIGKILL');
      reject(new VigilError('system', `${file} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(new VigilError('system', error.code === 'ENOENT' ? `${file} is not installed (needed for this action)` : `cannot run ${file}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve({ code: code ?? -1, stdout: out.text(), stderr: err.text() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs the command and throws a `system` error with its stderr when it exits non-zero; resolves with stdout. */
export async function runChecked(file: string, args: readonly string[], options?: CommandOptions): Promise<string> {
  const result = await runCommand(file, args, options);
  if (result.code !== 0) throw new VigilError('system', `${file} ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}
