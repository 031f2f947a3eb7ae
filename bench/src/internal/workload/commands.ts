// How commands look on a Debian 12 host: names resolved to the executables the kernel reports (symlinks and
// alternatives followed, scripts run by their interpreter), and argument generators for everyday commands.
// The real-execution check (real-run.ts) compares this table with what auditd reports on this machine.

import type { Proc } from './emit.js';

/** name → executable as auditd reports it on Debian 12 (exe= follows symlinks and alternatives). */
export const EXECUTABLES: Record<string, string> = {
  sh: '/usr/bin/dash', dash: '/usr/bin/dash', bash: '/usr/bin/bash', rbash: '/usr/bin/bash',
  python: '/usr/bin/python3.11', python3: '/usr/bin/python3.11', 'python3.11': '/usr/bin/python3.11', perl: '/usr/bin/perl', ruby: '/usr/bin/ruby3.1', php: '/usr/bin/php8.2', node: '/usr/bin/node', nodejs: '/usr/bin/node',
  vi: '/usr/bin/vim.basic', vim: '/usr/bin/vim.basic', editor: '/usr/bin/vim.basic', nano: '/usr/bin/nano', awk: '/usr/bin/mawk', nawk: '/usr/bin/mawk', mawk: '/usr/bin/mawk', gawk: '/usr/bin/gawk',
  nc: '/usr/bin/nc.openbsd', netcat: '/usr/bin/nc.openbsd', ncat: '/usr/bin/ncat', pager: '/usr/bin/less', which: '/usr/bin/dash', zgrep: '/usr/bin/dash', gunzip: '/usr/bin/dash', 'invoke-rc.d': '/usr/bin/dash', ldd: '/usr/bin/bash', rename: '/usr/bin/file-rename',
  gcc: '/usr/bin/x86_64-linux-gnu-gcc-12', cc: '/usr/bin/x86_64-linux-gnu-gcc-12', 'c++': '/usr/bin/x86_64-linux-gnu-g++-12', 'g++': '/usr/bin/x86_64-linux-gnu-g++-12',
  cc1: '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', collect2: '/usr/lib/gcc/x86_64-linux-gnu/12/collect2', as: '/usr/bin/x86_64-linux-gnu-as', ld: '/usr/bin/x86_64-linux-gnu-ld.bfd',
  java: '/usr/lib/jvm/java-17-openjdk-amd64/bin/java', go: '/usr/lib/go-1.19/bin/go', docker: '/usr/bin/docker', kubectl: '/usr/local/bin/kubectl', terraform: '/usr/local/bin/terraform',
  code: '/usr/share/code/code', firefox: '/usr/lib/firefox-esr/firefox-esr', nginx: '/usr/sbin/nginx', 'php-fpm8.2': '/usr/sbin/php-fpm8.2', sshd: '/usr/sbin/sshd', cron: '/usr/sbin/cron',
  systemd: '/usr/lib/systemd/systemd', 'gitlab-runner': '/usr/bin/gitlab-runner', 'git-remote-https': '/usr/lib/git-core/git-remote-https', postgres: '/usr/lib/postgresql/15/bin/postgres',
  psql: '/usr/lib/postgresql/15/bin/psql', pg_dump: '/usr/lib/postgresql/15/bin/pg_dump', vacuumdb: '/usr/lib/postgresql/15/bin/vacuumdb', sudo: '/usr/bin/sudo', su: '/usr/bin/su',
  'run-parts': '/usr/bin/run-parts', logrotate: '/usr/sbin/logrotate', ip: '/usr/bin/ip', ss: '/usr/bin/ss', iptables: '/usr/sbin/xtables-nft-multi', useradd: '/usr/sbin/useradd',
  usermod: '/usr/sbin/usermod', userdel: '/usr/sbin/userdel', groupadd: '/usr/sbin/groupadd', chpasswd: '/usr/sbin/chpasswd', crontab: '/usr/bin/crontab', ifconfig: '/usr/sbin/ifconfig',
  netstat: '/usr/bin/netstat', route: '/usr/sbin/route', arp: '/usr/sbin/arp', insmod: '/usr/bin/kmod', lsmod: '/usr/bin/kmod', modprobe: '/usr/bin/kmod', rmmod: '/usr/bin/kmod',
  systemctl: '/usr/bin/systemctl', journalctl: '/usr/bin/journalctl', service: '/usr/bin/dash', 'update-rc.d': '/usr/sbin/update-rc.d', dpkg: '/usr/bin/dpkg', apt: '/usr/bin/apt',
  'apt-get': '/usr/bin/apt-get', 'apt-config': '/usr/bin/apt-config', setcap: '/usr/sbin/setcap', getcap: '/usr/sbin/getcap', tcpdump: '/usr/bin/tcpdump', nmap: '/usr/bin/nmap',
  iptablessave: '/usr/sbin/xtables-nft-multi', chattr: '/usr/bin/chattr', lsattr: '/usr/bin/lsattr', auditctl: '/usr/sbin/auditctl', setenforce: '/usr/sbin/setenforce', ufw: '/usr/sbin/ufw',
  passwd: '/usr/bin/passwd', chsh: '/usr/bin/chsh', visudo: '/usr/sbin/visudo', shred: '/usr/bin/shred', xxd: '/usr/bin/xxd', pkill: '/usr/bin/pkill', pgrep: '/usr/bin/pgrep',
  killall: '/usr/bin/killall', lsof: '/usr/bin/lsof', strace: '/usr/bin/strace', gdb: '/usr/bin/gdb', mkfifo: '/usr/bin/mkfifo', socat: '/usr/bin/socat', telnet: '/usr/bin/telnet.netkit',
  openssl: '/usr/bin/openssl', base64: '/usr/bin/base64', gpg: '/usr/bin/gpg', zip: '/usr/bin/zip', unzip: '/usr/bin/unzip', '7z': '/usr/bin/7z', rar: '/usr/bin/rar',
  mandb: '/usr/bin/mandb', man: '/usr/bin/man', updatedb: '/usr/bin/updatedb.plocate', locate: '/usr/bin/plocate', certbot: '/usr/bin/python3.11', composer: '/usr/bin/php8.2',
  pip: '/usr/bin/python3.11', pip3: '/usr/bin/python3.11', npm: '/usr/bin/node', npx: '/usr/bin/node', 'unattended-upgrade': '/usr/bin/python3.11', aws: '/usr/bin/python3.11',
  htop: '/usr/bin/htop', top: '/usr/bin/top', ps: '/usr/bin/ps', free: '/usr/bin/free', uptime: '/usr/bin/uptime', w: '/usr/bin/w', who: '/usr/bin/who', last: '/usr/bin/last',
  hostname: '/usr/bin/hostname', dig: '/usr/bin/dig', host: '/usr/bin/host', nslookup: '/usr/bin/nslookup', ping: '/usr/bin/ping', traceroute: '/usr/bin/traceroute.db',
  curl: '/usr/bin/curl', wget: '/usr/bin/wget', ssh: '/usr/bin/ssh', scp: '/usr/bin/scp', sftp: '/usr/bin/sftp', rsync: '/usr/bin/rsync', git: '/usr/bin/git', make: '/usr/bin/make',
  tmux: '/usr/bin/tmux', screen: '/usr/bin/screen', jq: '/usr/bin/jq', rg: '/usr/bin/rg', fzf: '/usr/bin/fzf', bat: '/usr/bin/batcat', tree: '/usr/bin/tree', ncdu: '/usr/bin/ncdu',
  gzip: '/usr/bin/gzip', zcat: '/usr/bin/dash', tar: '/usr/bin/tar', xz: '/usr/bin/xz', bzip2: '/usr/bin/bzip2', find: '/usr/bin/find', xargs: '/usr/bin/xargs',
  ls: '/usr/bin/ls', cat: '/usr/bin/cat', cp: '/usr/bin/cp', mv: '/usr/bin/mv', rm: '/usr/bin/rm', mkdir: '/usr/bin/mkdir', chmod: '/usr/bin/chmod', chown: '/usr/bin/chown', touch: '/usr/bin/touch',
  ln: '/usr/bin/ln', grep: '/usr/bin/grep', egrep: '/usr/bin/grep', sed: '/usr/bin/sed', sort: '/usr/bin/sort', uniq: '/usr/bin/uniq', wc: '/usr/bin/wc', head: '/usr/bin/head', tail: '/usr/bin/tail',
  less: '/usr/bin/less', more: '/usr/bin/more', cut: '/usr/bin/cut', tr: '/usr/bin/tr', tee: '/usr/bin/tee', id: '/usr/bin/id', whoami: '/usr/bin/whoami', uname: '/usr/bin/uname', date: '/usr/bin/date',
  env: '/usr/bin/env', printenv: '/usr/bin/printenv', diff: '/usr/bin/diff', file: '/usr/bin/file', stat: '/usr/bin/stat', du: '/usr/bin/du', df: '/usr/bin/df', mount: '/usr/bin/mount',
  umount: '/usr/bin/umount', lsblk: '/usr/bin/lsblk', dd: '/usr/bin/dd', sleep: '/usr/bin/sleep', timeout: '/usr/bin/timeout', nohup: '/usr/bin/nohup', kill: '/usr/bin/kill', watch: '/usr/bin/watch',
  md5sum: '/usr/bin/md5sum', sha256sum: '/usr/bin/sha256sum', sha1sum: '/usr/bin/sha1sum', readlink: '/usr/bin/readlink', realpath: '/usr/bin/realpath', basename: '/usr/bin/basename',
  dirname: '/usr/bin/dirname', getent: '/usr/bin/getent', groups: '/usr/bin/groups', lscpu: '/usr/bin/lscpu', lspci: '/usr/bin/lspci', dmesg: '/usr/bin/dmesg', split: '/usr/bin/split',
  nice: '/usr/bin/nice', nproc: '/usr/bin/nproc', seq: '/usr/bin/seq', yes: '/usr/bin/yes', true: '/usr/bin/true', false: '/usr/bin/false', test: '/usr/bin/test', expr: '/usr/bin/expr',
  hexdump: '/usr/bin/hexdump', od: '/usr/bin/od', strings: '/usr/bin/x86_64-linux-gnu-strings', objdump: '/usr/bin/x86_64-linux-gnu-objdump', tac: '/usr/bin/tac',
  column: '/usr/bin/column', comm: '/usr/bin/comm', paste: '/usr/bin/paste', fold: '/usr/bin/fold', rev: '/usr/bin/rev', shuf: '/usr/bin/shuf', mktemp: '/usr/bin/mktemp', install: '/usr/bin/install',
  sync: '/usr/bin/sync', hostnamectl: '/usr/bin/hostnamectl', timedatectl: '/usr/bin/timedatectl', loginctl: '/usr/bin/loginctl', chage: '/usr/bin/chage', pwck: '/usr/sbin/pwck',
  'ssh-keygen': '/usr/bin/ssh-keygen', 'ssh-add': '/usr/bin/ssh-add', 'ssh-keyscan': '/usr/bin/ssh-keyscan', xclip: '/usr/bin/xclip', xdotool: '/usr/bin/xdotool', xwd: '/usr/bin/xwd',
  import: '/usr/bin/import-im6.q16', convert: '/usr/bin/convert-im6.q16', fping: '/usr/bin/fping', arping: '/usr/sbin/arping', hping3: '/usr/sbin/hping3', whois: '/usr/bin/whois',
  nft: '/usr/sbin/nft', ethtool: '/usr/sbin/ethtool', cal: '/usr/bin/ncal', ping6: '/usr/bin/ping', emacs: '/usr/bin/emacs-gtk', tshark: '/usr/bin/tshark', clang: '/usr/lib/llvm-14/bin/clang',
  sqlite3: '/usr/bin/sqlite3', mysql: '/usr/bin/mariadb', php8: '/usr/bin/php8.2', lua: '/usr/bin/lua5.4', busybox: '/usr/bin/busybox', gcore: '/usr/bin/gcore', cpio: '/usr/bin/cpio',
};

