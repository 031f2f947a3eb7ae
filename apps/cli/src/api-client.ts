// A small HTTPS JSON client for CLI commands that talk to a server's REST API with an API token.
// Never disables certificate checks: the server CA is always given (from --ca-file or the server's data folder).

import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';

export interface ApiTarget {
  server: string;
  token: string;
  caPem: string;
}

export const DEFAULT_SERVER_URL = 'https://127.0.0.1:8443';

/** Resolves the server URL, token and CA from flags, then the environment, then the local server's data folder. */
export function apiTarget(flags: { server?: string; token?: string; caFile?: string; dataDir?: string }, defaultDataDir: string): ApiTarget {
  const token = flags.token ?? process.env.VIGIL_API_TOKEN;
  if (!token) throw new VigilError('invalid_config', 'give an API token with --token or VIGIL_API_TOKEN');
  const caFile = flags.caFile ?? join(flags.dataDir ?? process.env.VIGIL_DATA_DIR ?? defaultDataDir, 'pki', 'ca.crt');
  let caPem: string;
  try {
    caPem = readFileSync(caFile, 'utf8');
  } catch {
    throw new VigilError('invalid_config', `cannot read the server CA certificate ${caFile}; give --ca-file`);
  }
  return { server: flags.server ?? process.env.VIGIL_SERVER ?? DEFAULT_SERVER_URL, token, caPem };
}

/** Sends one JSON request; resolves with the parsed answer, rejects with a VigilError carrying the server's message. */
export function apiRequest<T = Record<string, unknown>>(target: ApiTarget, method: string, path: string, body?: unknown): Promise<T> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const url = new URL(path, target.server);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        method,
        ca: target.caPem,
        headers: { authorization: `Bearer ${target.token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            reject(new VigilError('unavailable', `server answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
            return;
          }
          const status = res.statusCode ?? 500;
          if (status >= 400) {
            const error = (parsed as { error?: { code?: string; message?: string; location?: { column?: number }; details?: { message: string }[] } }).error;
            const code = status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : status >= 500 ? 'unavailable' : 'invalid_input';
            const hint = error?.details?.map((d) => d.message).filter((m) => m && m !== error.message).join('; ');
            reject(new VigilError(code, `${error?.message ?? text.slice(0, 200)}${hint ? ` (${hint})` : ''}`, error?.location?.column ? { location: { column: error.location.column } } : {}));
            return;
          }
          resolvePromise(parsed as T);
        });
      },
    );
    req.on('error', (error) => reject(VigilError.wrap(error, 'unavailable', `cannot reach ${target.server}`)));
    req.end(payload);
  });
}
