// Benign workload generator: a fleet of simulated Debian hosts in realistic roles (web server, build machine, developer
// workstation, database) producing a day of telemetry at a time: services, cron jobs and timers, logins and admin
// sessions, builds, package installs and fleet-wide upgrades, developers trying new tools. Seeded; pure.

import { cmd, shell, sudo, withChildren, EXECUTABLES, OPTIONAL_TOOLS } from './commands.js';
import { createHostSim, emitTree, loginEvent, type Event, type HostSim, type Parent, type Proc } from './emit.js';
import { LONG_TAIL, openWorldCommand } from './long-tail.js';

/** Knobs of the workload: the share of typed commands drawn from the long tail of occasional commands. */
export const workloadSettings = { longTailShare: 0.08 };

export type Role = 'web' | 'build' | 'dev' | 'db';
export const ROLES: readonly Role[] = ['web', 'build', 'dev', 'db'];
const HOUR = 3_600_000;
const MINUTE = 60_000;
export const DAY_MS = 86_400_000;

export interface Rng {
  (): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** Zipf-weighted pick: earlier items are more likely. */
  zipf<T>(items: readonly T[]): T;
}

export function rng(random: () => number): Rng {
  const r = (() => random()) as Rng;
  r.int = (n) => Math.floor(random() * n);
  r.pick = (items) => items[Math.floor(random() * items.length)]!;
  r.chance = (p) => random() < p;
  r.zipf = (items) => {
    const total = items.reduce((s, _, i) => s + 1 / (i + 1), 0);
    let x = random() * total;
    for (let i = 0; i < items.length; i++) if ((x -= 1 / (i + 1)) <= 0) return items[i]!;
    return items[items.length - 1]!;
  };
  return r;
}

export interface SimHost {
  sim: HostSim;
  r: Rng;
  role: Role;
  /** People who log in (admins on servers, the owner on a workstation). */
  users: string[];
  /** Where their logins come from. */
  sources: Map<string, string>;
  /** Session commands this host's people use, most used first. */
  vocabulary: string[];
  projects: { name: string; lang: 'c' | 'node' | 'go' | 'python' | 'php' | 'java' }[];
  /** Web: the application shells out to ImageMagick. */
  imageApp: boolean;
  /** Web: a Laravel application whose scheduler cron runs every minute. */
  scheduler: boolean;
  /** Tools installed beyond the base system (developers add some over time). */
  tools: string[];
  /** Optional commands (OPTIONAL_TOOLS) installed on this host. */
  installed: Set<string>;
  listening: { exe: string; argv: string[]; ports: number[]; user: string }[];
  /** ms: last interactive shell (attacks reuse a session). */
  shells: { timeMs: number; parent: Parent }[];
}

// ---- fleet ----

const WORDS = ['alpha', 'beta', 'orion', 'atlas', 'nova', 'ember', 'delta', 'quartz', 'lumen', 'pixel', 'harbor', 'cobalt', 'falcon', 'maple', 'zephyr', 'onyx', 'titan', 'cedar', 'vertex', 'aurora'];
const DEV_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yara'];

const ADMIN_VOCABULARY: Record<Role, string[]> = {
  web: ['ls', 'tail-log', 'systemctl-status', 'sudo-shell', 'df', 'less-log', 'grep-log', 'free', 'ps', 'top', 'journalctl', 'cat-config', 'vim-config', 'nginx-test', 'reload-nginx', 'du', 'git-log', 'uptime', 'ss', 'curl-head', 'htop', 'w', 'last', 'certbot-certs', 'openssl-dates', 'php-version', 'find-logs', 'ip-addr', 'ping', 'dig', 'crontab-list', 'apt-upgradable', 'id', 'hostname', 'uname'],
  build: ['ls', 'df', 'du', 'sudo-shell', 'ps', 'top', 'runner-status', 'journalctl', 'free', 'docker-ps', 'docker-prune', 'systemctl-status', 'tail-log', 'htop', 'uptime', 'find-builds', 'rm-builds', 'git-log', 'ss', 'w', 'apt-upgradable', 'ip-addr', 'id', 'uname'],
  dev: [],
  db: ['ls', 'psql', 'sudo-shell', 'df', 'du-db', 'tail-pglog', 'systemctl-status', 'free', 'ps', 'top', 'journalctl', 'vacuumdb', 'htop', 'uptime', 'less-log', 'ss', 'w', 'last', 'backup-list', 'apt-upgradable', 'ip-addr', 'id', 'hostname'],
};

const DEV_VOCABULARY = [
  'git-status', 'ls', 'git-diff', 'vim-file', 'git-commit', 'make', 'cat-file', 'grep-src', 'git-log', 'git-push', 'git-pull', 'npm-test', 'python-script', 'code', 'git-checkout', 'docker-ps', 'find-src',
  'curl-api', 'ssh-server', 'npm-install', 'pytest', 'htop', 'kubectl-get', 'man', 'tmux', 'node-script', 'docker-build', 'pip-install', 'git-stash', 'jq', 'kubectl-logs', 'gcc', 'scp', 'sudo-apt-update',
  'docker-run', 'go-test', 'terraform-plan', 'tar', 'rm-tmp', 'mkdir', 'cp', 'mv', 'diff', 'wc', 'du', 'df', 'ps', 'which', 'env', 'date', 'less-file', 'head', 'sed', 'awk', 'sort', 'chmod', 'npm-dev',
  'http-server', 'ping', 'dig', 'ssh-keygen', 'openssl', 'base64', 'id', 'uname', 'whoami', 'hostname', 'ip-addr', 'ss', 'sudo-shell',
];

const PROJECT_LANGS = ['c', 'node', 'go', 'python', 'php', 'java'] as const;

/** Optional commands each role has installed (the rest of OPTIONAL_TOOLS is not there until someone installs it). */
const ROLE_TOOLS: Record<Role, string[]> = {
  web: ['php', 'nginx', 'zip', 'unzip'],
  build: ['gcc', 'cc', 'g++', 'c++', 'make', 'go', 'docker', 'java', 'node', 'npm', 'zip', 'unzip', 'xxd'],
  dev: ['gcc', 'cc', 'make', 'node', 'npm', 'docker', 'go', 'kubectl', 'terraform', 'code', 'firefox', 'zip', 'unzip', 'xclip', 'sqlite3', 'xxd'],
  db: ['psql', 'pg_dump', 'zip', 'unzip'],
};
const DEV_TOOLS = ['jq', 'rg', 'fzf', 'tree', 'ncdu', 'bat', 'nmap', 'tcpdump', 'socat', 'strace', 'gdb', 'httpie', 'hexdump', 'sqlite3', 'whois', 'xxd'];

