// The Atomic Red Team Linux tests Vigil runs on a test host, each with why it was chosen and what it must produce.
// Expectations come from what the test does (its commands), never from what a run observed.

/** A Vigil event category (docs/schema.md). */
export type Category = 'process' | 'injection' | 'file' | 'network' | 'dns' | 'authentication' | 'log' | 'script' | 'autostart' | 'iam' | 'service' | 'driver' | 'library';

export interface SelectedAtomic {
  technique: string;
  /** 1-based test number in the technique file. */
  number: number;
  /** The test's auto_generated_guid: guards against a corpus update reordering the tests. */
  guid: string;
  /** The category the test must produce at least one event of (asserted by tests/src/atomics.system.test.ts). */
  expect: Category;
  /** Further categories the test's actions should produce (reported in docs/coverage.md, not asserted). */
  also?: Category[];
  why: string;
  /** Input arguments that keep the test on this host (loopback targets, a prepared file instead of a system one). */
  inputs?: Record<string, string>;
  /** Shell run before the test (outside its process tree) to create what an overridden input points at. */
  prepare?: string;
  /** Run the test inside a fresh network namespace with only loopback (its lookups and probes cannot leave the host). */
  netns?: boolean;
  /** Paths the test (or its incomplete cleanup) leaves behind; the runner removes them and reports it. */
  leaves?: string[];
}

/** System files every test run snapshots and restores when a test or its cleanup leaves them changed. */
export const GUARDED_FILES = [
  '/etc/passwd', '/etc/passwd-', '/etc/shadow', '/etc/shadow-', '/etc/group', '/etc/group-', '/etc/gshadow', '/etc/gshadow-',
  '/etc/subuid', '/etc/subuid-', '/etc/subgid', '/etc/subgid-', '/etc/profile', '/etc/rc.local', '/etc/pam.d/su-l',
  '/etc/cron.d/persistevil', '/etc/systemd/system/art-systemd-service.service', '/root/.bashrc', '/root/.bash_history',
];

const P = 'process' as const;

