// Minimal HTTPS JSON client over node:https for benchmarks: TLS verified against a given CA, optional client certificate.
// Never disables certificate checks; a non-2xx answer becomes an Error carrying the status and body.

import { Agent, request } from 'node:https';

export interface JsonResponse<T> {
  status: number;
  body: T;
}

/** Sends one request and resolves with the parsed JSON answer; rejects on network errors and non-2xx statuses. */
export function requestJson<T>(url: string, options: { method: string; agent?: Agent; ca?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<JsonResponse<T>> {
  return new Promise((resolve, reject) => {
    const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    const headers: Record<string, string | number> = { accept: 'application/json', ...options.headers };
    if (body) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = body.length;
    }
    const req = request(url, { method: options.method, headers, ...(options.agent ? { agent: options.agent } : { ca: options.ca }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          reject(new Error(`${options.method} ${url} answered ${status}: ${text.slice(0, 500)}`));
          return;
        }
        try {
          resolve({ status, body: JSON.parse(text) as T });
        } catch (error) {
          reject(new Error(`${options.method} ${url} answered invalid JSON: ${(error as Error).message}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