/** Hosts of each role; `seed` fixes everything. */
export function createFleet(counts: Record<Role, number>, seed: number, random: (seed: number) => () => number): SimHost[] {
  const hosts: SimHost[] = [];
  let n = 0;
  for (const role of ROLES) {
    for (let i = 0; i < counts[role]; i++) {
      const r = rng(random(seed * 7919 + ++n));
      const name = `${role}-${String(i + 1).padStart(2, '0')}`;
      const sim = createHostSim(`host-${name}`, name, r);
      const users = role === 'dev' ? [DEV_NAMES[i % DEV_NAMES.length]!] : role === 'web' ? ['ops1', 'ops2', 'deploy'] : ['ops1', 'ops2'];
      const sources = new Map<string, string>();
      for (const u of users) sources.set(u, role === 'dev' ? `10.8.${i}.${10 + r.int(200)}` : u === 'deploy' ? '10.0.1.20' : '10.0.0.10');
      const base = role === 'dev' ? DEV_VOCABULARY : ADMIN_VOCABULARY[role];
      // Each host's people use most of the role's commands, in their own order of preference.
      const vocabulary = base.filter(() => r.chance(0.8)).sort(() => r() - 0.5).sort((a, b) => base.indexOf(a) - base.indexOf(b) + (r() - 0.5) * 12);
      const projects = Array.from({ length: role === 'build' ? 4 + r.int(5) : role === 'dev' ? 2 + r.int(3) : 1 }, () => ({ name: `${r.pick(WORDS)}-${r.pick(WORDS)}`, lang: role === 'web' ? ('php' as const) : r.pick(PROJECT_LANGS) }));
      const listening: SimHost['listening'] = [{ exe: EXECUTABLES.sshd!, argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], ports: [22], user: 'root' }];
      if (role === 'web') listening.push({ exe: EXECUTABLES.nginx!, argv: ['nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'], ports: [80, 443], user: 'root' }, { exe: EXECUTABLES['php-fpm8.2']!, argv: ['php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)'], ports: [], user: 'root' });
      if (role === 'db') listening.push({ exe: EXECUTABLES.postgres!, argv: ['/usr/lib/postgresql/15/bin/postgres', '-D', '/var/lib/postgresql/15/main', '-c', 'config_file=/etc/postgresql/15/main/postgresql.conf'], ports: [5432], user: 'postgres' });
      if (role === 'build') listening.push({ exe: EXECUTABLES['gitlab-runner']!, argv: ['/usr/bin/gitlab-runner', 'run', '--working-directory', '/home/gitlab-runner', '--config', '/etc/gitlab-runner/config.toml', '--service', 'gitlab-runner', '--user', 'gitlab-runner'], ports: [9252], user: 'root' });
      if (role === 'dev') listening.push({ exe: '/usr/sbin/gdm3', argv: ['/usr/sbin/gdm3'], ports: [], user: 'root' }, { exe: '/usr/sbin/cupsd', argv: ['/usr/sbin/cupsd', '-l'], ports: [631], user: 'root' });
      listening.push({ exe: EXECUTABLES.cron!, argv: ['/usr/sbin/cron', '-f'], ports: [], user: 'root' });
      const tools = role === 'dev' ? DEV_TOOLS.filter(() => r.chance(0.35)) : [];
      const imageApp = role === 'web' && r.chance(0.5);
      const installed = new Set([...ROLE_TOOLS[role], ...tools, ...(imageApp ? ['convert', 'import'] : []), ...(r.chance(0.3) ? ['net-tools-netstat'] : [])].flatMap((t) => (t === 'net-tools-netstat' ? ['netstat', 'ifconfig', 'route', 'arp'] : [t])));
      hosts.push({ sim, r, role, users, sources, vocabulary, projects, imageApp, scheduler: role === 'web' && r.chance(0.6), tools, installed, listening, shells: [] });
    }
  }
  return hosts;
}

/** Fleet-wide package releases: on a day, a set of executables gets a new version (rolled out over 1–3 days). */
export interface Release {
  day: number;
  exes: string[];
  service?: string;
  /** Per host: the day it installs (unattended-upgrades). */
  installDay: Map<string, number>;
}

const UPGRADABLE = [
  ['/usr/bin/curl'], ['/usr/bin/openssl'], ['/usr/bin/git', '/usr/lib/git-core/git-remote-https'], ['/usr/bin/python3.11'], ['/usr/bin/sudo'], ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/scp'],
  ['/usr/bin/tar'], ['/usr/bin/wget'], ['/usr/bin/vim.basic'], ['/usr/bin/systemctl', '/usr/bin/journalctl', '/usr/lib/systemd/systemd'], ['/usr/sbin/nginx'], ['/usr/bin/node'], ['/usr/bin/docker'],
  ['/usr/lib/postgresql/15/bin/postgres', '/usr/lib/postgresql/15/bin/psql', '/usr/lib/postgresql/15/bin/pg_dump'], ['/usr/bin/less'], ['/usr/bin/dpkg'], ['/usr/bin/gzip'], ['/usr/bin/bash'],
];

export function releaseSchedule(hosts: readonly SimHost[], days: number, r: Rng): Release[] {
  const releases: Release[] = [];
  for (let day = 1; day < days; day += 2 + r.int(3)) {
    const exes = [...r.pick(UPGRADABLE), ...(r.chance(0.4) ? r.pick(UPGRADABLE) : [])];
    const service = exes.includes('/usr/sbin/nginx') ? 'nginx' : exes.some((e) => e.includes('postgres')) ? 'postgresql' : exes.includes('/usr/sbin/sshd') ? 'ssh' : undefined;
    const installDay = new Map(hosts.map((h) => [h.sim.hostId, day + r.int(3)]));
    releases.push({ day, exes, ...(service ? { service } : {}), installDay });
  }
  return releases;
}

// ---- command generators ----

const LOGS: Record<Role, string[]> = {
  web: ['/var/log/nginx/access.log', '/var/log/nginx/error.log', '/var/log/php8.2-fpm.log', '/var/log/syslog', '/var/www/app/storage/logs/laravel.log'],
  build: ['/var/log/syslog', '/var/log/gitlab-runner.log', '/var/log/docker.log'],
  dev: ['/var/log/syslog'],
  db: ['/var/log/postgresql/postgresql-15-main.log', '/var/log/syslog'],
};
const CONFIGS: Record<Role, string[]> = {
  web: ['/etc/nginx/sites-available/app', '/etc/nginx/nginx.conf', '/etc/php/8.2/fpm/php.ini', '/var/www/app/.env'],
  build: ['/etc/gitlab-runner/config.toml', '/etc/docker/daemon.json'],
  dev: [],
  db: ['/etc/postgresql/15/main/postgresql.conf', '/etc/postgresql/15/main/pg_hba.conf'],
};
const SERVICES: Record<Role, string[]> = { web: ['nginx', 'php8.2-fpm', 'cron'], build: ['gitlab-runner', 'docker', 'cron'], dev: ['docker', 'cups'], db: ['postgresql', 'cron'] };
const BRANCH_WORDS = ['fix', 'feature', 'refactor', 'chore', 'bump', 'hotfix', 'test', 'docs'];
const API_HOSTS = ['api.github.com', 'api.stripe.com', 'httpbin.org', 'registry.npmjs.org', 'pypi.org', 'hub.docker.com', 'api.openweathermap.org', 'jsonplaceholder.typicode.com'];
const SITES = ['www.google.com', 'github.com', 'stackoverflow.com', 'developer.mozilla.org', 'docs.python.org', 'news.ycombinator.com', 'www.wikipedia.org', 'mail.google.com', 'calendar.google.com', 'slack.com', 'www.youtube.com', 'docs.rs', 'go.dev', 'nodejs.org', 'kubernetes.io', 'www.reddit.com', 'jira.corp', 'wiki.corp', 'gitlab.corp'];

function home(user: string): string {
  return user === 'root' ? '/root' : `/home/${user}`;
}