export const SELECTION: readonly SelectedAtomic[] = [
  { technique: 'T1003.008', number: 1, guid: '3723ab77-c546-403c-8fb4-bb577033b235', expect: P, also: ['file'], why: 'credential access: reads /etc/shadow (cat) and writes it to /tmp (sudo is a pass-through shim: the runner is root and Debian has no sudo here)' },
  { technique: 'T1003.008', number: 3, guid: '60e860b6-8ae6-49db-ad07-5e73edd88f5d', expect: P, also: ['file'], why: 'reads /etc/passwd with cat into a file under /tmp' },
  { technique: 'T1003.008', number: 5, guid: 'f5aa6543-6cb2-4fae-b9c2-b96e14721713', expect: 'file', why: 'reads /etc/passwd and /etc/shadow with shell builtins only (no exec of cat): the only trace is the file written to /tmp' },
  { technique: 'T1007', number: 8, guid: '8f2a5d2b-4018-46d4-8f3f-0fea53754690', expect: P, why: 'service discovery: ls of /etc/init.d and /etc/rc*.d' },
  { technique: 'T1016', number: 3, netns: true, guid: 'c141bbdb-7fca-4254-9fd6-f47e79447e17', expect: P, why: 'network configuration discovery: arp, ifconfig, ip addr, netstat (dependency arp is installed); in a network namespace because netstat and arp resolve addresses through the configured DNS server' },
  { technique: 'T1016.001', number: 2, netns: true, guid: 'be8f4019-d8b6-434c-a814-53123cdcc11e', expect: P, inputs: { ping_target: '127.0.0.1' }, why: 'connectivity check with ping; target moved from 8.8.8.8 to loopback so nothing leaves the host' },
  { technique: 'T1018', number: 14, netns: true, guid: 'd2791d72-b67f-4615-814f-ec824a91f514', expect: P, why: 'remote system discovery: netstat -r (in a network namespace: its reverse lookups would reach the configured DNS server)' },
  { technique: 'T1027', number: 1, guid: 'f45df6be-2e1e-4136-a384-8f18ab3826fb', expect: 'file', also: [P], why: 'decodes base64 into /tmp/art.sh, makes it executable and runs it (dependency creates /tmp/encoded.dat locally)' },
  { technique: 'T1027.001', number: 1, guid: 'ffe2346c-abd5-4b45-a713-bf5f1ebd573a', expect: 'file', why: 'binary padding: dd appends bytes to a copy of /bin/ls in /tmp (modified executable, new sha256)' },
  { technique: 'T1033', number: 2, guid: '2a9b677d-a230-44f4-ad86-782df1ef108c', expect: P, why: 'owner/user discovery: users, w, who' },
  { technique: 'T1036.003', number: 2, guid: 'a315bfff-7a98-403b-b442-2ea1b255e556', expect: 'file', also: [P], why: 'masquerading: copies /bin/sh to /tmp/crond (executable dropped in /tmp) and runs it' },
  { technique: 'T1036.005', number: 1, guid: '812c3ab8-94b0-4698-a9bf-9420af23ce24', expect: P, also: ['file'], why: 'runs a copy of sh from the hidden directory $HOME/...' },
  { technique: 'T1036.007', number: 2, guid: '26cde240-0112-4806-8c97-bdde43dab298', expect: 'file', also: [P, 'script'], why: 'double extension: writes /tmp/report.pdf.sh, chmod +x, runs it' },
  { technique: 'T1036.008', number: 1, guid: '1214f818-673b-4494-9fbd-99af0e185866', expect: 'script', also: ['file'], why: 'a shell script named image.png run with sh (script file from /tmp)' },
  { technique: 'T1037.004', number: 3, guid: '126f71af-e1c9-405c-94ef-26a47b16c102', expect: 'file', also: ['autostart'], why: 'boot persistence: creates /etc/rc.local with a python one-liner (restored by the runner even when cleanup fails)' },
  { technique: 'T1049', number: 4, netns: true, guid: 'bcf05343-ef1d-4052-8a27-b00c9be42b9f', expect: P, why: 'network connections discovery: ss -antp / -aunp' },
  { technique: 'T1053.003', number: 3, guid: '078e69eb-d9fb-450e-b9d0-2e118217c846', expect: 'autostart', also: ['file'], why: 'cron persistence: writes /etc/cron.d/persistevil' },
  { technique: 'T1057', number: 1, guid: '4ff64f0b-aaf2-4866-b39d-38d9791407cc', expect: P, also: ['file'], why: 'process discovery: ps and ps aux into /tmp/loot.txt' },
  { technique: 'T1059.004', number: 1, netns: true, guid: '7e7ac3ed-f795-4fa5-b711-09d6fbe9b873', expect: 'script', also: [P, 'file'], inputs: { host: '127.0.0.1' }, why: 'writes a shell script to /tmp and runs it with sh (script with path and hash); ping target moved to loopback' },
  { technique: 'T1059.004', number: 5, guid: '8cd1947b-4a54-41fb-b5ea-07d0ace04f81', expect: 'script', also: ['file'], why: 'mktemp script in /tmp run with bash' },
  { technique: 'T1059.004', number: 11, guid: 'bdaebd56-368b-4970-a523-f905ff4a8a51', expect: P, why: 'command from an environment variable piped into /bin/sh' },
  { technique: 'T1069.001', number: 1, guid: '952931a4-af0b-4335-bbbe-73c8c5b327ae', expect: P, why: 'local group discovery: groups, id, getent group, cat /etc/group' },
  { technique: 'T1070.003', number: 1, guid: 'a934276e-2be5-4a36-93fd-98adbb5bd4fc', expect: 'file', prepare: 'touch /root/.bash_history', why: 'clears root\'s bash history with rm (file delete in /root; the runner restores the file)' },
  { technique: 'T1070.004', number: 1, guid: '562d737f-2fc6-4b09-8c2a-7f8ff0828480', expect: 'file', why: 'deletes a file under /tmp/victim-files (dependency creates it)' },
  { technique: 'T1070.006', number: 2, guid: '20ef1523-8758-4898-b5a2-d026cc3d2c52', expect: 'file', why: 'timestomp: touch -m -t 1970 on a file in /tmp' },
  { technique: 'T1070.006', number: 4, guid: '631ea661-d661-44b0-abdb-7a7f3fc08e50', expect: 'file', why: 'timestomp: creates a file in /tmp and copies /bin/sh\'s times onto it (touch -r)' },
  { technique: 'T1078.003', number: 8, guid: '02a91c34-8a5b-4bed-87af-501103eb5357', expect: 'iam', also: [P, 'authentication'], why: 'creates local user art with a home folder and switches to it with su' },
  { technique: 'T1082', number: 3, guid: 'cccb070c-df86-4216-a5bc-9fb60c74e27c', expect: P, also: ['file'], why: 'OS discovery: uname, /etc/os-release, uptime into /tmp/T1082.txt' },
  { technique: 'T1082', number: 8, guid: '486e88ea-4f56-470f-9b57-3f4d73f39133', expect: P, why: 'hostname discovery' },
  { technique: 'T1087.001', number: 1, guid: 'f8aab3dd-5990-4bf8-b8ab-2226c951696f', expect: P, also: ['file'], why: 'account discovery: cat /etc/passwd into /tmp' },
  { technique: 'T1087.001', number: 3, guid: 'c955a599-3653-4fe5-b631-f11c00eb0397', expect: P, also: ['file'], why: 'accounts with uid 0: grep /etc/passwd' },
  { technique: 'T1136.001', number: 1, guid: '40d8eabd-e394-46f6-8785-b9bfa1d011d2', expect: 'iam', also: [P], why: 'creates system user evil_user with useradd' },
  { technique: 'T1136.001', number: 6, guid: 'a1040a30-d28b-4eda-bd99-bb2861a4616c', expect: 'iam', also: [P], why: 'creates user butter in the root group with home /root' },
  { technique: 'T1140', number: 5, guid: 'b4f6a567-a27a-41e5-b8ef-ac4b4008bb7e', expect: P, also: ['file'], leaves: ['/tmp/T1140.encoded'], why: 'base64 decoding several ways (base64 -d, bash brace expansion); its cleanup leaves /tmp/T1140.encoded' },
  { technique: 'T1201', number: 5, guid: '7c86c55c-70fa-4a05-83c9-3aa19b145d1a', expect: P, why: 'password policy discovery: cat /etc/login.defs' },
  { technique: 'T1222.002', number: 1, guid: '34ca1464-de9d-40c6-8c77-690adf36a135', expect: 'file', inputs: { file_or_folder: '/tmp/vigil-art-T1222.002' }, prepare: 'mkdir -p /tmp/vigil-art-T1222.002 && chmod 700 /tmp/vigil-art-T1222.002', leaves: ['/tmp/vigil-art-T1222.002'], why: 'chmod 755 of a folder (the default path is the atomics checkout, not present: a prepared folder in /tmp instead)' },
  { technique: 'T1222.002', number: 5, guid: 'd169e71b-85f9-44ec-8343-27093ff3dfc0', expect: 'file', inputs: { file_or_folder: '/tmp/vigil-art-T1222.002.yaml', owner: 'nobody', group: 'nogroup' }, prepare: 'touch /tmp/vigil-art-T1222.002.yaml', leaves: ['/tmp/vigil-art-T1222.002.yaml'], why: 'chown owner:group of a file (prepared file in /tmp; owner nobody so the call changes something)' },
  { technique: 'T1222.002', number: 9, guid: 'e7469fe2-ad41-4382-8965-99b94dd3c13f', expect: 'file', inputs: { file_to_modify: '/var/tmp/vigil-art-chattr' }, prepare: 'touch /var/tmp/vigil-art-chattr && chattr +i /var/tmp/vigil-art-chattr', leaves: ['/var/tmp/vigil-art-chattr'], why: 'chattr -i removes the immutable attribute (prepared immutable file in /var/tmp instead of /var/spool/cron/root)' },
  { technique: 'T1485', number: 2, guid: '38deee99-fd65-4031-bec8-bfa4f9f26146', expect: 'file', inputs: { file_to_overwrite: '/var/tmp/vigil-art-T1485.log' }, prepare: 'head -c 4096 /dev/urandom > /var/tmp/vigil-art-T1485.log', leaves: ['/var/tmp/vigil-art-T1485.log'], why: 'data destruction: dd overwrites a file with zeros (a prepared file in /var/tmp instead of /var/log/syslog)' },
  { technique: 'T1543.002', number: 1, guid: 'd9e4f24f-aa67-4c6e-bcbf-85622b697a7c', expect: 'service', also: ['file', P], why: 'writes a systemd unit to /etc/systemd/system and runs systemctl enable/start (no systemd as PID 1 here: the unit file is the trace)' },
  { technique: 'T1546.004', number: 2, guid: '0a898315-4cfa-4007-bafe-33a4646d115f', expect: 'autostart', also: ['file'], why: 'shell rc persistence: appends to ~/.bashrc (its cleanup drops two lines for one added: the runner restores the file)' },
  { technique: 'T1546.004', number: 4, guid: '694b3cc8-6a78-4d35-9e74-0123d009e94b', expect: 'autostart', also: ['file'], why: 'appends to /etc/profile (its cleanup removes a different text: the runner restores the file)' },
  { technique: 'T1546.005', number: 5, guid: '14bd90b1-c3f3-4115-9861-cf0519a59654', expect: P, also: ['file'], why: 'bash DEBUG trap logging commands to /tmp/art-fish.txt' },
  { technique: 'T1548.001', number: 3, guid: '759055b3-3885-4582-a8ec-c00c9d64dd79', expect: 'file', why: 'sets the setuid bit on a root-owned file in /tmp (chmod u+xs)' },
  { technique: 'T1548.001', number: 8, guid: '1ac3272f-9bcf-443a-9888-4b1d3de785c1', expect: 'file', also: [P], why: 'setcap cap_setuid=ep on a file in /tmp (extended attribute change)' },
  { technique: 'T1556.003', number: 1, guid: '4b9dde80-ae22-44b1-a82a-644bf009eb9c', expect: 'file', also: ['autostart'], why: 'inserts a pam_succeed_if rule into /etc/pam.d/su-l with sed -i (rename over a file in /etc)' },
  { technique: 'T1560.001', number: 6, guid: 'cde3c2af-3485-49eb-9c1f-0ed60e9cc0af', expect: 'file', also: [P], leaves: ['/root/victim-gzip.txt'], why: 'collection: writes a file in $HOME and gzips it; its cleanup leaves the input file' },
  { technique: 'T1564.001', number: 1, guid: '61a782e5-9a19-40b5-8ba4-69a4b9f3d7be', expect: 'file', why: 'hidden file in a hidden folder under /var/tmp' },
  { technique: 'T1614.001', number: 3, guid: '837d609b-845e-4519-90ce-edc3b4b0e138', expect: P, why: 'system language discovery: locale' },
];