/** Programs that are interpreter scripts: auditd reports the interpreter as the executable and argv[0] as typed. */
const SCRIPTS: Record<string, { script: string; interpreterArgv0: string }> = {
  certbot: { script: '/usr/bin/certbot', interpreterArgv0: '/usr/bin/python3' },
  pip: { script: '/usr/bin/pip', interpreterArgv0: '/usr/bin/python3' },
  pip3: { script: '/usr/bin/pip3', interpreterArgv0: '/usr/bin/python3' },
  'unattended-upgrade': { script: '/usr/bin/unattended-upgrade', interpreterArgv0: '/usr/bin/python3' },
  aws: { script: '/usr/bin/aws', interpreterArgv0: '/usr/bin/python3' },
  npm: { script: '/usr/bin/npm', interpreterArgv0: 'node' },
  npx: { script: '/usr/bin/npx', interpreterArgv0: 'node' },
  composer: { script: '/usr/bin/composer', interpreterArgv0: '/usr/bin/php' },
  // Shell scripts in Debian packages: the kernel reports the shell.
  which: { script: '/usr/bin/which', interpreterArgv0: '/bin/sh' },
  zgrep: { script: '/usr/bin/zgrep', interpreterArgv0: '/bin/sh' },
  zcat: { script: '/usr/bin/zcat', interpreterArgv0: '/bin/sh' },
  gunzip: { script: '/usr/bin/gunzip', interpreterArgv0: '/bin/sh' },
  'invoke-rc.d': { script: '/usr/sbin/invoke-rc.d', interpreterArgv0: '/bin/sh' },
  service: { script: '/usr/sbin/service', interpreterArgv0: '/bin/sh' },
  ldd: { script: '/usr/bin/ldd', interpreterArgv0: '/bin/bash' },
};

