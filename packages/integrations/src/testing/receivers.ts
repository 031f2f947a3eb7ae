// Local receivers for tests and demos: syslog over UDP/TCP/TLS on 127.0.0.1, an HTTP(S) receiver, and a CEF/LEEF reader.
// Test support only: exporters never import this, and it never listens on anything but loopback.

import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { SyslogTransport } from '../core.js';
import { createOctetCountedDecoder } from '../syslog/framing.js';

export interface SyslogReceiver {
  port: number;
  /** Every message received, in arrival order (framing removed). */
  messages: Buffer[];
  /** Framing or TLS errors seen by the receiver. */
  errors: string[];
  stop(): Promise<void>;
}

export async function startSyslogReceiver(transport: SyslogTransport, tlsIdentity?: { keyPem: string; certPem: string }): Promise<SyslogReceiver> {
  const messages: Buffer[] = [];
  const errors: string[] = [];
  if (transport === 'udp') {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (message) => messages.push(message));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return { port: socket.address().port, messages, errors, stop: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
  }
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const feed = createOctetCountedDecoder((message) => messages.push(Buffer.from(message)));
    socket.on('data', (chunk: Buffer) => {
      try {
        feed(chunk);
      } catch (error) {
        errors.push(String(error));
        socket.destroy();
      }
    });
    socket.on('error', (error) => errors.push(String(error)));
  };
  let server: net.Server;
  if (transport === 'tls') {
    if (!tlsIdentity) throw new Error('a TLS receiver needs a key and certificate');
    server = tls.createServer({ key: tlsIdentity.keyPem, cert: tlsIdentity.certPem }, onConnection);
    server.on('tlsClientError', (error) => errors.push(String(error)));
  } else {
    server = net.createServer(onConnection);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    errors,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpReceiver {
  port: number;
  url: string;
  requests: ReceivedRequest[];
  stop(): Promise<void>;
}

/** `answer` returns the status for each request (after it is recorded); 200 when absent. */
export async function startHttpReceiver(options: { tlsIdentity?: { keyPem: string; certPem: string }; answer?: (request: ReceivedRequest, index: number) => number; port?: number } = {}): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(received);
      const status = options.answer?.(received, requests.length - 1) ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'refused by test receiver');
    });
  };
  const server = options.tlsIdentity ? https.createServer({ key: options.tlsIdentity.keyPem, cert: options.tlsIdentity.certPem }, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `${options.tlsIdentity ? 'https' : 'http'}://127.0.0.1:${port}/ingest`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Splits on `separator` where it is not escaped by a backslash; removes the escaping of `\` and `separator` only. */
function splitEscaped(text: string, separator: string, limit: number): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (parts.length === limit - 1) {
      current += text.slice(i);
      break;
    }
    if (char === '\\' && (text[i + 1] === '\\' || text[i + 1] === separator)) {
      current += text[++i];
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

export interface ParsedCef {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  extension: Record<string, string>;
}

/** Reads a `CEF:0|...` payload; throws on a header without its 7 fields or an extension with an unescaped `=`. */
export function parseCef(text: string): ParsedCef {
  if (!text.startsWith('CEF:')) throw new Error('not a CEF payload');
  const parts = splitEscaped(text.slice(4), '|', 8);
  if (parts.length !== 8) throw new Error(`CEF header has ${parts.length - 1} fields, expected 7`);
  const [version, vendor, product, deviceVersion, signatureId, name, severity, rest] = parts as [string, string, string, string, string, string, string, string];
  const extension: Record<string, string> = {};
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const keys: { key: string; start: number; valueStart: number }[] = [];
  for (let match = keyAt.exec(rest); match; match = keyAt.exec(rest)) {
    keys.push({ key: match[1]!, start: match.index, valueStart: match.index + match[0].length });
  }
  keys.forEach((entry, i) => {
    const raw = rest.slice(entry.valueStart, keys[i + 1]?.start ?? rest.length);
    if (/(^|[^\\])(\\\\)*=/.test(raw)) throw new Error(`CEF value of ${entry.key} holds an unescaped "="`);
    extension[entry.key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  });
  return { version, vendor, product, deviceVersion, signatureId, name, severity, extension };
}

export interface ParsedLeef {
  version: string;
  vendor: string;
  product: string;
  productVersion: string;
  eventId: string;
  attributes: Record<string, string>;
}

/** Reads a tab-delimited `LEEF:1.0|...` payload. */
export function parseLeef(text: string): ParsedLeef {
  if (!text.startsWith('LEEF:')) throw new Error('not a LEEF payload');
  const parts = splitEscaped(text.slice(5), '|', 6);
  if (parts.length !== 6) throw new Error(`LEEF header has ${parts.length - 1} fields, expected 5`);
  const [version, vendor, product, productVersion, eventId, rest] = parts as [string, string, string, string, string, string];
  const attributes: Record<string, string> = {};
  for (const pair of rest.split('\t')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`LEEF attribute ${JSON.stringify(pair)} has no key`);
    attributes[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { version, vendor, product, productVersion, eventId, attributes };
}
