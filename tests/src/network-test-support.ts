// Helpers of the network response tests: listeners, connection probes and long-lived connections inside the hosts of
// a test LAN (tests/src/netns.ts), and running response tasks through the server API until they finish.

import type { ChildProcess } from 'node:child_process';
import type { ApiClient } from './harness.js';
import { waitFor } from './harness.js';
import type { Lan } from './netns.js';

/** A TCP echo server inside `host` on `port`; resolves once it listens. */
export async function listen(lan: Lan, host: string, port: number): Promise<ChildProcess> {
  const child = lan.spawn(host, process.execPath, ['-e', `require('net').createServer((s) => { s.on('error', () => {}); s.on('data', (d) => s.write(d)); }).listen(${port}, () => console.log('listening'))`]);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`listener on ${host}:${port} exited with ${code}`)));
  });
  return child;
}

/** Tries a TCP connection from inside `host`: 'ok', an errno code (ECONNREFUSED ...) or 'timeout' (after 1.5 s). */
export function tcpProbe(lan: Lan, host: string, address: string, port: number): string {
  const script = `const s = require('net').connect(${port}, ${JSON.stringify(address)}); const t = setTimeout(() => { console.log('timeout'); process.exit(0); }, 1500); s.on('connect', () => { console.log('ok'); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  return lan.exec(host, process.execPath, ['-e', script]).trim();
}

/** One ICMP echo from inside `host`: true when answered within a second. */
export function ping(lan: Lan, host: string, address: string): boolean {
  try {
    lan.exec(host, 'ping', ['-c', '1', '-W', '1', address]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new Error('ping is not installed (apt-get install iputils-ping)');
    return false;
  }
}

export interface LongConnection {
  /** Lines the client printed: 'connected', 'echo', 'closed <ms since start>' or 'error <code>'. */
  lines: string[];
  closedAt(): number | undefined;
  child: ChildProcess;
}

/** Runs a client script inside `host` and collects the lines it prints; resolves once it printed `ready`. */
async function watchedClient(lan: Lan, host: string, script: string, ready: string, what: string): Promise<LongConnection> {
  const child = lan.spawn(host, process.execPath, ['-e', script]);
  const lines: string[] = [];
  let closed: number | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      if (/^(closed|error)/.test(line)) closed ??= Date.now();
    }
  });
  child.once('exit', () => (closed ??= Date.now()));
  await waitFor(what, () => lines.includes(ready) || undefined, 5000, 20);
  return { lines, closedAt: () => closed, child };
}

/** A client inside `host` connected to address:port, writing every 100 ms and reporting when the connection ends. */
export async function longConnection(lan: Lan, host: string, address: string, port: number): Promise<LongConnection> {
  const script = `const s = require('net').connect(${port}, ${JSON.stringify(address)}); s.on('connect', () => console.log('connected')); let n = 0; s.on('data', () => { if (n++ === 0) console.log('echo'); }); const end = (why) => { console.log(why); process.exit(0); }; s.on('close', () => end('closed')); s.on('error', (e) => end('error ' + e.code)); setInterval(() => s.write('x'), 100);`;
  return watchedClient(lan, host, script, 'echo', 'the long-lived connection to echo');
}

/**
 * A TCP server inside `host` on `port` that answers each connection's first byte only once `trigger` (a file path)
 * exists: the reply is the first packet after a quiet connection, as a server's answer to a request sent just before
 * a firewall change. Resolves once it listens.
 */
export async function listenReplyOnTrigger(lan: Lan, host: string, port: number, trigger: string): Promise<ChildProcess> {
  const script = `const fs = require('fs'); require('net').createServer((s) => { s.on('error', () => {}); s.once('data', () => { const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(trigger)})) { clearInterval(t); s.write('reply'); } }, 20); s.on('close', () => clearInterval(t)); }); }).listen(${port}, () => console.log('listening'))`;
  const child = lan.spawn(host, process.execPath, ['-e', script]);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`listener on ${host}:${port} exited with ${code}`)));
  });
  return child;
}

/** A client inside `host` that connects to address:port, sends one byte, then only listens; `lines` gets 'sent', 'reply', 'closed' or 'error <code>'. */
export async function quietConnection(lan: Lan, host: string, address: string, port: number): Promise<LongConnection> {
  const script = `const s = require('net').connect(${port}, ${JSON.stringify(address)}); s.on('connect', () => s.write('x', () => console.log('sent'))); s.on('data', (d) => { if (String(d).includes('reply')) console.log('reply'); }); s.on('close', () => { console.log('closed'); process.exit(0); }); s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); }); setInterval(() => {}, 1000);`;
  return watchedClient(lan, host, script, 'sent', 'the quiet connection to send its byte');
}

export interface TaskResult {
  id: string;
  state: string;
  outcome: { ok: boolean; summary: string; verified: boolean; details?: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
  refusal: { reason: string; message: string } | null;
}

/** Creates one task for one host through the API and waits until it ends; returns the final task. */
export async function runTask(api: ApiClient, hostId: string, action: string, args: Record<string, unknown>, timeoutMs = 30_000): Promise<TaskResult> {
  const created = await api.post('/api/v1/response/tasks', { action, args, hosts: [hostId], reason: `test ${action}` });
  if (created.status !== 201) throw new Error(`creating ${action}: ${created.status} ${JSON.stringify(created.body)}`);
  const id = (created.body.tasks?.[0]?.id ?? created.body.task_ids?.[0]) as string | undefined;
  if (!id) throw new Error(`no task id in ${JSON.stringify(created.body)}`);
  return waitFor(`task ${action} to finish`, async () => {
    const reply = await api.get(`/api/v1/response/tasks/${id}`);
    const task = reply.body as TaskResult;
    return ['succeeded', 'failed', 'expired', 'cancelled', 'refused'].includes(task.state) ? task : undefined;
  }, timeoutMs, 100);
}