/** One session command of `host` (by vocabulary name) as its process tree. */
function sessionCommand(host: SimHost, name: string, user: string): Proc | undefined {
  const r = host.r;
  const role = host.role;
  const project = r.pick(host.projects);
  const src = `${home(user)}/src/${project.name}`;
  const file = () => `${src}/${r.pick(['src', 'lib', 'test', 'cmd', 'docs'])}/${r.pick(WORDS)}${r.pick(['.c', '.h', '.js', '.ts', '.py', '.go', '.md', '.php', '.json', '.yml'])}`;
  const log = () => r.pick(LOGS[role]);
  const config = () => r.pick(CONFIGS[role].length ? CONFIGS[role] : [`${home(user)}/.bashrc`]);
  const service = () => r.pick(SERVICES[role]);
  const server = () => `${r.pick(['web', 'build', 'db'])}-${String(1 + r.int(8)).padStart(2, '0')}.corp`;
  switch (name) {
    case 'sudo-shell': {
      // An admin's root shell: a few of the usual commands as root.
      const inner = Array.from({ length: 1 + r.int(5) }, () => sessionCommand(host, r.zipf(ADMIN_VOCABULARY[role].length ? host.vocabulary.filter((v) => v !== 'sudo-shell') : ['ls', 'ps', 'df', 'uname', 'ip-addr', 'ss', 'id', 'htop', 'du']), user))
        .filter((p): p is Proc => p !== undefined)
        .map((p) => ({ ...(p.exe === '/usr/bin/sudo' ? p.children![0]! : p), user: 'root' }));
      return { exe: '/usr/bin/sudo', argv: ['sudo', '-i'], switchTo: 'root', children: [{ exe: EXECUTABLES.bash!, argv: ['-bash'], user: 'root', cwd: '/root', children: inner }] };
    }
    case 'ls': return cmd('ls', r.pick(['-la', '-l', '-lh', '-ltr', '']), r.pick([src, '/var/log', '/etc', '/tmp', home(user), '/var/www/app', '/srv']));
    case 'tail-log': return cmd('tail', r.pick(['-f', '-n', '-200f']), r.chance(0.3) ? String(50 * (1 + r.int(10))) : undefined, log());
    case 'less-log': return cmd('less', log());
    case 'grep-log': return cmd('grep', r.pick(['-i', '-c', '-n', '-E']), r.pick(['error', 'timeout', '502', 'Exception', 'denied', 'POST /api']), log());
    case 'systemctl-status': return cmd('systemctl', 'status', service());
    case 'journalctl': return cmd('journalctl', '-u', service(), '--since', r.pick(['today', '-1h', 'yesterday', '-30min']));
    case 'df': return cmd('df', r.pick(['-h', '-hT', '-i']));
    case 'free': return cmd('free', r.pick(['-m', '-h']));
    case 'du': return cmd('du', '-sh', r.pick(['/var/log', '/var/www', src, '/tmp', '/var/lib/docker']));
    case 'du-db': return sudo(cmd('du', '-sh', '/var/lib/postgresql/15/main'));
    case 'ps': return cmd('ps', r.pick(['aux', '-ef', 'auxf', '-eo', 'pid,comm,%cpu']));
    case 'top': return cmd('top');
    case 'htop': return cmd('htop');
    case 'uptime': return cmd('uptime');
    case 'w': return cmd('w');
    case 'last': return cmd('last', '-n', '20');
    case 'id': return cmd('id');
    case 'whoami': return cmd('whoami');
    case 'hostname': return cmd('hostname', r.chance(0.5) ? '-f' : undefined);
    case 'uname': return cmd('uname', r.pick(['-a', '-r']));
    case 'ip-addr': return cmd('ip', r.pick(['a', 'addr', 'route', '-br a']));
    case 'ss': return sudo(cmd('ss', r.pick(['-tlnp', '-tunap', '-s'])));
    case 'ping': return { ...cmd('ping', '-c', String(1 + r.int(4)), server()) };
    case 'dig': return { ...cmd('dig', r.pick([server(), r.pick(SITES)]), r.pick(['+short', ''])), connects: [{ host: '10.0.0.53', port: 53, transport: 'udp' }] };
    case 'cat-config': return cmd('cat', config());
    case 'vim-config': return sudo(cmd('vim', config()));
    case 'nginx-test': return sudo(cmd('nginx', '-t'));
    case 'reload-nginx': return sudo(cmd('systemctl', 'reload', 'nginx'));
    case 'git-log': return { ...cmd('git', 'log', '--oneline', '-n', String(5 + r.int(20))), cwd: role === 'web' ? '/var/www/app' : src };
    case 'curl-head': return { ...cmd('curl', '-sI', `https://${r.pick(['www.example.com', 'shop.example.com', 'api.example.com'])}/`), connects: [{ host: r.pick(['www.example.com', 'shop.example.com', 'api.example.com']), port: 443 }] };
    case 'certbot-certs': return sudo(cmd('certbot', 'certificates'));
    case 'openssl-dates': return cmd('openssl', 'x509', '-in', '/etc/letsencrypt/live/example.com/cert.pem', '-noout', '-dates');
    case 'php-version': return cmd('php', '-v');
    case 'find-logs': return cmd('find', '/var/log', '-name', `*.${r.pick(['gz', 'log', '1'])}`, '-mtime', `+${r.int(30)}`);
    case 'crontab-list': return cmd('crontab', '-l');
    case 'apt-upgradable': return cmd('apt', 'list', '--upgradable');
    case 'runner-status': return sudo(cmd('gitlab-runner', 'status'));
    case 'docker-ps': return cmd('docker', 'ps', r.pick(['-a', '', '--format', '{{.Names}}']));
    case 'docker-prune': return sudo(cmd('docker', 'system', 'prune', '-f'));
    case 'find-builds': return cmd('find', '/home/gitlab-runner/builds', '-maxdepth', '3', '-mtime', `+${1 + r.int(7)}`);
    case 'rm-builds': return sudo(cmd('rm', '-rf', `/home/gitlab-runner/builds/${r.pick(WORDS)}-${r.int(9999)}`));
    case 'psql': { const psql = cmd('psql', '-c', r.pick(['select count(*) from pg_stat_activity', 'select pg_size_pretty(pg_database_size(current_database()))', '\\l', 'select * from pg_stat_replication'])); return { exe: '/usr/bin/sudo', argv: ['sudo', '-u', 'postgres', ...psql.argv], switchTo: 'postgres', children: [{ ...psql, user: 'postgres' }] }; }
    case 'tail-pglog': return sudo(cmd('tail', '-n', '100', '/var/log/postgresql/postgresql-15-main.log'));
    case 'vacuumdb': return sudo(cmd('vacuumdb', '--all', '--analyze-only'));
    case 'backup-list': return { ...cmd('aws', 's3', 'ls', 's3://corp-db-backups/'), connects: [{ host: 's3.eu-west-1.amazonaws.com', port: 443 }] };
    // ---- developers ----
    case 'git-status': return { ...cmd('git', 'status', r.chance(0.3) ? '-s' : undefined), cwd: src };
    case 'git-diff': return { ...cmd('git', 'diff', r.chance(0.3) ? '--staged' : undefined), cwd: src, children: [cmd('less', '-FRX')] };
    case 'git-commit': return { ...cmd('git', 'commit', '-m', `${r.pick(BRANCH_WORDS)}: ${r.pick(WORDS)} ${r.pick(['handling', 'tests', 'cleanup', 'config', 'docs'])}`), cwd: src };
    case 'git-push': return { ...cmd('git', 'push', 'origin', `${r.pick(BRANCH_WORDS)}/${r.pick(WORDS)}`), cwd: src, children: [{ ...cmd('ssh', 'git@gitlab.corp', "git-receive-pack '" + project.name + ".git'"), connects: [{ host: 'gitlab.corp', port: 22 }] }] };
    case 'git-pull': return { ...cmd('git', 'pull'), cwd: src, children: [{ ...cmd('ssh', 'git@gitlab.corp', "git-upload-pack '" + project.name + ".git'"), connects: [{ host: 'gitlab.corp', port: 22 }] }] };
    case 'git-checkout': return { ...cmd('git', 'checkout', r.chance(0.5) ? '-b' : undefined, `${r.pick(BRANCH_WORDS)}/${r.pick(WORDS)}-${r.int(500)}`), cwd: src };
    case 'git-stash': return { ...cmd('git', 'stash', r.pick(['', 'pop', 'list'])), cwd: src };
    case 'vim-file': return cmd('vim', file());
    case 'cat-file': return cmd('cat', file());
    case 'less-file': return cmd('less', file());
    case 'head': return cmd('head', '-n', String(10 + r.int(50)), file());
    case 'code': return { ...cmd('code', src), children: [cmd('git', 'rev-parse', '--show-toplevel')] };
    case 'grep-src': return cmd('grep', '-rn', r.pick(['TODO', 'FIXME', r.pick(WORDS), 'import', 'func ']), `${src}/src`);
    case 'find-src': return cmd('find', src, '-name', `*.${r.pick(['js', 'py', 'go', 'c', 'ts'])}`);
    case 'make': return { ...cmd('make', r.pick(['', 'all', 'test', 'clean', `-j${1 + r.int(8)}`])), cwd: src, children: cCompile(host, src, 1 + r.int(4)) };
    case 'gcc': return withChildren({ ...cmd('gcc', '-O2', '-Wall', '-o', `${src}/build/${project.name}`, `${src}/src/main.c`), cwd: src }, ...cCompile(host, src, 1));
    case 'npm-test': return { ...cmd('npm', 'test'), cwd: src, children: [shell('jest', [{ ...cmd('node', `${src}/node_modules/.bin/jest`), argv: ['node', `${src}/node_modules/.bin/jest`] }])] };
    case 'npm-install': return { ...cmd('npm', r.pick(['install', 'ci', 'install', 'update'])), cwd: src, connects: [{ host: 'registry.npmjs.org', port: 443 }], writes: [{ path: `${src}/node_modules/.bin/${r.pick(['jest', 'eslint', 'tsc', 'vite', 'prettier'])}`, executable: true }] };
    case 'npm-dev': return { ...cmd('npm', 'run', 'dev'), cwd: src, children: [shell('vite', [{ ...cmd('node', `${src}/node_modules/.bin/vite`), listens: [{ port: r.pick([5173, 3000, 3000, 8080]) }] }])] };
    case 'node-script': return { ...cmd('node', `${r.pick(['scripts', 'tools', 'src'])}/${r.pick(WORDS)}.js`), cwd: src };
    case 'python-script': return { ...cmd('python3', `${r.pick(['scripts', 'tools'])}/${r.pick(WORDS)}.py`, r.chance(0.3) ? `--${r.pick(['verbose', 'dry-run', 'limit'])}` : undefined), cwd: src };
    case 'pytest': return { ...cmd('python3', '-m', 'pytest', r.chance(0.5) ? '-x' : undefined, r.chance(0.5) ? `tests/test_${r.pick(WORDS)}.py` : undefined), cwd: src };
    case 'pip-install': {
      const pkg = r.pick(['requests', 'black', 'httpx', 'pydantic', 'rich', 'ruff', 'pytest-cov', 'ipython']);
      return { ...cmd('pip', 'install', '--user', pkg), connects: [{ host: 'pypi.org', port: 443 }, { host: 'files.pythonhosted.org', port: 443 }], writes: [{ path: `${home(user)}/.local/bin/${pkg}`, executable: true }] };
    }
    case 'docker-build': return { ...cmd('docker', 'build', '-t', `${project.name}:${r.pick(['dev', 'latest', `v0.${r.int(30)}`])}`, '.'), cwd: src, connects: [{ host: 'registry-1.docker.io', port: 443 }] };
    case 'docker-run': return cmd('docker', 'run', '--rm', r.chance(0.5) ? '-it' : undefined, r.pick(['postgres:15', 'redis:7', `${project.name}:dev`, 'alpine:3.19', 'python:3.11-slim']));
    case 'kubectl-get': return { ...cmd('kubectl', 'get', r.pick(['pods', 'deployments', 'svc', 'nodes']), '-n', r.pick(['default', 'staging', project.name])), connects: [{ host: 'k8s-api.corp', port: 6443 }] };
    case 'kubectl-logs': return { ...cmd('kubectl', 'logs', '-n', 'staging', `${project.name}-${r.int(99999).toString(16)}`, '--tail', '100'), connects: [{ host: 'k8s-api.corp', port: 6443 }] };
    case 'terraform-plan': return { ...cmd('terraform', 'plan'), cwd: `${src}/infra`, connects: [{ host: 'registry.terraform.io', port: 443 }] };
    case 'go-test': return goTest(host, src);
    case 'curl-api': { const api = r.pick(API_HOSTS); return { ...cmd('curl', r.pick(['-s', '-sS', '-v']), `https://${api}/${r.pick(['v1', 'api', 'get', 'repos'])}/${r.pick(WORDS)}`), connects: [{ host: api, port: 443 }], children: r.chance(0.3) && host.tools.includes('jq') ? [cmd('jq', '.')] : [] }; }
    case 'ssh-server': { const target = server(); return { ...cmd('ssh', target), connects: [{ host: target, port: 22 }] }; }
    case 'scp': { const target = server(); return { ...cmd('scp', file(), `${target}:/tmp/`), connects: [{ host: target, port: 22 }], children: [{ ...cmd('ssh', '-x', '-oPermitLocalCommand=no', '-oClearAllForwarding=yes', '--', target, 'scp -t /tmp/'), connects: [{ host: target, port: 22 }] }] }; }
    case 'man': return { ...cmd('man', r.pick(['tar', 'find', 'git-rebase', 'rsync', 'ssh_config', 'bash'])), children: [cmd('less')] };
    case 'tmux': return cmd('tmux', r.pick(['', 'attach', 'new', '-s']), r.chance(0.3) ? project.name : undefined);
    case 'jq': return host.tools.includes('jq') ? cmd('jq', r.pick(['.', '.items[]', '-r .name']), `${src}/package.json`) : undefined;
    case 'sudo-apt-update': return sudo({ ...cmd('apt', 'update'), connects: [{ host: 'deb.debian.org', port: 80 }, { host: 'security.debian.org', port: 80 }] });
    case 'tar': return cmd('tar', r.pick(['-czf', '-xzf', '-tzf']), `${home(user)}/${r.pick(['backup', 'export', 'logs'])}-${r.int(100)}.tar.gz`, r.chance(0.5) ? src : undefined);
    case 'rm-tmp': return cmd('rm', '-rf', `/tmp/${r.pick(WORDS)}-${r.int(1000)}`);
    case 'mkdir': return cmd('mkdir', '-p', `${src}/${r.pick(['tmp', 'out', 'build', 'data'])}`);
    case 'cp': return cmd('cp', file(), `${src}/${r.pick(['backup', 'tmp'])}/`);
    case 'mv': return cmd('mv', file(), file());
    case 'diff': return cmd('diff', '-u', file(), file());
    case 'wc': return cmd('wc', '-l', file());
    case 'which': return cmd('which', r.pick(['python3', 'node', 'go', 'docker', 'gcc']));
    case 'env': return cmd('env');
    case 'date': return cmd('date');
    case 'sed': return cmd('sed', '-i', `s/${r.pick(WORDS)}/${r.pick(WORDS)}/g`, file());
    case 'awk': return cmd('awk', '{print $1}', file());
    case 'sort': return cmd('sort', '-u', file());
    case 'chmod': return cmd('chmod', '+x', `${src}/scripts/${r.pick(WORDS)}.sh`);
    case 'http-server': return { ...cmd('python3', '-m', 'http.server', String(r.pick([8000, 8000, 8080, 9000]))), cwd: src, listens: [{ port: 8000 }] };
    case 'ssh-keygen': return cmd('ssh-keygen', '-lf', `${home(user)}/.ssh/id_ed25519.pub`);
    case 'openssl': return cmd('openssl', r.pick(['rand', 'version']), r.chance(0.5) ? '-hex' : undefined, r.chance(0.5) ? '32' : undefined);
    case 'base64': return cmd('base64', r.pick(['-d', '-w0', '']), file());
    default: return undefined;
  }
}

