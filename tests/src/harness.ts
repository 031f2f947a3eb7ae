// End-to-end harness: runs real `vigil server` and `vigil agent` processes on loopback and talks HTTPS to them.
// Never mocks TLS or the network; every process it starts is killed by `cleanup()`.

import { spawn, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@vigil/common';
import { generateKeyPair } from '@vigil/pki';

export const ADMIN_PASSWORD = 'e2e-admin-password-0123456789';
const cli = () => join(repoRoot(), 'apps/cli/bin/vigil.js');
const children = new Set<ChildProcess>();
/** What each child process wrote to stderr, for error messages. */
const stderrOf = new WeakMap<ChildProcess, () => string>();
const logOf = (child: ChildProcess): string => stderrOf.get(child)?.() ?? '';
const dirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vigil-${prefix}-`));
  dirs.push(dir);
  return dir;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function freePortPair(): [number, number] {
  const base = 20000 + 2 * Math.floor(Math.random() * 5000);
  return [base, base + 1];
}

export interface ServerHandle {
  dataDir: string;
  apiPort: number;
  agentPort: number;
  apiUrl: string;
  caPem: string;
  process: ChildProcess;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `wrap` runs the command inside something, e.g. `['ip', 'netns', 'exec', ns]` (tests/src/netns.ts). */
function runProcess(args: string[], env: Record<string, string> = {}, wrap: readonly string[] = []): ChildProcess {
  const [file, ...prefix] = wrap.length ? wrap : [process.execPath];
  const command = wrap.length ? [...prefix, process.execPath, cli(), ...args] : [cli(), ...args];
  const child = spawn(file!, command, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
    if (process.env.VIGIL_TEST_VERBOSE) process.stderr.write(d);
  });
  stderrOf.set(child, () => log);
  return child;
}

/** `options.wrap` runs the server inside a network namespace; `options.host` is the address it listens on and advertises. */
export async function startServer(extraEnv: Record<string, string> = {}, options: { wrap?: readonly string[]; host?: string } = {}): Promise<ServerHandle> {
  const dataDir = tempDir('server');
  const [apiPort, agentPort] = freePortPair();
  const host = options.host ?? '127.0.0.1';
  const handle: ServerHandle = {
    dataDir,
    apiPort,
    agentPort,
    apiUrl: `https://${host}:${apiPort}`,
    caPem: '',
    process: undefined as unknown as ChildProcess,
    async start() {
      const child = runProcess(['server', '--data-dir', dataDir, '--listen', host, '--api-port', String(apiPort), '--agent-port', String(agentPort)], {
        VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
        VIGIL_HEARTBEAT_SECONDS: '2',
        VIGIL_ADVERTISED_HOST: host,
        ...extraEnv,
      }, options.wrap);
      handle.process = child;
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start: ${out} ${logOf(child)}`)), 30_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('CA fingerprint')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`server exited with ${code}: ${logOf(child)}`));
        });
      });
      handle.caPem = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
    },
    stop: (signal = 'SIGTERM') => stopChild(handle.process, signal),
  };
  await handle.start();
  return handle;
}

/** Signals a child and waits for it to exit; a no-op when it already exited. */
async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (for answers that are not JSON, such as /metrics). */
  text: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function request(
  url: string,
  options: {
    method?: string;
    body?: unknown;
    raw?: Buffer | string;
    token?: string;
    ca: string;
    key?: string;
    cert?: string;
    contentType?: string;
    /**
     * For a body over 1 MiB: send the headers, give the server 2 s to refuse from the declared length alone (413),
     * and upload only if it did not. Without it, an upload racing the server's close can lose the answer (EPIPE).
     */
    awaitEarlyRefusal?: boolean;
  },
): Promise<HttpReply> {
  const target = new URL(url);
  const payload = options.raw !== undefined ? Buffer.from(options.raw) : options.body !== undefined ? Buffer.from(JSON.stringify(options.body)) : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? (payload ? 'POST' : 'GET'),
        ca: options.ca,
        ...(options.key ? { key: options.key, cert: options.cert } : {}),
        agent: false,
        headers: {
          ...(payload ? { 'content-type': options.contentType ?? 'application/json', 'content-length': payload.length } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    // A server that refuses a large body (413) answers and closes before the upload ends: the write fails with
    // EPIPE or ECONNRESET while the answer is on its way. Use the answer when it comes.
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') return reject(error);
      if (answered) return;
      setTimeout(() => (answered ? undefined : reject(error)), 5000);
    });
    if (!options.awaitEarlyRefusal || !payload || payload.length <= 1024 * 1024) return void req.end(payload);
    req.flushHeaders();
    const upload = setTimeout(() => (answered || req.destroyed ? undefined : req.end(payload)), 2000);
    req.once('response', () => clearTimeout(upload));
  });
}

export class ApiClient {
  token = '';
  constructor(readonly server: ServerHandle) {}
  async login(): Promise<this> {
    const reply = await request(`${this.server.apiUrl}/api/v1/auth/login`, { body: { username: 'admin', password: ADMIN_PASSWORD }, ca: this.server.caPem });
    if (reply.status !== 200) throw new Error(`login failed: ${JSON.stringify(reply.body)}`);
    this.token = reply.body.token;
    return this;
  }
  get(path: string): Promise<HttpReply> {
    return request(`${this.server.apiUrl}${path}`, { token: this.token, ca: this.server.caPem });
  }
  post(path: string, body: unknown): Promise<HttpReply> {
    return request(`${this.server.apiUrl}${path}`, { body, token: this.token, ca: this.server.caPem });
  }
  put(path: string, body: unknown): Promise<HttpReply> {
    return request(`${this.server.apiUrl}${path}`, { method: 'PUT', body, token: this.token, ca: this.server.caPem });
  }
  delete(path: string): Promise<HttpReply> {
    return request(`${this.server.apiUrl}${path}`, { method: 'DELETE', token: this.token, ca: this.server.caPem });
  }
  async enrollmentToken(maxUses = 1, expiresInSeconds = 3600): Promise<string> {
    const reply = await this.post('/api/v1/enrollment-tokens', { max_uses: maxUses, expires_in_s: expiresInSeconds });
    if (reply.status !== 200) throw new Error(`token: ${JSON.stringify(reply.body)}`);
    return reply.body.token;
  }
  /** Enrolls a simulated agent through the public API; returns its credentials. */
  async enrollKeys(token?: string): Promise<{ agentId: string; key: string; cert: string }> {
    const keys = generateKeyPair();
    const reply = await request(`${this.server.apiUrl}/api/v1/enroll`, { body: { token: token ?? (await this.enrollmentToken()), hostname: 'simulated', public_key_pem: keys.publicKeyPem }, ca: this.server.caPem });
    if (reply.status !== 200) throw new Error(`enroll: ${JSON.stringify(reply.body)}`);
    return { agentId: reply.body.agent_id, key: keys.privateKeyPem, cert: reply.body.certificate_pem };
  }
  async hostEvents(hostId: string, query = 'limit=10000'): Promise<Record<string, unknown>[]> {
    const reply = await this.get(`/api/v1/hosts/${hostId}/events?${query}`);
    if (reply.status !== 200) throw new Error(`events: ${JSON.stringify(reply.body)}`);
    return reply.body.events;
  }
}

export interface AgentHandle {
  stateDir: string;
  agentId: string;
  process: ChildProcess;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Enrolls a real agent with the CLI and starts `vigil agent` (real auditd source); `options.wrap` as for startServer. */
export async function startAgent(server: ServerHandle, api: ApiClient, options: { wrap?: readonly string[]; env?: Record<string, string> } = {}): Promise<AgentHandle> {
  const stateDir = tempDir('agent');
  const token = await api.enrollmentToken();
  const caFile = join(server.dataDir, 'pki', 'ca.crt');
  const enroll = runProcess(['enroll', '--server', server.apiUrl, '--token', token, '--ca-file', caFile, '--state-dir', stateDir], {}, options.wrap);
  const code = await new Promise((r) => enroll.once('exit', r));
  if (code !== 0) throw new Error(`enroll failed: ${logOf(enroll)}`);
  const agentId = JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8')).agentId as string;
  const handle: AgentHandle = {
    stateDir,
    agentId,
    process: undefined as unknown as ChildProcess,
    async start() {
      // The test server's data folder lives under /tmp, which the file source watches: excluded so that storing a batch
      // does not report the server's own writes back to it.
      const child = runProcess(['agent', '--state-dir', stateDir, '--flush-ms', '100'], { VIGIL_LOG_LEVEL: 'info', VIGIL_FILE_EXCLUDE: server.dataDir, ...options.env }, options.wrap);
      handle.process = child;
      await waitFor('agent to start its sources', () => logOf(child).includes('agent running') || (child.exitCode !== null ? Promise.reject(new Error(logOf(child))) : undefined), 30_000);
    },
    stop: (signal = 'SIGTERM') => stopChild(handle.process, signal),
  };
  await handle.start();
  return handle;
}

export async function cleanup(): Promise<void> {
  for (const child of [...children]) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