/** Tests looked at and left out, with the reason (reported in docs/coverage.md). */
export const SKIPPED: readonly { technique: string; number: number; reason: string }[] = [
  { technique: 'T1046', number: 1, reason: 'bash /dev/tcp sweep of all 65,535 ports: minutes of runtime even on loopback' },
  { technique: 'T1048', number: 4, reason: 'DNS exfiltration needs dig (not installed; installing it would need the network); default server is 8.8.8.8' },
  { technique: 'T1571', number: 2, reason: 'needs telnet (not installed) and targets google.com' },
  { technique: 'T1053.003', number: 1, reason: 'needs crontab (cron is not installed here)' },
  { technique: 'T1548.003', number: 3, reason: 'edits /etc/sudoers, which does not exist here (sudo is not installed)' },
  { technique: 'T1552.004', number: 2, reason: 'find / over the whole file system: too slow for the 5-minute budget' },
  { technique: 'T1083', number: 4, reason: 'find over $HOME (toolchains with hundreds of thousands of files): too slow' },
  { technique: 'T1082', number: 25, reason: 'lsmod/kmod are not installed: only a failed grep would run' },
  { technique: 'T1070.004', number: 8, reason: 'rm -rf / --no-preserve-root: destroys the host' },
  { technique: 'T1529', number: 3, reason: 'shutdown/reboot family: takes the test host down' },
];