function cCompile(host: SimHost, src: string, units: number): Proc[] {
  const r = host.r;
  const objs: Proc[] = [];
  for (let i = 0; i < units; i++) {
    const unit = `${r.pick(WORDS)}.c`;
    objs.push({ ...cmd('gcc', '-O2', '-c', `src/${unit}`, '-o', `build/${unit.replace('.c', '.o')}`), cwd: src, children: [cmd('cc1', '-quiet', `src/${unit}`, '-O2', '-o', `/tmp/cc${randomName(r)}.s`), { ...cmd('as', '--64', '-o', `build/${unit.replace('.c', '.o')}`, `/tmp/cc${randomName(r)}.s`), writes: [{ path: `${src}/build/${unit.replace('.c', '.o')}` }] }] });
  }
  const binary = `${src}/build/${src.slice(src.lastIndexOf('/') + 1)}`;
  objs.push({ ...cmd('gcc', '-o', binary, 'build/*.o'), cwd: src, children: [{ ...cmd('collect2', '-plugin', '/usr/libexec/gcc/x86_64-linux-gnu/12/liblto_plugin.so', '-o', binary), children: [{ ...cmd('ld', '-o', binary, '-lc'), writes: [{ path: binary, executable: true }] }] }] });
  if (r.chance(0.6)) objs.push({ exe: binary, argv: [binary.replace(src, '.'), r.pick(['--test', '--version', '-v', ''])].filter(Boolean), cwd: src, hash: hex(r, 64) });
  return objs;
}

