// The long tail of what people type now and then: troubleshooting, inventory, one-off checks. Drawn into sessions
// at a low rate so hosts keep meeting commands (and argument shapes) they have not seen, as real hosts do. Many of
// these are what discovery techniques also run (id, uname -a, cat /etc/passwd, ss -tunap, crontab -l): by design.

import { readdirSync } from 'node:fs';
import { cmd, EXECUTABLES, sudo } from './commands.js';
import type { Proc } from './emit.js';
import type { Rng } from './benign.js';

type Gen = (r: Rng, user: string) => Proc;
const home = (user: string) => (user === 'root' ? '/root' : `/home/${user}`);
const some = <T>(r: Rng, items: readonly T[]) => r.pick(items);

export const LONG_TAIL: readonly Gen[] = [
  () => cmd('cat', '/etc/passwd'), () => cmd('getent', 'passwd'), (r) => cmd('getent', 'group', some(r, ['sudo', 'docker', 'adm', 'www-data'])), () => cmd('last', '-a'), () => cmd('lastlog'),
  () => sudo(cmd('lsof', '-i')), (r) => sudo(cmd('lsof', '-p', String(1000 + r.int(30000)))), () => cmd('netstat', '-tulpn'), () => cmd('ss', '-tunap'), (r) => cmd('ss', '-o', 'state', some(r, ['established', 'time-wait'])),
  (r) => cmd('find', '/etc', '-name', `*.${some(r, ['conf', 'cfg', 'bak', 'dpkg-old'])}`), (r) => cmd('find', '/home', '-maxdepth', '2', '-newer', '/etc/hostname'), () => cmd('crontab', '-l'), () => sudo(cmd('crontab', '-l', '-u', 'root')),
  () => cmd('systemctl', 'list-timers'), () => cmd('systemctl', 'list-units', '--failed'), (r) => cmd('systemctl', 'cat', some(r, ['ssh', 'cron', 'rsyslog'])), (_, u) => cmd('ls', '-la', `${home(u)}/.ssh`), (_, u) => cmd('cat', `${home(u)}/.ssh/config`),
  () => ({ exe: '/usr/bin/sudo', argv: ['sudo', '-l'] }), () => cmd('groups'), () => cmd('id', '-Gn'), () => cmd('lscpu'), () => sudo(cmd('dmesg', '-T')), () => cmd('mount'), () => cmd('lsblk', '-f'), () => cmd('ip', 'route'), () => cmd('ip', 'neigh'),
  () => cmd('cat', '/etc/resolv.conf'), (r) => ({ ...cmd('host', some(r, ['debian.org', 'github.com', 'gitlab.corp'])), connects: [{ host: '10.0.0.53', port: 53, transport: 'udp' }] }), (r) => ({ ...cmd('traceroute', some(r, ['8.8.8.8', 'github.com', '10.0.0.1'])) }),
  () => ({ ...cmd('curl', '-s', 'https://ifconfig.me'), connects: [{ host: 'ifconfig.me', port: 443 }] }), (r) => ({ ...cmd('wget', '-q', '-O', '/dev/null', `https://${some(r, ['speed.hetzner.de', 'proof.ovh.net', 'cdn.kernel.org'])}/100MB.bin`), connects: [{ host: some(r, ['speed.hetzner.de', 'proof.ovh.net', 'cdn.kernel.org']), port: 443 }] }),
  () => cmd('uname', '-a'), () => cmd('cat', '/etc/os-release'), () => cmd('hostnamectl'), () => cmd('timedatectl'), () => cmd('loginctl', 'list-sessions'), (r) => cmd('journalctl', '-p', 'err', '-b', some(r, ['', '-1'])),
  () => cmd('du', '-ah', '/var/log', '--max-depth=1'), (r) => cmd('ncdu', some(r, ['/', '/var', '/home'])), () => cmd('df', '-i'), () => cmd('free', '-g'), () => cmd('vmstat', '1', '5'), () => cmd('iostat', '-x', '1', '3'),
  (r) => sudo(cmd('strace', '-f', '-p', String(1000 + r.int(30000)))), (r) => sudo(cmd('tcpdump', '-i', 'any', '-c', '100', 'port', some(r, ['53', '80', '443', '5432']))), () => cmd('ps', '-eo', 'pid,ppid,cmd,%mem', '--sort=-%mem'), () => cmd('pstree', '-p'),
  (r) => cmd('kill', '-HUP', String(1000 + r.int(30000))), (r) => cmd('pkill', '-f', some(r, ['node', 'python3', 'vim'])), (r) => cmd('pgrep', '-a', some(r, ['nginx', 'sshd', 'cron', 'node'])), () => cmd('uptime', '-p'), () => cmd('who', '-b'),
  () => cmd('env'), () => cmd('printenv', 'PATH'), (_, u) => cmd('cat', `${home(u)}/.bash_history`), (_, u) => cmd('tail', '-n', '50', `${home(u)}/.bash_history`), () => cmd('locale'), () => cmd('date', '-u'), () => cmd('cal'),
  (r) => cmd('openssl', 's_client', '-connect', `${some(r, ['www.example.com', 'api.example.com'])}:443`, '-servername', 'www.example.com'), (r) => cmd('openssl', 'x509', '-noout', '-text', '-in', some(r, ['/etc/ssl/certs/ca-certificates.crt', '/etc/letsencrypt/live/example.com/fullchain.pem'])),
  (r) => cmd('sha256sum', some(r, ['/usr/bin/curl', '/tmp/download.tar.gz', '/var/cache/apt/archives/partial/x.deb'])), (r) => cmd('md5sum', some(r, ['/etc/passwd', '/etc/nginx/nginx.conf'])), (r) => cmd('file', some(r, ['/usr/bin/python3', '/tmp/a.out', '/bin/sh'])),
  (r) => cmd('stat', some(r, ['/etc/passwd', '/var/log/syslog', '/tmp'])), (r) => cmd('readlink', '-f', some(r, ['/usr/bin/python3', '/bin/sh', '/usr/bin/java'])), (r) => cmd('which', some(r, ['java', 'perl', 'ruby', 'pip3'])),
  (r) => cmd('tar', '-tzf', `/tmp/${some(r, ['release', 'backup', 'logs'])}.tar.gz`), (r) => cmd('unzip', '-l', `/tmp/${some(r, ['artifact', 'export'])}.zip`), (r) => cmd('gzip', '-d', `/tmp/${some(r, ['dump', 'log'])}.gz`), (r) => cmd('zcat', `/var/log/${some(r, ['syslog', 'auth.log'])}.2.gz`),
  (r) => cmd('grep', '-r', some(r, ['password', 'secret', 'api_key', 'TODO']), some(r, ['/etc', '.', '/var/www/app/config'])), () => cmd('awk', '-F:', '$3 >= 1000 {print $1}', '/etc/passwd'), () => cmd('sort', '-k2', '-n'), () => cmd('uniq', '-c'),
  (r) => cmd('xargs', '-n', '1', some(r, ['echo', 'basename'])), () => cmd('watch', '-n', '2', 'df -h'), () => cmd('tmux', 'ls'), () => cmd('screen', '-ls'), (r) => cmd('nohup', some(r, ['./run.sh', 'python3']), some(r, ['serve.py', ''])),
  (r) => cmd('sleep', String(1 + r.int(30))), () => cmd('sync'), (r) => sudo(cmd('systemctl', 'restart', some(r, ['rsyslog', 'cron', 'ssh']))), () => sudo(cmd('apt', 'autoremove', '-y')), () => cmd('dpkg', '-l'), (r) => cmd('dpkg', '-S', some(r, ['/usr/bin/curl', '/usr/sbin/sshd'])),
  (r) => cmd('apt', 'show', some(r, ['curl', 'nginx', 'postgresql-15'])), () => cmd('apt-cache', 'policy'), (r) => cmd('man', some(r, ['ss', 'lsof', 'crontab', 'sudoers'])), (r) => cmd('less', some(r, ['/var/log/auth.log', '/var/log/kern.log', '/etc/sudoers.d/README'])),
  () => sudo(cmd('cat', '/var/log/auth.log')), (r) => cmd('zgrep', some(r, ['Failed password', 'Accepted', 'sudo']), '/var/log/auth.log.2.gz'), () => sudo(cmd('iptables', '-L', '-n')), () => sudo(cmd('nft', 'list', 'ruleset')), () => cmd('ping6', '-c', '2', 'ipv6.google.com'),
  (r) => ({ ...cmd('nc', '-zv', some(r, ['db-01.corp', 'web-01.corp', '10.0.0.10']), some(r, ['22', '5432', '443'])), connects: [{ host: some(r, ['db-01.corp', 'web-01.corp']), port: some(r, [22, 5432, 443]) }] }), (r) => ({ ...cmd('telnet', some(r, ['db-01.corp', 'mail.corp']), some(r, ['25', '5432'])), connects: [{ host: 'mail.corp', port: 25 }] }),
  (r) => ({ ...cmd('dig', '+trace', some(r, ['example.com', 'corp'])), connects: [{ host: '10.0.0.53', port: 53, transport: 'udp' }] }), (r) => ({ ...cmd('curl', '-v', `http://${some(r, ['localhost', '127.0.0.1'])}:${some(r, ['8080', '80', '9100'])}/`) }), () => cmd('ip', '-s', 'link'), () => cmd('ethtool', 'eth0'),
  (r) => cmd('mkdir', '-p', `/tmp/${some(r, ['debug', 'test', 'work'])}`), (r) => cmd('cp', '-r', '/etc/nginx', `/tmp/nginx-${some(r, ['bak', 'old'])}`), (r) => cmd('chmod', some(r, ['600', '644', '+x']), `/tmp/${some(r, ['key', 'run.sh', 'notes.txt'])}`), (r) => cmd('rm', '-f', `/tmp/${some(r, ['x', 'out.log', 'core'])}`),
  (r) => cmd('ln', '-sf', `/opt/${some(r, ['app', 'tool'])}/current`, `/opt/${some(r, ['app', 'tool'])}/live`), (r) => cmd('touch', `/tmp/${some(r, ['marker', 'lock', 'test'])}`), (r) => cmd('head', '-c', '100', some(r, ['/dev/urandom', '/etc/hosts'])), () => cmd('base64', '/dev/urandom'),
  (r) => cmd('python3', '-c', some(r, ['import sys; print(sys.version)', 'import json,sys; print(json.load(sys.stdin))', 'import secrets; print(secrets.token_hex(16))'])), (r) => cmd('python3', '-m', some(r, ['json.tool', 'venv', 'pip', 'http.server'])), () => cmd('perl', '-v'),
  (r) => cmd('vim', `/tmp/${some(r, ['notes', 'scratch'])}.txt`), () => sudo(cmd('visudo', '-c')), () => sudo(cmd('passwd', '-S', 'root')), (r) => cmd('chage', '-l', some(r, ['root', 'ops1'])), () => cmd('w', '-h'), () => cmd('lsmod'), () => cmd('lspci'),
  (r) => sudo(cmd('ss', '-K', 'dst', some(r, ['10.0.0.99', '10.0.5.5']))), (r) => cmd('scp', `${some(r, ['web-01', 'db-01'])}.corp:/var/log/syslog`, '/tmp/'), (r) => ({ ...cmd('rsync', '-av', `/var/www/`, `${some(r, ['backup-01', 'web-02'])}.corp:/srv/`), connects: [{ host: 'backup-01.corp', port: 22 }] }),
  (r) => cmd('docker', 'logs', '--tail', '50', some(r, ['app', 'db', 'redis'])), () => cmd('docker', 'images'), (r) => cmd('git', 'clone', `git@gitlab.corp:${some(r, ['tools', 'infra', 'platform'])}/${some(r, ['scripts', 'dotfiles', 'runbooks'])}.git`), () => cmd('history'),
];

/**
 * The open world: any program installed on a Debian host, run with a typical argument. Read from this machine's
 * /usr/bin and /usr/sbin (over a thousand names), so hosts keep meeting programs they never ran for the whole run.
 */
let installedPrograms: { name: string; exe: string }[] | undefined;
function programs(): { name: string; exe: string }[] {
  if (installedPrograms) return installedPrograms;
  const found: { name: string; exe: string }[] = [];
  for (const dir of ['/usr/bin', '/usr/sbin']) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      // not Linux: the curated list alone
    }
    for (const name of names) if (/^[a-z][a-z0-9._+-]{1,30}$/.test(name)) found.push({ name, exe: EXECUTABLES[name] ?? `${dir}/${name}` });
  }
  return (installedPrograms = found);
}

export function openWorldCommand(r: Rng, user: string): Proc | undefined {
  const all = programs();
  if (!all.length) return undefined;
  const { name, exe } = r.pick(all);
  const arg = r.pick(['--help', '--version', '-h', '-l', '-v', '', '', `${home(user)}/${r.pick(['notes.txt', 'src', 'data.json', 'Downloads'])}`, '/etc/hosts', '.']);
  return { exe, argv: arg ? [name, arg] : [name] };
}
