// One HTTP(S) POST with a deadline, for the webhook and NDJSON exporters.
// Never follows redirects and never treats a non-2xx answer as delivered.

import http from 'node:http';
import https from 'node:https';
import { VigilError } from '@vigil/common';

export interface PostOptions {
  url: string;
  body: Buffer;
  headers: Record<string, string>;
  caPem?: string;
  timeoutMs: number;
}

/** Resolves on a 2xx answer; throws VigilError `unavailable` naming the status or network error otherwise. */
export function postOnce(options: PostOptions): Promise<void> {
  let target: URL;
  try {
    target = new URL(options.url);
  } catch (error) {
    return Promise.reject(VigilError.wrap(error, 'invalid_config', `destination URL ${JSON.stringify(options.url)} is not valid`));
  }
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return Promise.reject(new VigilError('invalid_config', `destination URL must be http or https, got ${target.protocol}`));
  const where = `${target.protocol}//${target.host}${target.pathname}`;
  return new Promise<void>((resolve, reject) => {
    const request = (secure ? https : http).request(
      {
        method: 'POST',
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || (secure ? 443 : 80),
        path: target.pathname + target.search,
        headers: { ...options.headers, 'content-length': String(options.body.length) },
        agent: false,
        timeout: options.timeoutMs,
        ...(secure && options.caPem ? { ca: [options.caPem] } : {}),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < 2048) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () => {
          if (status >= 200 && status < 300) return resolve();
          const text = Buffer.concat(chunks).toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim();
          reject(new VigilError('unavailable', `${where} answered ${status}${text ? `: ${text}` : ''}`));
        });
        response.on('error', (error) => reject(VigilError.wrap(error, 'unavailable', `${where} broke the answer`)));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => reject(VigilError.wrap(error, 'unavailable', `${where} could not be reached`)));
    request.end(options.body);
  });
}