function goTest(host: SimHost, src: string): Proc {
  const r = host.r;
  const dir = `/tmp/go-build${1000000000 + r.int(999999999)}`;
  const pkg = r.pick(WORDS);
  const bin = `${dir}/b001/${pkg}.test`;
  return {
    ...cmd('go', 'test', './...'), cwd: src,
    children: [
      { exe: '/usr/lib/go-1.19/pkg/tool/linux_amd64/compile', argv: ['/usr/lib/go-1.19/pkg/tool/linux_amd64/compile', '-o', `${dir}/b001/_pkg_.a`, '-p', pkg, '-complete'] },
      { exe: '/usr/lib/go-1.19/pkg/tool/linux_amd64/link', argv: ['/usr/lib/go-1.19/pkg/tool/linux_amd64/link', '-o', bin, `${dir}/b001/_pkg_.a`], writes: [{ path: bin, executable: true }] },
      { exe: bin, argv: [bin, '-test.paniconexit0', '-test.timeout=10m0s'], hash: hex(r, 64) },
    ],
  };
}

function randomName(r: Rng): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 6 }, () => chars[r.int(chars.length)]).join('');
}

function hex(r: Rng, n: number): string {
  return Array.from({ length: n }, () => '0123456789abcdef'[r.int(16)]).join('');
}

// ---- a day ----

export interface DayContext {
  day: number;
  startMs: number;
  releases: readonly Release[];
  /** Weekends are quieter (day 0 is a Sunday). */
  weekend: boolean;
}

const SYSTEMD: Parent = { pid: 1, entity: 'init', exe: '/usr/lib/systemd/systemd', user: 'root', cwd: '/' };

function cronParent(host: SimHost): Parent {
  return { pid: 400 + (host.sim.hostId.length % 50), entity: `${host.sim.hostId}-cron`, exe: EXECUTABLES.cron!, user: 'root', cwd: '/' };
}

function boot(host: SimHost, t: number, out: Event[]): void {
  for (const service of host.listening) emitTree(host.sim, t + host.r.int(20_000), SYSTEMD, { exe: service.exe, argv: service.argv, user: service.user, listens: service.ports.map((port) => ({ port })) }, out);
}

function cronJob(host: SimHost, t: number, line: string, children: Proc[], out: Event[], user = 'root'): void {
  emitTree(host.sim, t, { ...cronParent(host), user }, { ...shell(line, children), user }, out);
}

