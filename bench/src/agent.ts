// Agent overhead: CPU and RSS of the real `vigil agent` (every Linux source), auditd and bpftrace at idle and while
// the machine runs N exec/s; lost = execs launched (unique marker argv) minus distinct markers stored on the server.
// Loopback only. Server, agent and load processes are stopped on every exit path; the agent restores audit state.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCleanupRegistry } from './internal/cleanup.js';
import { updateBenchmarkDocs } from './internal/docs-section.js';
import { requestJson } from './internal/https-client.js';
import { parseOptions } from './internal/options.js';
import { formatInt, machineInfo, markdownTable, processCpuSeconds, round, textTable } from './internal/report.js';

const options = parseOptions(
  {
    rates: { description: 'comma-separated exec rates (exec/s) to run', default: '100,500,1000' },
    duration: { description: 'seconds of load at each rate', default: 60 },
    idle: { description: 'seconds of idle measurement (after a warm-up)', default: 60 },
    warmup: { description: 'seconds to wait after the agent started before measuring idle', default: 20 },
    workers: { description: 'exec generator processes (the rate is split between them; 2 reached only 846–924 exec/s of 1,000 on a saturated 2-core machine)', default: 4 },
    'server-nice': { description: 'nice value of the server process; deployed, the server runs on another machine, here it shares the 2 cores, and at 10 it yields them to the endpoint\'s own workload and agent (0: equal priority)', default: 10 },
    'update-docs': { description: 'write the measured table into docs/benchmarks.md (section "## agent")', default: false },
  },
  process.argv.slice(2),
);
const rates = options.rates.split(',').map((r) => Number(r.trim()));
if (rates.some((r) => !Number.isInteger(r) || r < 1) || options.duration < 1) throw new Error('need --rates of positive integers and --duration >= 1');

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(repoRoot, 'apps', 'cli', 'bin', 'vigil.js');
const log = (line: string) => process.stderr.write(`[agent] ${line}\n`);
const cleanup = createCleanupRegistry(log);
const PASSWORD = 'bench-admin-password-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The exec generator, built at bench time with gcc: posix_spawn (vfork-style, no page-table copy) of
 * `/bin/true <prefix><n>` paced against the monotonic clock, children reaped without blocking.
 * argv: rate seconds prefix. Prints {"launched","exited","failed","seconds"} once every child was reaped.
 * The pacing process runs at nice -5 so other users of a shared machine do not slow the offered rate; its children
 * (the measured workload) start at nice 0 again (SCHED_RESET_ON_FORK).
 */
const GENERATOR_C = String.raw`
#define _GNU_SOURCE
#include <sched.h>
#include <sys/resource.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  struct sched_param normal = { 0 };
  setpriority(PRIO_PROCESS, 0, -5);
  sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &normal);
  double rate = atof(argv[1]), seconds = atof(argv[2]);
  long total = (long)(rate * seconds + 0.5), launched = 0, failed = 0, exited = 0;
  char marker[512];
  char *args[] = { "/bin/true", marker, NULL };
  struct timespec pause = { 0, 500000 };
  double start = now();
  while (launched < total) {
    long due = (long)((now() - start) * rate);
    if (due > total) due = total;
    while (launched < due) {
      pid_t pid;
      snprintf(marker, sizeof marker, "%s%ld", argv[3], launched);
      if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) != 0) failed++;
      launched++;
    }
    while (waitpid(-1, NULL, WNOHANG) > 0) exited++;
    nanosleep(&pause, NULL);
  }
  double elapsed = now() - start;
  while (exited < launched - failed && waitpid(-1, NULL, 0) > 0) exited++;
  printf("{\"launched\":%ld,\"exited\":%ld,\"failed\":%ld,\"seconds\":%.3f}\n", launched, exited, failed, elapsed);
  return 0;
}
`;

interface Proc {
  name: string;
  pid: () => number | undefined;
}

