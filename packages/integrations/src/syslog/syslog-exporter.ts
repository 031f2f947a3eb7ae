// The syslog exporter: one RFC 5424 message per record (JSON, CEF or LEEF payload) over UDP (RFC 5426), TCP with
// octet counting (RFC 6587) or TLS (RFC 5425). Never reports a write as delivered before the socket accepted it.

import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { VigilError } from '@vigil/common';
import type { Exporter, ExportRecord, SyslogSettings } from '../core.js';
import { formatCef } from './cef.js';
import { frameOctetCounted } from './framing.js';
import { formatLeef } from './leef.js';
import { DEFAULT_MAX_MESSAGE_BYTES, defaultIdentity, formatRfc5424, recordHeader, vigilStructuredData, type SyslogIdentity } from './rfc5424.js';

const DEFAULT_TIMEOUT_MS = 10_000;

/** The RFC 5424 message of one record in the configured payload format. */
export function formatSyslogMessage(record: ExportRecord, format: SyslogSettings['format'], identity: SyslogIdentity, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): string {
  const header = recordHeader(record, identity);
  if (format === 'cef') return formatRfc5424({ ...header, structuredData: [], msg: formatCef(record), utf8Bom: false }, maxBytes);
  if (format === 'leef') return formatRfc5424({ ...header, structuredData: [], msg: formatLeef(record), utf8Bom: false }, maxBytes);
  const body = record.type === 'alert' ? record.alert : record.event;
  return formatRfc5424({ ...header, structuredData: [vigilStructuredData(record)], msg: JSON.stringify(body), utf8Bom: true }, maxBytes);
}

interface Transport {
  write(messages: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

function unavailable(settings: SyslogSettings, error: unknown): VigilError {
  return VigilError.wrap(error, 'unavailable', `syslog ${settings.transport}://${settings.host}:${settings.port} failed`);
}

function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => void, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new VigilError('unavailable', `${what} timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function udpTransport(settings: SyslogSettings): Transport {
  let socket: dgram.Socket | undefined;
  let connecting: Promise<dgram.Socket> | undefined;
  /** An asynchronous socket error (ICMP port unreachable arrives as ECONNREFUSED after a send): reported by the next send. */
  let lateError: Error | undefined;
  const connect = () =>
    (connecting ??= new Promise<dgram.Socket>((resolve, reject) => {
      const created = dgram.createSocket(net.isIPv6(settings.host) ? 'udp6' : 'udp4');
      created.once('error', (error) => {
        connecting = undefined;
        created.close();
        reject(error);
      });
      created.connect(settings.port, settings.host, () => {
        created.removeAllListeners('error');
        created.on('error', (error) => {
          lateError = error;
        });
        socket = created;
        resolve(created);
      });
    }));
  return {
    async write(messages) {
      try {
        if (lateError) {
          const error = lateError;
          lateError = undefined;
          throw error;
        }
        const open = socket ?? (await connect());
        for (const message of messages) {
          await new Promise<void>((resolve, reject) => open.send(Buffer.from(message, 'utf8'), (error) => (error ? reject(error) : resolve())));
        }
      } catch (error) {
        socket?.close();
        socket = undefined;
        connecting = undefined;
        throw unavailable(settings, error);
      }
    },
    async close() {
      const open = socket;
      socket = undefined;
      connecting = undefined;
      if (open) await new Promise<void>((resolve) => open.close(() => resolve()));
    },
  };
}

function streamTransport(settings: SyslogSettings): Transport {
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let socket: net.Socket | undefined;
  const drop = (broken: net.Socket) => {
    if (socket === broken) socket = undefined;
    broken.destroy();
  };
  const connect = (): Promise<net.Socket> =>
    new Promise<net.Socket>((resolve, reject) => {
      let created: net.Socket;
      const ready = () => {
        created.removeListener('error', reject);
        created.on('error', () => drop(created));
        created.on('end', () => drop(created));
        created.on('close', () => drop(created));
        created.on('data', () => undefined);
        resolve(created);
      };
      if (settings.transport === 'tls') {
        created = tls.connect({
          host: settings.host,
          port: settings.port,
          ...(settings.caPem ? { ca: [settings.caPem] } : {}),
          ...(settings.serverName ? { servername: settings.serverName } : net.isIP(settings.host) ? {} : { servername: settings.host }),
          rejectUnauthorized: true,
        });
        created.once('secureConnect', ready);
      } else {
        created = net.connect({ host: settings.host, port: settings.port });
        created.once('connect', ready);
      }
      created.once('error', reject);
      created.setNoDelay(true);
    });
  return {
    async write(messages) {
      let open = socket;
      try {
        if (!open || open.destroyed || !open.writable) {
          const pending = connect();
          open = await withTimeout(pending, timeoutMs, () => void pending.then((s) => s.destroy(), () => undefined), 'syslog connect');
          socket = open;
        }
        const target = open;
        const payload = Buffer.concat(messages.map(frameOctetCounted));
        await withTimeout(new Promise<void>((resolve, reject) => target.write(payload, (error) => (error ? reject(error) : resolve()))), timeoutMs, () => drop(target), 'syslog write');
      } catch (error) {
        if (open) drop(open);
        throw unavailable(settings, error);
      }
    },
    async close() {
      const open = socket;
      socket = undefined;
      if (!open || open.destroyed) return;
      await new Promise<void>((resolve) => {
        open.once('close', () => resolve());
        open.end();
        setTimeout(() => open.destroy(), 1000).unref();
      });
    },
  };
}

export function createSyslogExporter(settings: SyslogSettings): Exporter {
  const identity = defaultIdentity({ ...(settings.facility !== undefined ? { facility: settings.facility } : {}), ...(settings.hostname ? { hostname: settings.hostname } : {}) });
  const maxBytes = settings.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const transport = settings.transport === 'udp' ? udpTransport(settings) : streamTransport(settings);
  let closed = false;
  return {
    kind: 'syslog',
    async send(records) {
      if (closed) throw new VigilError('unavailable', 'the syslog exporter is closed');
      if (!records.length) return;
      await transport.write(records.map((record) => formatSyslogMessage(record, settings.format, identity, maxBytes)));
    },
    async close() {
      closed = true;
      await transport.close();
    },
  };
}