function dailyMaintenance(host: SimHost, ctx: DayContext, out: Event[]): void {
  const r = host.r;
  const t = ctx.startMs + 6 * HOUR + 25 * MINUTE;
  const daily: Proc[] = [
    { exe: EXECUTABLES.sh!, argv: ['/bin/sh', '/etc/cron.daily/apt-compat'], children: [cmd('apt-config', 'shell', 'StateDir', 'Dir::State/d')] },
    { exe: EXECUTABLES.sh!, argv: ['/bin/sh', '/etc/cron.daily/dpkg'], children: [cmd('dpkg', '--audit')] },
    { exe: EXECUTABLES.sh!, argv: ['/bin/sh', '/etc/cron.daily/logrotate'], children: [{ ...cmd('logrotate', '/etc/logrotate.conf'), children: host.role === 'web' ? [shell('invoke-rc.d nginx rotate >/dev/null 2>&1', [cmd('invoke-rc.d', 'nginx', 'rotate')])] : [] }] },
    { exe: EXECUTABLES.sh!, argv: ['/bin/sh', '/etc/cron.daily/man-db'], children: [{ ...cmd('mandb', '--quiet'), user: 'man' }] },
  ];
  cronJob(host, t, 'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }', [{ ...cmd('run-parts', '--report', '/etc/cron.daily'), children: daily }], out);
  // apt timers and unattended upgrades (systemd), with the package releases this host installs today.
  const at = ctx.startMs + 6 * HOUR + r.int(60) * MINUTE;
  const upgrades: Proc[] = [];
  for (const release of ctx.releases) {
    if (release.installDay.get(host.sim.hostId) !== ctx.day) continue;
    for (const exe of release.exes) host.sim.versions.set(exe, (host.sim.versions.get(exe) ?? 0) + 1);
    upgrades.push({
      ...cmd('dpkg', '--status-fd', '10', '--no-triggers', '--unpack', '--auto-deconfigure', `/var/cache/apt/archives/${release.exes[0]!.slice(release.exes[0]!.lastIndexOf('/') + 1)}_${release.day}.deb`),
      writes: release.exes.map((path) => ({ path, action: 'modify' as const, executable: true })),
      ...(release.service ? { autostart: [{ location: 'systemd_unit', name: `${release.service}.service`, path: `/lib/systemd/system/${release.service}.service`, action: 'modified' as const }], services: [{ name: release.service, action: 'modified' as const }] } : {}),
      children: release.service ? [shell(`deb-systemd-invoke try-restart ${release.service}.service`, [cmd('systemctl', '--system', 'try-restart', `${release.service}.service`)])] : [],
    });
  }
  emitTree(host.sim, at, SYSTEMD, {
    exe: EXECUTABLES.sh!, argv: ['/bin/sh', '/usr/lib/apt/apt.systemd.daily', 'update'],
    children: [cmd('apt-config', 'shell', 'UpdateInterval', 'APT::Periodic::Update-Package-Lists'), { ...cmd('apt-get', '-qq', '-y', 'update'), connects: [{ host: 'deb.debian.org', port: 80 }, { host: 'security.debian.org', port: 80 }] }],
  }, out);
  emitTree(host.sim, at + 20 * MINUTE, SYSTEMD, {
    exe: EXECUTABLES.sh!, argv: ['/bin/sh', '/usr/lib/apt/apt.systemd.daily', 'install'],
    children: [{ ...cmd('unattended-upgrade'), children: upgrades.length ? [{ ...cmd('dpkg', '--status-fd', '10', '--configure', '--pending'), children: upgrades }] : [] }],
  }, out);
  // Hourly cron (run-parts over an empty cron.hourly) and roles' own jobs.
  for (let hour = 0; hour < 24; hour++) cronJob(host, ctx.startMs + hour * HOUR + 17 * MINUTE, 'cd / && run-parts --report /etc/cron.hourly', [cmd('run-parts', '--report', '/etc/cron.hourly')], out);
}

/** An interactive shell of `user`: an ssh login from the user's usual source, or a terminal on the desktop. */
export function openShell(host: SimHost, t: number, user: string, out: Event[], options: { source?: string; local?: boolean } = {}): { parent: Parent; time: number } {
  const r = host.r;
  const source = options.source ?? host.sources.get(user) ?? '10.0.0.10';
  // A terminal on the desktop is not a login (the desktop login was); an ssh session is.
  if (!options.local) out.push(loginEvent(host.sim, t, user, { ip: source }, 'sshd'));
  const sessionId = 1 + r.int(5000);
  const daemon: Parent = options.local
    ? { pid: 2000 + r.int(1000), entity: `${host.sim.hostId}-term-${sessionId}`, exe: '/usr/libexec/gnome-terminal-server', user, cwd: home(user), session: sessionId }
    : { pid: 3000 + r.int(1000), entity: `${host.sim.hostId}-sshd-${sessionId}`, exe: EXECUTABLES.sshd!, user: 'root', cwd: '/', session: sessionId };
  const shellProc: Proc = { exe: EXECUTABLES.bash!, argv: [options.local ? 'bash' : '-bash'], user, cwd: home(user) };
  const bashOut: Event[] = [];
  const time = emitTree(host.sim, t + 400, daemon, shellProc, bashOut);
  out.push(...bashOut);
  const bashStart = bashOut[0]!;
  const bash: Parent = { pid: Number(bashStart['process.pid']), entity: String(bashStart['process.entity_id']), exe: EXECUTABLES.bash!, user, cwd: home(user), tty: `pts/${r.int(8)}`, session: sessionId };
  host.shells.push({ timeMs: time, parent: bash });
  return { parent: bash, time };
}

function session(host: SimHost, t: number, user: string, commands: number, out: Event[], options: { source?: string; local?: boolean } = {}): number {
  const r = host.r;
  const opened = openShell(host, t, user, out, options);
  const bash = opened.parent;
  let time = opened.time;
  for (let i = 0; i < commands; i++) {
    // Now and then a command from the long tail: half from the curated list, half any program of the system.
    const proc = r.chance(workloadSettings.longTailShare) ? (r.chance(0.5) ? r.pick(LONG_TAIL)(r, user) : openWorldCommand(r, user)) : sessionCommand(host, r.zipf(host.vocabulary), user);
    // A tool that is not installed: "command not found", or the person installs it first.
    const tool = proc ? (proc.exe === '/usr/bin/sudo' ? proc.children?.[0]?.argv[0] : proc.argv[0]) : undefined;
    if (proc && tool && OPTIONAL_TOOLS[tool] && !host.installed.has(tool)) {
      if (!r.chance(0.5)) continue;
      time = emitTree(host.sim, time + 5_000, bash, sudo({ ...cmd('apt', 'install', '-y', OPTIONAL_TOOLS[tool]!), connects: [{ host: 'deb.debian.org', port: 80 }], children: [{ ...cmd('dpkg', '--status-fd', '44', '--unpack', '--auto-deconfigure', `/var/cache/apt/archives/${OPTIONAL_TOOLS[tool]}.deb`), writes: [{ path: EXECUTABLES[tool] ?? `/usr/bin/${tool}`, executable: true }] }] }), out);
      host.installed.add(tool);
    }
    if (!proc) continue;
    time = emitTree(host.sim, time + 2_000 + r.int(90_000), bash, proc, out);
  }
  return time;
}