function findPid(test: (name: string, ppid: number) => boolean): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (test(name, ppid)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

/**
 * Resident memory of one process (all its threads) from /proc/<pid>/status, in MiB: VmRSS, and its anonymous part
 * RssAnon (heap, stacks, V8 pages; VmRSS minus the mapped files of the node binary and shared libraries).
 */
const rssMiB = (pid: number | undefined): { rss: number; anon: number } => {
  if (!pid) return { rss: Number.NaN, anon: Number.NaN };
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
    return { rss: field('VmRSS'), anon: field('RssAnon') };
  } catch {
    return { rss: Number.NaN, anon: Number.NaN };
  }
};

/** auditd's own view of its plugin queue (SIGCONT makes auditd 3.0 write /var/run/auditd.state). */
async function auditdQueueState(pid: number | undefined): Promise<{ max_depth: number; overflow: boolean } | undefined> {
  if (!pid) return undefined;
  try {
    process.kill(pid, 'SIGCONT');
    await sleep(500);
    const text = readFileSync('/var/run/auditd.state', 'utf8');
    const depth = /max plugin queue depth used = (\d+)/.exec(text)?.[1];
    const overflow = /plugin queue overflow detected = (\w+)/.exec(text)?.[1];
    return depth === undefined || overflow === undefined ? undefined : { max_depth: Number(depth), overflow: overflow === 'yes' };
  } catch {
    return undefined;
  }
}

/** CPU seconds and run-queue wait seconds of one thread (/proc/<pid>/task/<tid>/stat and schedstat). */
function threadTimes(pid: number, tid: number): { cpu: number; wait: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const schedstat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
    return { cpu: (Number(fields[11]) + Number(fields[12])) / 100, wait: Number(schedstat[1]) / 1e9 };
  } catch {
    return { cpu: Number.NaN, wait: Number.NaN };
  }
}

/** Busy and total CPU seconds of the whole machine (/proc/stat; busy excludes idle and iowait). */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: (total - fields[3]! - fields[4]!) / 100, total: total / 100 };
}

/** The kernel's audit counters (`auditctl -s`): records lost in the kernel and its backlog now. */
function kernelAudit(): { lost: number; backlog: number } {
  const out = spawnSync('auditctl', ['-s'], { encoding: 'utf8' }).stdout ?? '';
  const get = (key: string) => Number(new RegExp(`^${key} (\\d+)`, 'm').exec(out)?.[1] ?? Number.NaN);
  return { lost: get('lost'), backlog: get('backlog') };
}

