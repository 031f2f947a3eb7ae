// Reads newline-terminated records from auditd's af_unix socket, reconnecting when auditd restarts or reloads.
// Never buffers more than one maximum-length line, and never throws from its callbacks' side: problems go to onProblem.

import { createConnection, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { VigilError } from '@vigil/common';
import { MAX_RECORD_LINE } from './record-parser.js';

export interface SocketReaderOptions {
  path: string;
  onLine: (line: string) => void;
  /** A disconnect, a refused reconnect, an overlong line. */
  onProblem?: (message: string, fields?: Record<string, unknown>) => void;
  /** Longest line kept; longer ones are skipped and reported (default MAX_RECORD_LINE). */
  maxLineLength?: number;
  /** Reconnect delays grow from `retryMinMs` to `retryMaxMs` (defaults 50 and 2000). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface SocketReaderStats {
  connects: number;
  disconnects: number;
  lines: number;
  oversizeLines: number;
}

export interface SocketReader {
  /** Connects once; rejects with VigilError('unavailable') when the first connection fails. Later drops reconnect. */
  connect(): Promise<void>;
  /** Disconnects for good; a partial last line is discarded. */
  close(): void;
  stats(): SocketReaderStats;
}

export function createSocketReader(options: SocketReaderOptions): SocketReader {
  const maxLine = options.maxLineLength ?? MAX_RECORD_LINE;
  const retryMin = options.retryMinMs ?? 50;
  const retryMax = options.retryMaxMs ?? 2000;
  const problem = options.onProblem ?? (() => undefined);
  const counts = { connects: 0, disconnects: 0, lines: 0, oversizeLines: 0 };
  let socket: Socket | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let delay = retryMin;
  let pending = '';
  let skipping = false;
  let decoder = new StringDecoder('utf8');
  const connected = new WeakSet<Socket>();

  const feed = (text: string) => {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (skipping) {
        skipping = false;
        pending = '';
        continue;
      }
      const line = pending.length > 0 ? pending + piece : piece;
      pending = '';
      if (line.length > maxLine) {
        counts.oversizeLines++;
        problem('skipped an audit record longer than the limit', { length: line.length, limit: maxLine });
        continue;
      }
      counts.lines++;
      options.onLine(line);
      if (closed) return;
    }
    if (skipping) return;
    pending += text.slice(start);
    if (pending.length > maxLine) {
      counts.oversizeLines++;
      problem('skipping an audit record longer than the limit', { limit: maxLine });
      pending = '';
      skipping = true;
    }
  };

  const attach = (s: Socket, onFirstError?: (error: Error) => void) => {
    s.on('data', (chunk: Buffer) => feed(decoder.write(chunk)));
    s.on('error', (error) => {
      if (onFirstError) onFirstError(error);
      else if (!closed) problem('auditd socket error', { error: error.message });
    });
    s.on('close', () => {
      if (socket === s) socket = undefined;
      if (closed || counts.connects === 0) return;
      if (connected.has(s)) counts.disconnects++;
      connected.delete(s);
      pending = '';
      skipping = false;
      decoder = new StringDecoder('utf8');
      scheduleReconnect();
    });
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (closed) return;
      const s = createConnection({ path: options.path });
      socket = s;
      let failed = false;
      attach(s, (error) => {
        if (failed) return;
        failed = true;
        delay = Math.min(retryMax, delay * 2);
        if (delay === retryMax) problem('cannot reconnect to the auditd socket; retrying', { path: options.path, error: error.message });
      });
      s.once('connect', () => {
        counts.connects++;
        connected.add(s);
        delay = retryMin;
        problem('reconnected to the auditd socket', { path: options.path });
      });
    }, delay);
  };

  return {
    connect() {
      return new Promise((resolve, reject) => {
        if (closed) {
          reject(new VigilError('unavailable', 'the auditd socket reader is closed'));
          return;
        }
        const s = createConnection({ path: options.path });
        socket = s;
        let settled = false;
        attach(s, (error) => {
          if (settled) {
            if (!closed) problem('auditd socket error', { error: error.message });
            return;
          }
          settled = true;
          reject(new VigilError('unavailable', `cannot connect to auditd's af_unix socket ${options.path}: ${error.message}`, { cause: error }));
        });
        s.once('connect', () => {
          counts.connects++;
          connected.add(s);
          settled = true;
          resolve();
        });
      });
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      socket?.destroy();
      socket = undefined;
      pending = '';
    },
    stats: () => ({ ...counts }),
  };
}