function webDay(host: SimHost, ctx: DayContext, out: Event[]): void {
  const r = host.r;
  const fpm: Parent = { pid: 700, entity: `${host.sim.hostId}-fpm`, exe: EXECUTABLES['php-fpm8.2']!, user: 'www-data', cwd: '/var/www/app/public' };
  // The application: outbound calls from PHP workers (payments, database), and image conversions shelling out.
  const requests = ctx.weekend ? 30 : 80;
  for (let i = 0; i < requests; i++) {
    const t = ctx.startMs + r.int(24) * HOUR + r.int(60) * MINUTE;
    out.push(...connectEvents(host, t, fpm, r.chance(0.8) ? { host: 'db-01.corp', port: 5432 } : { host: r.pick(['api.stripe.com', 'hooks.slack.com', 'api.mailgun.net']), port: 443 }));
  }
  if (host.imageApp) {
    for (let i = 0; i < (ctx.weekend ? 5 : 20); i++) {
      const t = ctx.startMs + (8 + r.int(14)) * HOUR + r.int(60) * MINUTE;
      const upload = `/var/www/app/storage/uploads/${hex(r, 16)}.${r.pick(['jpg', 'png'])}`;
      emitTree(host.sim, t, fpm, shell(`convert '${upload}' -resize 800x800 '${upload.replace(/\.(jpg|png)$/, '_m.$1')}'`, [{ ...cmd('convert', upload, '-resize', '800x800', upload.replace(/\.(jpg|png)$/, '_m.$1')), writes: [{ path: upload.replace(/\.(jpg|png)$/, '_m.$1') }] }]), out);
    }
  }
  if (host.scheduler) {
    for (let minute = 0; minute < 24 * 60; minute++) {
      cronJob(host, ctx.startMs + minute * MINUTE + r.int(900), 'cd /var/www/app && php artisan schedule:run >> /dev/null 2>&1', [{ ...cmd('php', 'artisan', 'schedule:run'), cwd: '/var/www/app', user: 'www-data' }], out, 'www-data');
    }
  }
  // php session cleanup every 30 minutes; certbot twice a day.
  for (let half = 0; half < 48; half++) cronJob(host, ctx.startMs + half * 30 * MINUTE + 9 * MINUTE, '[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi', [{ exe: EXECUTABLES.sh!, argv: ['/bin/sh', '-e', '/usr/lib/php/sessionclean'], children: [cmd('find', '-O3', '/var/lib/php/sessions/', '-ignore_readdir_race', '-depth', '-mindepth', '1', '-name', 'sess_*', '-type', 'f', '-cmin', '+24')] }], out);
  for (const hour of [r.int(12), 12 + r.int(12)]) {
    emitTree(host.sim, ctx.startMs + hour * HOUR + r.int(60) * MINUTE, SYSTEMD, { ...cmd('certbot', '-q', 'renew'), connects: [{ host: 'acme-v02.api.letsencrypt.org', port: 443 }] }, out);
  }
  // Deploys from CI a few times a week.
  if (!ctx.weekend && r.chance(0.45)) {
    const t = ctx.startMs + (10 + r.int(7)) * HOUR + r.int(60) * MINUTE;
    out.push(loginEvent(host.sim, t, 'deploy', { ip: '10.0.1.20' }));
    const sshd: Parent = { pid: 3500, entity: `${host.sim.hostId}-deploy-${ctx.day}`, exe: EXECUTABLES.sshd!, user: 'root', cwd: '/' };
    emitTree(host.sim, t + 500, sshd, {
      ...shell('cd /var/www/app && git fetch && git checkout -f $REV && composer install --no-dev -q && php artisan migrate --force && sudo systemctl reload php8.2-fpm', [], 'bash'), user: 'deploy', cwd: '/var/www/app',
      children: [
        { ...cmd('git', 'fetch'), children: [{ ...cmd('ssh', 'git@gitlab.corp', "git-upload-pack 'shop/app.git'"), connects: [{ host: 'gitlab.corp', port: 22 }] }] },
        cmd('git', 'checkout', '-f', hex(r, 40)),
        { ...cmd('composer', 'install', '--no-dev', '-q'), connects: [{ host: 'repo.packagist.org', port: 443 }] },
        { ...cmd('php', 'artisan', 'migrate', '--force'), connects: [{ host: 'db-01.corp', port: 5432 }] },
        sudo(cmd('systemctl', 'reload', 'php8.2-fpm')),
      ],
    }, out);
  }
}

function connectEvents(host: SimHost, t: number, parent: Parent, connect: { host: string; port: number }): Event[] {
  const out: Event[] = [];
  // A worker's connect: reuse emitTree's network part through a process that does not start (the worker exists).
  const holder: Event[] = [];
  emitTree(host.sim, t, parent, { exe: parent.exe, argv: ['php-fpm: pool www'], connects: [connect] }, holder);
  for (const e of holder.slice(1)) {
    e['process.pid'] = parent.pid;
    e['process.entity_id'] = parent.entity;
    out.push(e);
  }
  return out;
}

function buildJob(host: SimHost, t: number, out: Event[]): void {
  const r = host.r;
  const project = r.pick(host.projects);
  const dir = `/home/gitlab-runner/builds/${hex(r, 8)}/0/${r.pick(['platform', 'apps', 'infra', 'tools'])}/${project.name}`;
  const runner: Parent = { pid: 900, entity: `${host.sim.hostId}-runner`, exe: EXECUTABLES['gitlab-runner']!, user: 'gitlab-runner', cwd: '/home/gitlab-runner' };
  const steps: Proc[] = [
    { ...cmd('git', 'fetch', 'origin', '+refs/pipelines/*:refs/pipelines/*', '--prune', '--quiet'), cwd: dir, children: [{ ...cmd('git-remote-https', 'origin', `https://gitlab-ci-token:${hex(r, 20)}@gitlab.corp/${project.name}.git`), connects: [{ host: 'gitlab.corp', port: 443 }] }] },
    { ...cmd('git', 'checkout', '-f', '-q', hex(r, 40)), cwd: dir },
  ];
  const lang = project.lang;
  steps.push({ ...cmd('git', 'clean', '-ffdx'), cwd: dir }, { ...cmd('git', 'submodule', 'update', '--init'), cwd: dir });
  if (lang === 'c') steps.push({ ...cmd('make', `-j${2 + r.int(6)}`), cwd: dir, children: cCompile(host, dir, 5 + r.int(20)) });
  if (lang === 'node') {
    steps.push({ ...cmd('npm', 'ci'), cwd: dir, connects: [{ host: 'registry.npmjs.org', port: 443 }], writes: [{ path: `${dir}/node_modules/.bin/jest`, executable: true }] });
    const workers = Array.from({ length: 2 + r.int(6) }, () => ({ exe: EXECUTABLES.node!, argv: ['/usr/bin/node', `${dir}/node_modules/jest-worker/build/workers/processChild.js`] }));
    steps.push({ ...cmd('npm', 'test'), cwd: dir, children: [shell('jest --ci', [{ exe: EXECUTABLES.node!, argv: ['node', `${dir}/node_modules/.bin/jest`, '--ci'], children: workers }])] });
  }
  if (lang === 'go') steps.push({ ...cmd('go', 'mod', 'download'), cwd: dir, connects: [{ host: 'proxy.golang.org', port: 443 }] }, goTest(host, dir));
  if (lang === 'python') steps.push({ ...cmd('pip', 'install', '-r', 'requirements.txt'), cwd: dir, connects: [{ host: 'pypi.org', port: 443 }, { host: 'files.pythonhosted.org', port: 443 }] }, { ...cmd('python3', '-m', 'pytest', '-q'), cwd: dir, ...(r.chance(0.2) ? { listens: [{ port: r.pick([5432, 6379, 8080]) }] } : {}) });
  if (lang === 'java') steps.push({ ...cmd('java', '-jar', '/usr/share/gradle/gradle-wrapper.jar', 'build'), cwd: dir, connects: [{ host: 'repo.maven.apache.org', port: 443 }, { host: 'plugins.gradle.org', port: 443 }] });
  if (lang === 'php') steps.push({ ...cmd('composer', 'install'), cwd: dir, connects: [{ host: 'repo.packagist.org', port: 443 }] }, { ...cmd('php', 'vendor/bin/phpunit'), cwd: dir });
  if (r.chance(0.3)) steps.push({ ...cmd('docker', 'build', '-t', `registry.corp/${project.name}:${hex(r, 8)}`, '.'), cwd: dir, connects: [{ host: 'registry-1.docker.io', port: 443 }] }, { ...cmd('docker', 'push', `registry.corp/${project.name}:${hex(r, 8)}`), connects: [{ host: 'registry.corp', port: 443 }] });
  emitTree(host.sim, t, runner, { exe: EXECUTABLES.bash!, argv: ['bash'], cwd: dir, children: steps }, out);
}