/** auditd's plugin queue right now (SIGCONT makes auditd 3.0 rewrite /var/run/auditd.state). */
async function auditdQueueNow(pid: number | undefined): Promise<number> {
  if (!pid) return Number.NaN;
  try {
    process.kill(pid, 'SIGCONT');
    await sleep(100);
    return Number(/current plugin queue depth = (\d+)/.exec(readFileSync('/var/run/auditd.state', 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

interface TimelineSample { t: number; queue: number; kernel_lost: number; kernel_backlog: number; main_cpu_pct: number; main_wait_pct: number; agent_cpu_pct: number; machine_cpu_pct: number; load1: number }

/**
 * One sample a second while `running()`: auditd's plugin queue depth, the kernel's audit lost counter and backlog,
 * the agent main thread's CPU and run-queue wait (runnable but not running) in % of the second, the agent's whole
 * CPU, and the 1-minute load average. Tells "the agent was starved of CPU" from "the agent was idle while auditd's
 * queue grew" from "the kernel dropped records before auditd".
 */
async function sampleTimeline(agentPid: number, auditdPid: () => number | undefined, running: () => boolean): Promise<TimelineSample[]> {
  const samples: TimelineSample[] = [];
  const started = Date.now();
  let last = { at: Date.now(), main: threadTimes(agentPid, agentPid), all: processCpuSeconds(agentPid), lost: kernelAudit().lost, machine: machineCpu() };
  while (running()) {
    await sleep(1000 - ((Date.now() - started) % 1000));
    const queue = await auditdQueueNow(auditdPid());
    const kernel = kernelAudit();
    const now = { at: Date.now(), main: threadTimes(agentPid, agentPid), all: processCpuSeconds(agentPid), lost: kernel.lost, machine: machineCpu() };
    const wall = (now.at - last.at) / 1000;
    samples.push({
      t: round((now.at - started) / 1000, 1),
      queue,
      kernel_lost: now.lost - last.lost,
      kernel_backlog: kernel.backlog,
      main_cpu_pct: round(((now.main.cpu - last.main.cpu) / wall) * 100, 1),
      main_wait_pct: round(((now.main.wait - last.main.wait) / wall) * 100, 1),
      agent_cpu_pct: round(((now.all - last.all) / wall) * 100, 1),
      machine_cpu_pct: round(((now.machine.busy - last.machine.busy) / wall) * 100, 1),
      load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
    });
    last = now;
  }
  return samples;
}

interface Measure {
  cpu_pct: Record<string, number>;
  /** Peak VmRSS of each process. */
  rss_max_mb: Record<string, number>;
  /** Peak RssAnon of each process. */
  rss_anon_max_mb: Record<string, number>;
}

/** CPU (% of one core) of each process over `run()`, and its peak RSS sampled every 500 ms. */
async function measure(procs: Proc[], run: () => Promise<void>): Promise<Measure> {
  const pids = procs.map((p) => p.pid());
  const before = pids.map((pid) => (pid ? processCpuSeconds(pid) : Number.NaN));
  const rssMax = procs.map(() => 0);
  const anonMax = procs.map(() => 0);
  const sample = () =>
    pids.forEach((pid, i) => {
      const { rss, anon } = rssMiB(pid);
      rssMax[i] = Math.max(rssMax[i]!, rss || 0);
      anonMax[i] = Math.max(anonMax[i]!, anon || 0);
    });
  const sampler = setInterval(sample, 500);
  const started = Date.now();
  try {
    await run();
  } finally {
    clearInterval(sampler);
  }
  const wall = (Date.now() - started) / 1000;
  sample();
  const cpu: Record<string, number> = {};
  const rss: Record<string, number> = {};
  const anon: Record<string, number> = {};
  procs.forEach((p, i) => {
    const pid = pids[i];
    cpu[p.name] = pid ? round(((processCpuSeconds(pid) - before[i]!) / wall) * 100, 2) : Number.NaN;
    rss[p.name] = round(rssMax[i]!, 1);
    anon[p.name] = round(anonMax[i]!, 1);
  });
  return { cpu_pct: cpu, rss_max_mb: rss, rss_anon_max_mb: anon };
}

/** Starts a `vigil` subcommand; with `nice`, through nice(1), which execs it (the child's pid is the CLI's). */
function runCli(args: string[], env: Record<string, string> = {}, nice = 0): ChildProcess {
  const command = nice ? ['nice', '-n', String(nice), process.execPath, cli, ...args] : [process.execPath, cli, ...args];
  const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  (child as ChildProcess & { tail: () => string }).tail = () => tail;
  cleanup.add(`stop ${args[0]}`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}
const tailOf = (child: ChildProcess) => (child as ChildProcess & { tail?: () => string }).tail?.() ?? '';

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Compiles GENERATOR_C into `dir`; the benchmark needs gcc (apt-get install gcc). */
function buildGenerator(dir: string): string {
  const source = join(dir, 'exec-generator.c');
  const binary = join(dir, 'exec-generator');
  writeFileSync(source, GENERATOR_C);
  const built = spawnSync('gcc', ['-O2', '-o', binary, source], { encoding: 'utf8' });
  if (built.error || built.status !== 0) throw new Error(`cannot build the exec generator with gcc (apt-get install gcc): ${built.error?.message ?? built.stderr}`);
  return binary;
}

async function runGenerator(generator: string, rate: number, seconds: number, prefix: string): Promise<{ launched: number; failed: number; seconds: number }> {
  const workers = Math.max(1, Math.min(options.workers, rate));
  const results = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const child = spawn(generator, [String(rate / workers), String(seconds), `${prefix}w${w}-`], { stdio: ['ignore', 'pipe', 'inherit'] });
      cleanup.add('generator', () => void (child.exitCode === null && child.kill('SIGKILL')));
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<{ launched: number; exited: number; failed: number; seconds: number }>((res, rej) =>
        // 'close', not 'exit': the exit can be reported before the last of stdout is read.
        child.once('close', (code) => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`generator exited with ${code}`)))),
      );
    }),
  );
  return { launched: results.reduce((n, r) => n + r.launched - r.failed, 0), failed: results.reduce((n, r) => n + r.failed, 0), seconds: Math.max(...results.map((r) => r.seconds)) };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the agent benchmark needs root (auditd, bpftrace)');
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-agent-server-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-bench-agent-state-'));
  const generatorDir = mkdtempSync(join(tmpdir(), 'vigil-bench-agent-generator-'));
  cleanup.add('remove temp folders', () => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(generatorDir, { recursive: true, force: true });
  });
  const generator = buildGenerator(generatorDir);
  const apiPort = 20000 + 2 * Math.floor(Math.random() * 5000);
  const apiUrl = `https://127.0.0.1:${apiPort}`;
  const server = runCli(['server', '--data-dir', dataDir, '--listen', '127.0.0.1', '--api-port', String(apiPort), '--agent-port', String(apiPort + 1)], { VIGIL_ADMIN_PASSWORD: PASSWORD, VIGIL_ADVERTISED_HOST: '127.0.0.1' }, Number(options['server-nice']));
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the server', () => (out.includes('CA fingerprint') ? true : server.exitCode !== null ? Promise.reject(new Error(tailOf(server))) : undefined), 60_000);
  const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const login = await requestJson<{ token: string }>(`${apiUrl}/api/v1/auth/login`, { method: 'POST', ca, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  const auth = { authorization: `Bearer ${login.body.token}`, 'content-type': 'application/json' };
  const token = await requestJson<{ token: string }>(`${apiUrl}/api/v1/enrollment-tokens`, { method: 'POST', ca, headers: auth, body: JSON.stringify({ max_uses: 1, expires_in_s: 3600 }) });
  const enroll = runCli(['enroll', '--server', apiUrl, '--token', token.body.token, '--ca-file', join(dataDir, 'pki', 'ca.crt'), '--state-dir', stateDir]);
  const enrolled = await new Promise((r) => enroll.once('exit', r));
  if (enrolled !== 0) throw new Error(`enroll failed: ${tailOf(enroll)}`);
  const agentId = (JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8')) as { agentId: string }).agentId;
  // The bench's own server writes its database under /tmp, which the agent watches: leave it out, as the system tests
  // do, or its writes would be collected, sent to it and written again.
  const agent = runCli(['agent', '--state-dir', stateDir], { VIGIL_LOG_LEVEL: 'info', VIGIL_FILE_EXCLUDE: dataDir });
  await waitFor('the agent', () => (tailOf(agent).includes('agent running') ? true : agent.exitCode !== null ? Promise.reject(new Error(tailOf(agent))) : undefined), 60_000);
  const agentPid = agent.pid!;
  const procs: Proc[] = [
    { name: 'agent', pid: () => agentPid },
    { name: 'auditd', pid: () => findPid((name) => name === 'auditd') },
    { name: 'bpftrace', pid: () => findPid((name, ppid) => name === 'bpftrace' && ppid === agentPid) },
    { name: 'server', pid: () => server.pid },
  ];
  log(`agent ${agentPid}, auditd ${procs[1]!.pid() ?? 'not found'}, bpftrace ${procs[2]!.pid() ?? 'not found'}; warm-up ${options.warmup} s`);
  const uptimeBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  await sleep(options.warmup * 1000);
  log(`idle for ${options.idle} s`);
  const idleFrom = new Date().toISOString();
  const idle = await measure(procs, async () => void (await sleep(options.idle * 1000)));
  const idleTo = new Date().toISOString();

  const runId = randomUUID().slice(0, 8);
  const storedCount = async (prefix: string): Promise<{ count: number; distinct: number }> => {
    const query = `process where event.action == "start" and process.name == "true" and process.command_line contains "${prefix}" | stats count() as n, dc(process.command_line) as d`;
    const reply = await requestJson<{ rows: { n: number; d: number }[] }>(`${apiUrl}/api/v1/hunt`, { method: 'POST', ca, headers: auth, body: JSON.stringify({ query, host_ids: [agentId] }) });
    const row = reply.body.rows[0];
    return { count: Number(row?.n ?? 0), distinct: Number(row?.d ?? 0) };
  };
  const result: Record<string, unknown> = {};
  // The machine is shared: "idle" still has other users' processes, whose events the agent collects. Count them.
  await sleep(3000);
  const idleCounts = await requestJson<{ total: number }>(`${apiUrl}/api/v1/events/counts?${new URLSearchParams({ host_id: agentId, from: idleFrom, to: idleTo, group_by: 'none' })}`, { method: 'GET', ca, headers: { authorization: auth.authorization } });
  result.idle_events_per_s = round(idleCounts.body.total / options.idle, 1);
  // Who made them: the agent's own activity would show up here (its pid is excluded from its audit rules).
  const idleTop = await requestJson<{ rows: { 'event.category': string; 'event.action': string; 'process.name': string | null; n: number }[] }>(`${apiUrl}/api/v1/hunt`, {
    method: 'POST', ca, headers: auth,
    body: JSON.stringify({ query: 'any | stats count() as n by event.category, event.action, process.name | sort n desc | limit 8', start: idleFrom, end: idleTo, host_ids: [agentId] }),
  }).catch((error: unknown) => ({ body: { rows: [] }, error }));
  result.idle_events_top = idleTop.body.rows.map((r) => `${r['event.category']}/${r['event.action']} ${r['process.name'] ?? '-'}: ${r.n}`);
  log(`idle events: ${String(result.idle_events_per_s)}/s; top: ${(result.idle_events_top as string[]).join('; ')}`);
  const loads: { rate: number; achieved: number; launched: number; stored: number; duplicates: number; lost: number; drain_s: number; m: Measure }[] = [];
  for (const rate of rates) {
    const prefix = `vigil-bench-${runId}-${rate}-`;
    log(`${rate} exec/s for ${options.duration} s`);
    let gen = { launched: 0, failed: 0, seconds: 1 };
    let sampling = true;
    const timeline = sampleTimeline(agentPid, procs[1]!.pid, () => sampling);
    const m = await measure(procs, async () => {
      gen = await runGenerator(generator, rate, options.duration, prefix);
    });
    const drainStart = Date.now();
    let last = -1;
    let stable = 0;
    let stored = { count: 0, distinct: 0 };
    while (Date.now() - drainStart < 180_000) {
      stored = await storedCount(prefix);
      if (stored.distinct >= gen.launched) break;
      stable = stored.distinct === last ? stable + 1 : 0;
      last = stored.distinct;
      if (stable >= 10) break;
      await sleep(1000);
    }
    const drain = (Date.now() - drainStart) / 1000;
    sampling = false;
    const samples = await timeline;
    result[`timeline_${rate}`] = samples;
    const peak = (key: keyof TimelineSample) => Math.max(...samples.map((s) => (Number.isFinite(s[key]) ? s[key] : 0)));
    result[`auditd_queue_peak_sampled_${rate}`] = peak('queue');
    result[`kernel_lost_${rate}`] = samples.reduce((n, s) => n + (Number.isFinite(s.kernel_lost) ? s.kernel_lost : 0), 0);
    log(`${rate}: timeline (t queue kernel_lost main_cpu% main_wait% agent_cpu% machine_cpu% load1): ${samples.map((s) => `${s.t}:${s.queue}/${s.kernel_lost}/${s.main_cpu_pct}/${s.main_wait_pct}/${s.agent_cpu_pct}/${s.machine_cpu_pct}/${s.load1}`).join(' ')}`);
    const queue = await auditdQueueState(procs[1]!.pid());
    if (queue) {
      result[`auditd_queue_max_${rate}`] = queue.max_depth;
      result[`auditd_queue_overflow_${rate}`] = queue.overflow;
    }
    loads.push({ rate, achieved: round(gen.launched / gen.seconds, 1), launched: gen.launched, stored: stored.distinct, duplicates: stored.count - stored.distinct, lost: gen.launched - stored.distinct, drain_s: round(drain, 1), m });
    log(`${rate}: launched ${gen.launched}, stored ${stored.distinct}, lost ${gen.launched - stored.distinct}`);
    await sleep(5000);
  }

  // The agent's own queue high-water marks since it started, from its last heartbeat (auditd source: events open in
  // assembly, converted events waiting for a hash or an earlier event; the disk spool is the only other queue).
  await sleep(11_000);
  const hosts = await requestJson<{ id: string; sources?: Record<string, Record<string, number>> | null }[]>(`${apiUrl}/api/v1/hosts`, { method: 'GET', ca, headers: { authorization: auth.authorization } }).catch(() => undefined);
  const auditdStats = hosts?.body.find((h) => h.id === agentId)?.sources?.auditd;
  const agentCounters = (hosts?.body.find((h) => h.id === agentId) as { counters?: Record<string, number> } | undefined)?.counters;
  if (agentCounters) result.agent_loop_delay_peak_ms = agentCounters.loop_delay_peak_ms;
  if (auditdStats) {
    result.auditd_source_serial_gaps = auditdStats.serialGaps;
    result.auditd_source_open_peak = auditdStats.openEventsPeak;
    result.auditd_source_pending_peak = auditdStats.pendingEventsPeak;
    result.auditd_source_dropped = auditdStats.dropped;
  }
  const combined = (m: Measure) => round(['agent', 'auditd', 'bpftrace'].reduce((n, k) => n + (m.cpu_pct[k] || 0), 0), 2);
  const rssAll = [idle, ...loads.map((l) => l.m)];
  Object.assign(result, {
    date: '2026-12-05',
    machine: machineInfo(),
    loadavg_before: uptimeBefore,
    loadavg_after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    duration_s: options.duration,
    idle_s: options.idle,
    idle_cpu_pct: idle.cpu_pct.agent,
    idle_auditd_cpu_pct: idle.cpu_pct.auditd,
    idle_bpftrace_cpu_pct: idle.cpu_pct.bpftrace,
    idle_combined_cpu_pct: combined(idle),
    rss_measured: 'VmRSS of the vigil agent process (every thread: main, libuv pool, V8 helpers, worker threads); bpftrace and auditd are separate processes (bpftrace_rss_mb, auditd_rss_mb)',
    rss_mb: Math.max(...rssAll.map((m) => m.rss_max_mb.agent ?? 0)),
    rss_anon_mb: Math.max(...rssAll.map((m) => m.rss_anon_max_mb.agent ?? 0)),
    idle_rss_mb: idle.rss_max_mb.agent,
    auditd_rss_mb: Math.max(...rssAll.map((m) => m.rss_max_mb.auditd ?? 0)),
    bpftrace_rss_mb: Math.max(...rssAll.map((m) => m.rss_max_mb.bpftrace ?? 0)),
    targets: { idle_cpu_pct: 2, rss_mb: 150, lost_1000: 0 },
  });
  for (const l of loads) {
    result[`achieved_${l.rate}`] = l.achieved;
    result[`launched_${l.rate}`] = l.launched;
    result[`stored_${l.rate}`] = l.stored;
    result[`duplicates_${l.rate}`] = l.duplicates;
    result[`lost_${l.rate}`] = l.lost;
    result[`drain_s_${l.rate}`] = l.drain_s;
    result[`cpu_pct_${l.rate}`] = l.m.cpu_pct.agent;
    result[`auditd_cpu_pct_${l.rate}`] = l.m.cpu_pct.auditd;
    result[`bpftrace_cpu_pct_${l.rate}`] = l.m.cpu_pct.bpftrace;
    result[`combined_cpu_pct_${l.rate}`] = combined(l.m);
    result[`server_cpu_pct_${l.rate}`] = l.m.cpu_pct.server;
    result[`rss_mb_${l.rate}`] = l.m.rss_max_mb.agent;
    result[`rss_anon_mb_${l.rate}`] = l.m.rss_anon_max_mb.agent;
  }

  const header = ['phase', 'exec/s achieved', 'launched', 'stored', 'lost', 'agent CPU %', 'auditd CPU %', 'bpftrace CPU %', 'combined CPU %', 'server CPU %', 'agent RSS MiB', 'agent RssAnon MiB'];
  const row = (phase: string, m: Measure, l?: (typeof loads)[number]) => [
    phase, l ? String(l.achieved) : '0', l ? formatInt(l.launched) : '-', l ? formatInt(l.stored) : '-', l ? formatInt(l.lost) : '-',
    String(m.cpu_pct.agent), String(m.cpu_pct.auditd), String(m.cpu_pct.bpftrace), String(combined(m)), String(m.cpu_pct.server), String(m.rss_max_mb.agent), String(m.rss_anon_max_mb.agent),
  ];
  const rows = [row('idle', idle), ...loads.map((l) => row(`${l.rate} exec/s`, l.m, l))];
  process.stdout.write(`${textTable(header, rows)}\n`);
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'agent.json');
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`results ${relative(process.cwd(), file)}`);
  if (options['update-docs']) {
    const mi = machineInfo();
    const lost1000 = result.lost_1000;
    const section = [
      '## agent',
      '',
      `\`npm run bench -- agent\` (2026-12-05; ${mi.cpu_model}, ${mi.cores} cores, ${mi.memory_gib} GiB, Node ${mi.node}, kernel ${mi.kernel}; shared machine, load average ${uptimeBefore} before and ${String(result.loadavg_after)} after).`,
      `A real \`vigil agent\` (every Linux source of \`apps/cli/src/wiring.ts\`) reports to a real \`vigil server\` on loopback. Idle: ${options.idle} s after a ${options.warmup} s warm-up.`,
      `Load: ${options.workers} generator processes (C, posix_spawn) spawn \`/bin/true <unique marker>\` at the rate for ${options.duration} s (achieved rate measured); lost = markers launched minus distinct markers stored`,
      '(counted with the hunt API after the agent drained). CPU is user + system time over the phase in % of one core. Agent RSS is the peak VmRSS of the `vigil agent` process sampled every 500 ms',
      '(all its threads, worker threads included; RssAnon is its anonymous part, without the mapped node binary and libraries); bpftrace and auditd are separate processes, reported separately.',
      'The server runs on the same 2 cores and competes with the agent for CPU.',
      '',
      markdownTable(header, rows),
      '',
      `During the idle phase the agent still collected ${String(result.idle_events_per_s)} events/s from other users of this shared machine. Peak RSS of the other processes: bpftrace ${String(result.bpftrace_rss_mb)} MiB, auditd ${String(result.auditd_rss_mb)} MiB.`,
      `Targets: idle agent CPU ≤ 2% of one core (measured ${String(result.idle_cpu_pct)}%), agent RSS ≤ 150 MB (peak ${String(result.rss_mb)} MiB), 0 lost at 1,000 exec/s (${lost1000 === undefined ? 'not run' : String(lost1000)}).`,
      '',
    ].join('\n');
    log(`docs ${relative(process.cwd(), updateBenchmarkDocs(repoRoot, 'agent', section))}`);
  }
}

main()
  .catch((error: unknown) => {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup.runAll());
