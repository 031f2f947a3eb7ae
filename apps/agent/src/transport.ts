// HTTPS to the Vigil server: pinned-CA enrollment and the mutual-TLS channel agents use afterwards.
// Never disables certificate verification: before enrollment the CA is pinned by fingerprint, after it by file.

import https from 'node:https';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { VigilError } from '@vigil/common';

export interface HttpResult {
  status: number;
  body: unknown;
}

function request(options: https.RequestOptions, body: string | Buffer | undefined, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // keep the raw text for the error message
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new VigilError('unavailable', `server did not answer within ${timeoutMs} ms`)));
    req.on('error', (error) => reject(error instanceof VigilError ? error : new VigilError('unavailable', `cannot reach ${options.host}:${options.port}: ${error.message}`, { cause: error })));
    req.end(body);
  });
}

export function errorText(result: HttpResult): string {
  const error = (result.body as { error?: { message?: string } } | undefined)?.error;
  return error?.message ?? (typeof result.body === 'string' ? result.body.slice(0, 200) : `HTTP ${result.status}`);
}

/**
 * Connects once to the server and returns the PEM of the CA in its chain whose SHA-256 fingerprint is `pinned`.
 * The server certificate must chain to it; otherwise enrollment is refused before any secret is sent.
 */
export async function fetchPinnedCa(url: URL, pinned: string, timeoutMs = 10_000): Promise<string> {
  const { parseFingerprint } = await import('@vigil/pki');
  const want = parseFingerprint(pinned);
  const chain = await new Promise<tls.DetailedPeerCertificate>((resolve, reject) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port || 443), servername: url.hostname.match(/^[\d.:]+$/) ? undefined : url.hostname, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate(true);
      socket.end();
      resolve(cert);
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timeout')));
    socket.on('error', (error) => reject(new VigilError('unavailable', `cannot reach ${url.host}: ${error.message}`, { cause: error })));
  });
  const seen = new Set<string>();
  for (let cert: tls.DetailedPeerCertificate | undefined = chain; cert && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    if (cert.fingerprint256.replace(/:/g, '').toLowerCase() === want) {
      return new X509Certificate(cert.raw).toString();
    }
  }
  throw new VigilError('enrollment_refused', `the server at ${url.host} does not present the CA with fingerprint ${pinned}; refusing to enroll (possible interception)`);
}

export async function postJson(url: URL, path: string, payload: unknown, tlsOptions: { ca: string; key?: string; cert?: string; agent?: https.Agent }, timeoutMs = 15_000): Promise<HttpResult> {
  const body = Buffer.from(JSON.stringify(payload));
  return request(
    {
      host: url.hostname,
      port: Number(url.port || 443),
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length },
      ...(tlsOptions.agent ? { agent: tlsOptions.agent } : { ca: tlsOptions.ca, key: tlsOptions.key, cert: tlsOptions.cert }),
    },
    body,
    timeoutMs,
  );
}

/** The mutual-TLS channel of an enrolled agent: one keep-alive connection, requests one at a time per caller. */
export class AgentChannel {
  readonly #agent: https.Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(endpoint: string, credentials: { keyPem: string; certPem: string; caPem: string }) {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
    if (!match?.[1] || !match[2]) throw new VigilError('invalid_config', `agent endpoint must be host:port, got ${JSON.stringify(endpoint)}`);
    this.#host = match[1];
    this.#port = Number(match[2]);
    this.#agent = new https.Agent({ keepAlive: true, maxSockets: 2, key: credentials.keyPem, cert: credentials.certPem, ca: credentials.caPem });
  }

  post(path: string, body: string | Buffer, timeoutMs = 30_000): Promise<HttpResult> {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    return request(
      { host: this.#host, port: this.#port, path, method: 'POST', agent: this.#agent, headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      payload,
      timeoutMs,
    );
  }

  close(): void {
    this.#agent.destroy();
  }
}
