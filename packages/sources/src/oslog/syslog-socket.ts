// A local syslog socket (/dev/log or a configured path) that local programs write to. Datagram sockets (what glibc's
// syslog(3) and logger(1) try first) go through a small python3 relay, because Node has no AF_UNIX datagrams; stream
// sockets are served by Node itself (glibc falls back to them). Never takes over a socket another process serves,
// and removes its socket file on stop.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { VigilError } from '@vigil/common';

export interface SyslogSocketOptions {
  path: string;
  type?: 'dgram' | 'stream';
  onMessage: (text: string) => void;
  onProblem?: (message: string) => void;
  /** The relay program for datagram sockets (default python3 on PATH). */
  python?: string;
  /** Largest message kept; longer ones are cut (default 65536). */
  maxMessage?: number;
}

export interface SyslogSocket {
  /** Creates the socket; rejects with `unavailable` when another process serves the path or the relay cannot start. */
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): { messages: number; cut: number };
}

/**
 * Relay: dies with the agent (PR_SET_PDEATHSIG), takes over a socket file nobody serves (connect refused) but exits 3
 * when another process serves it, binds the datagram socket writable for everyone, and writes each datagram to stdout
 * as a 4-byte big-endian length and the bytes. Removes its socket file when terminated.
 */
const RELAY = [
  'import ctypes, os, signal, socket, struct, sys',
  'path, parent = sys.argv[1], os.getppid()',
  'ctypes.CDLL(None).prctl(1, signal.SIGTERM)',
  'if os.getppid() != parent: sys.exit(4)',
  'if os.path.lexists(path):',
  '    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  '    try:',
  '        probe.connect(path)',
  '        sys.exit(3)',
  '    except ConnectionRefusedError:',
  '        os.unlink(path)',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  's.bind(path)',
  'ino = os.lstat(path).st_ino',
  'def gone(*_):',
  '    try:',
  '        if os.lstat(path).st_ino == ino: os.unlink(path)',
  '    finally:',
  '        os._exit(0)',
  'signal.signal(signal.SIGTERM, gone)',
  'os.chmod(path, 0o666)',
  'out = sys.stdout.buffer',
  "out.write(b'READY'); out.flush()",
  'while True:',
  '    data = s.recv(65536)',
  "    out.write(struct.pack('>I', len(data)) + data); out.flush()",
].join('\n');

/** Whether something accepts connections on `path` right now (a stream server; a datagram socket answers EPROTOTYPE). */
function probe(path: string): Promise<'served' | 'stale' | 'datagram'> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve('served');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EPROTOTYPE' ? 'datagram' : 'stale'));
  });
}

export function createSyslogSocket(options: SyslogSocketOptions): SyslogSocket {
  const type = options.type ?? 'dgram';
  const maxMessage = options.maxMessage ?? 65536;
  const problem = options.onProblem ?? (() => undefined);
  const counts = { messages: 0, cut: 0 };
  let server: Server | undefined;
  let relay: ChildProcess | undefined;
  let ownInode: bigint | undefined;
  const clients = new Set<Socket>();

  const message = (bytes: Buffer) => {
    let text = bytes.toString('utf8');
    if (text.length > maxMessage) {
      text = text.slice(0, maxMessage);
      counts.cut++;
    }
    text = text.replace(/[\0\n]+$/, '');
    if (text.length === 0) return;
    counts.messages++;
    options.onMessage(text);
  };

  /** Refuses a path another process serves; removes a stale socket left by a crash. */
  const claim = async () => {
    let st;
    try {
      st = await lstat(options.path);
    } catch {
      return;
    }
    if (!st.isSocket()) throw new VigilError('unavailable', `${options.path} exists and is not a socket; another syslog receiver owns it`);
    const state = await probe(options.path);
    // A datagram socket can only be probed with a datagram: the relay does that before it binds.
    if (state === 'datagram' && type === 'dgram') return;
    if (state !== 'stale') throw new VigilError('unavailable', `${options.path} is served by another process (a syslog daemon or journald)`);
    await unlink(options.path);
  };

  const startStream = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((socket) => {
        clients.add(socket);
        let pending: Buffer = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
          // glibc ends stream messages with NUL, logger(1) with a newline.
          for (;;) {
            let end = -1;
            for (let i = 0; i < pending.length; i++) {
              if (pending[i] === 0 || pending[i] === 10) {
                end = i;
                break;
              }
            }
            if (end < 0) break;
            message(pending.subarray(0, end));
            pending = pending.subarray(end + 1);
          }
          if (pending.length > maxMessage) {
            message(pending);
            pending = Buffer.alloc(0);
          }
        });
        socket.on('end', () => {
          if (pending.length) message(pending);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => clients.delete(socket));
      });
      server.once('error', (error) => reject(new VigilError('unavailable', `cannot listen on ${options.path}: ${error.message}`, { cause: error })));
      server.listen(options.path, () => {
        chmodSync(options.path, 0o666);
        resolve();
      });
    });

  const startDgram = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(options.python ?? 'python3', ['-c', RELAY, options.path], { stdio: ['ignore', 'pipe', 'pipe'] });
      relay = child;
      let ready = false;
      let pending: Buffer = Buffer.alloc(0);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      child.stdout!.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        if (!ready) {
          if (pending.length < 5) return;
          if (pending.subarray(0, 5).toString() !== 'READY') {
            reject(new VigilError('unavailable', `the syslog relay for ${options.path} did not start`));
            return;
          }
          ready = true;
          pending = pending.subarray(5);
          resolve();
        }
        while (pending.length >= 4) {
          const length = pending.readUInt32BE(0);
          if (pending.length < 4 + length) break;
          message(pending.subarray(4, 4 + length));
          pending = pending.subarray(4 + length);
        }
      });
      child.once('error', (error) => reject(new VigilError('unavailable', `cannot run ${options.python ?? 'python3'} for the datagram syslog socket (install python3, or use a stream socket): ${error.message}`, { cause: error })));
      child.once('exit', (code, signal) => {
        if (!ready && code === 3) reject(new VigilError('unavailable', `${options.path} is served by another process (a syslog daemon or journald)`));
        else if (!ready) reject(new VigilError('unavailable', `the syslog relay for ${options.path} exited (${code ?? signal}): ${stderr.trim()}`));
        else if (relay === child) problem(`the syslog relay for ${options.path} exited (${code ?? signal}); local syslog messages are not received`);
      });
    });

  return {
    async start() {
      await claim();
      if (type === 'stream') await startStream();
      else await startDgram();
      ownInode = (await lstat(options.path, { bigint: true })).ino;
    },
    async stop() {
      const child = relay;
      relay = undefined;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      for (const client of clients) client.destroy();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
      // Remove the socket only while it is still the one we made.
      try {
        const st = await lstat(options.path, { bigint: true });
        if (st.isSocket() && st.ino === ownInode) await unlink(options.path);
      } catch {
        // already gone
      }
    },
    stats: () => ({ ...counts }),
  };
}