/** Names that exist on FreeBSD or macOS but not on Debian: typing them gives "command not found" (no process). */
export const NOT_ON_DEBIAN = new Set([
  'pw', 'b64decode', 'b64encode', 'kldstat', 'kldload', 'sockstat', 'chflags', 'sysrc', 'pfctl', 'certctl', 'dscacheutil', 'dscl', 'ee', 'mdatp', 'chkconfig', 'update-ca-trust', 'testcat',
  'psexec.py', 'ldapdomaindump', 'kextstat', 'launchctl', 'defaults', 'osascript', 'security', 'csrutil', 'spctl', 'system_profiler', 'sw_vers', 'ioreg', 'pbpaste', 'pbcopy', 'networksetup',
  'scutil', 'diskutil', 'plutil', 'hdiutil', 'softwareupdate', 'ditto', 'caffeinate', 'jot', 'fetch', 'pkg', 'service_freebsd', 'procstat', 'pciconf', 'camcontrol', 'yum', 'dnf', 'rpm', 'zypper', 'apk',
]);

/** Debian packages that are not installed by default (package name where it differs from the command). */
export const OPTIONAL_TOOLS: Record<string, string> = {
  nmap: 'nmap', socat: 'socat', ncat: 'ncat', tcpdump: 'tcpdump', tshark: 'tshark', hping3: 'hping3', masscan: 'masscan', xdotool: 'xdotool', xwd: 'x11-apps', xwud: 'x11-apps', rar: 'rar', '7z': 'p7zip-full',
  gdb: 'gdb', gcore: 'gdb', strace: 'strace', ltrace: 'ltrace', whois: 'whois', fping: 'fping', telnet: 'telnet', ftp: 'ftp', tftp: 'tftp-hpa', sshpass: 'sshpass', emacs: 'emacs', ed: 'ed', at: 'at',
  ldapsearch: 'ldap-utils', ldapadd: 'ldap-utils', smbstatus: 'samba', clang: 'clang', 'clang++': 'clang', 'iptables-save': 'iptables', iptables: 'iptables', john: 'john', hydra: 'hydra', zmap: 'zmap',
  proxychains4: 'proxychains4', jq: 'jq', rg: 'ripgrep', fzf: 'fzf', tree: 'tree', ncdu: 'ncdu', sqlite3: 'sqlite3', mysql: 'mariadb-client', ruby: 'ruby', lua: 'lua5.4', zip: 'zip', xclip: 'xclip',
  import: 'imagemagick', convert: 'imagemagick', gcc: 'gcc', cc: 'gcc', 'g++': 'g++', 'c++': 'g++', make: 'make', go: 'golang-go', docker: 'docker.io', java: 'default-jre', php: 'php-cli',
  node: 'nodejs', npm: 'npm', kubectl: 'kubectl', terraform: 'terraform', code: 'code', firefox: 'firefox-esr', psql: 'postgresql-client', pg_dump: 'postgresql-client', nginx: 'nginx',
  ifconfig: 'net-tools', netstat: 'net-tools', route: 'net-tools', arp: 'net-tools', xxd: 'xxd', busybox: 'busybox', unzip: 'unzip', tor: 'tor', proxychains: 'proxychains4', cpan: 'perl',
};