function devDay(host: SimHost, ctx: DayContext, out: Event[]): void {
  const r = host.r;
  const user = host.users[0]!;
  if (ctx.weekend && !r.chance(0.2)) return;
  const start = ctx.startMs + (7 + r.int(3)) * HOUR + r.int(60) * MINUTE;
  // Local login, the desktop, a browser, terminals through the day.
  out.push(loginEvent(host.sim, start, user, { terminal: 'tty2' }, 'gdm-password'));
  const gnome: Parent = { pid: 1500, entity: `${host.sim.hostId}-gnome-${ctx.day}`, exe: '/usr/bin/gnome-shell', user, cwd: home(user) };
  const browsing: Proc = { exe: EXECUTABLES.firefox!, argv: ['/usr/lib/firefox-esr/firefox-esr'], connects: Array.from({ length: 15 + r.int(25) }, () => ({ host: r.chance(0.9) ? r.pick(SITES) : `${r.pick(WORDS)}${r.pick(['.io', '.com', '.dev', '.org'])}`, port: 443 })) };
  emitTree(host.sim, start + 60_000, gnome, browsing, out);
  let t = start + 5 * MINUTE;
  const end = ctx.startMs + (17 + r.int(4)) * HOUR;
  // The editor's git integration polls the open repository every minute or two while the desktop is in use.
  const editor: Parent = { pid: 1700, entity: `${host.sim.hostId}-code-${ctx.day}`, exe: EXECUTABLES.code!, user, cwd: home(user) };
  const repo = `${home(user)}/src/${r.pick(host.projects).name}`;
  for (let at = start + 10 * MINUTE; at < end; at += (1 + r.int(3)) * MINUTE) {
    const poll = r.pick([['status', '-z', '-uall'], ['rev-parse', '--show-toplevel'], ['config', '--get', 'commit.template'], ['for-each-ref', '--sort', '-committerdate', '--format', '%(refname) %(objectname)'], ['log', '--format=%H', '-n', '1']]);
    emitTree(host.sim, at, editor, { ...cmd('git', ...poll), cwd: repo }, out);
  }
  while (t < end) {
    t = session(host, t, user, 5 + r.int(20), out, { local: true }) + (10 + r.int(60)) * MINUTE;
  }
  // Occasionally: a new tool from the package archive, then used.
  if (r.chance(0.12)) {
    const tool = r.pick(DEV_TOOLS.filter((x) => !host.tools.includes(x)).concat('jq'));
    const exe = EXECUTABLES[tool] ?? `/usr/bin/${tool}`;
    const bash = host.shells[host.shells.length - 1]?.parent;
    if (!bash) return;
    const at = start + r.int(8) * HOUR;
    emitTree(host.sim, at, bash, sudo({ ...cmd('apt', 'install', '-y', tool === 'rg' ? 'ripgrep' : tool), connects: [{ host: 'deb.debian.org', port: 80 }], children: [{ ...cmd('dpkg', '--status-fd', '44', '--unpack', '--auto-deconfigure', `/var/cache/apt/archives/${tool}.deb`), writes: [{ path: exe, executable: true }] }] }), out);
    emitTree(host.sim, at + 5 * MINUTE, bash, { exe, argv: [tool, r.pick(['--help', '--version', '.', '-h'])] }, out);
    host.tools.push(tool);
    host.installed.add(tool);
  }
  // Remote work in the evening now and then, from the usual VPN address or a new one.
  if (r.chance(0.15)) {
    const source = r.chance(0.8) ? host.sources.get(user)! : `10.8.${r.int(40)}.${10 + r.int(200)}`;
    session(host, ctx.startMs + (19 + r.int(4)) * HOUR, user, 3 + r.int(8), out, { source });
  }
}

function dbDay(host: SimHost, ctx: DayContext, out: Event[]): void {
  const r = host.r;
  const postgres: Parent = { pid: 800, entity: `${host.sim.hostId}-postgres`, exe: EXECUTABLES.postgres!, user: 'postgres', cwd: '/var/lib/postgresql/15/main' };
  for (let i = 0; i < 24 * 6; i++) {
    if (!r.chance(0.6)) continue;
    const wal = hex(r, 24).toUpperCase();
    emitTree(host.sim, ctx.startMs + i * 10 * MINUTE + r.int(9) * MINUTE, postgres, shell(`test ! -f /var/lib/postgresql/15/archive/${wal} && cp pg_wal/${wal} /var/lib/postgresql/15/archive/${wal}`, [{ ...cmd('cp', `pg_wal/${wal}`, `/var/lib/postgresql/15/archive/${wal}`), writes: [{ path: `/var/lib/postgresql/15/archive/${wal}` }] }]), out);
  }
  const backupAt = ctx.startMs + 2 * HOUR + 30 * MINUTE;
  const dump = `/var/backups/pg/${new Date(ctx.startMs).toISOString().slice(0, 10)}.sql.gz`;
  cronJob(host, backupAt, '/usr/local/bin/pg-backup.sh', [{
    exe: EXECUTABLES.bash!, argv: ['/bin/bash', '/usr/local/bin/pg-backup.sh'], user: 'postgres',
    children: [cmd('date', '+%F'), cmd('pg_dump', '-Fc', 'shop'), { ...cmd('gzip', '-9'), writes: [{ path: dump }] }, { ...cmd('aws', 's3', 'cp', dump, 's3://corp-db-backups/'), connects: [{ host: 's3.eu-west-1.amazonaws.com', port: 443 }] }, cmd('find', '/var/backups/pg', '-mtime', '+14', '-delete')],
  }], out, 'postgres');
}

function adminSessions(host: SimHost, ctx: DayContext, out: Event[], perDay: number): void {
  const r = host.r;
  const admins = host.users.filter((u) => u !== 'deploy');
  const count = ctx.weekend ? (r.chance(0.2) ? 1 : 0) : Math.floor(perDay) + (r.chance(perDay % 1) ? 1 : 0);
  for (let i = 0; i < count; i++) {
    // Mostly working hours; on-call sessions at night now and then.
    const hour = r.chance(0.05) ? r.int(7) : 8 + r.int(10);
    session(host, ctx.startMs + hour * HOUR + r.int(60) * MINUTE, r.pick(admins), 3 + r.int(15), out);
  }
}

/** All benign events of `host` on day `ctx.day`, in time order. */
export function generateDay(host: SimHost, ctx: DayContext): Event[] {
  const out: Event[] = [];
  const r = host.r;
  if (ctx.day === 0 || (ctx.day % 9 === 4 && r.chance(0.3))) boot(host, ctx.startMs + (ctx.day === 0 ? 0 : 3 * HOUR + r.int(60) * MINUTE), out);
  dailyMaintenance(host, ctx, out);
  if (host.role === 'web') {
    webDay(host, ctx, out);
    adminSessions(host, ctx, out, 0.6);
  } else if (host.role === 'build') {
    const jobs = ctx.weekend ? 3 + r.int(6) : 15 + r.int(30);
    for (let i = 0; i < jobs; i++) buildJob(host, ctx.startMs + (r.chance(0.8) ? 8 + r.int(11) : r.int(24)) * HOUR + r.int(60) * MINUTE, out);
    adminSessions(host, ctx, out, 0.4);
  } else if (host.role === 'dev') {
    devDay(host, ctx, out);
  } else {
    dbDay(host, ctx, out);
    adminSessions(host, ctx, out, 0.5);
  }
  out.sort((a, b) => String(a['@timestamp']).localeCompare(String(b['@timestamp'])));
  return out;
}