/** Shell builtins and keywords: they run inside the shell and produce no process start. */
export const BUILTINS = new Set([
  'echo', 'printf', 'cd', 'pwd', 'export', 'unset', 'set', 'read', 'source', '.', 'exit', 'return', 'local', 'declare', 'typeset', 'alias', 'unalias', 'history', 'if', 'then', 'else', 'elif',
  'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', 'in', 'function', '[', '[[', ']]', ':', 'shift', 'trap', 'ulimit', 'umask', 'wait', 'eval', 'exec', 'builtin', 'command', 'type',
  'hash', 'jobs', 'fg', 'bg', 'disown', 'let', 'getopts', 'break', 'continue', 'readonly', 'times', 'shopt', 'enable', 'compgen', 'complete', 'dirs', 'pushd', 'popd', 'suspend', 'logout', '{', '}', '!',
]);

/** The executable the kernel reports for a command name (or path) typed in a shell. */
export function resolve(name: string, cwd = '/'): string {
  // (scripts resolve to their interpreter through EXECUTABLES as well)
  if (name.includes('/')) return name.startsWith('/') ? name : `${cwd.replace(/\/$/, '')}/${name.replace(/^\.\//, '')}`;
  return EXECUTABLES[name] ?? `/usr/bin/${name}`;
}

/** One command as typed: `cmd('ls', '-la', '/srv')`. Scripts get their interpreter as executable. */
export function cmd(name: string, ...args: (string | undefined)[]): Proc {
  const clean = args.filter((a): a is string => a !== undefined && a !== '');
  const script = SCRIPTS[name];
  if (script) return { exe: EXECUTABLES[name]!, argv: [script.interpreterArgv0, script.script, ...clean] };
  return { exe: resolve(name), argv: [name, ...clean] };
}

export function withChildren(proc: Proc, ...children: Proc[]): Proc {
  return { ...proc, children: [...(proc.children ?? []), ...children] };
}

/** `sh -c '<line>'` running `children` (the shell forks them). */
export function shell(line: string, children: Proc[], name: 'sh' | 'bash' = 'sh'): Proc {
  return { exe: EXECUTABLES[name]!, argv: [name, '-c', line], children };
}

export function sudo(proc: Proc): Proc {
  return { exe: '/usr/bin/sudo', argv: ['sudo', ...proc.argv], switchTo: 'root', children: [{ ...proc, user: 'root' }] };
}
