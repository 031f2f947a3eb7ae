# Actions behind packages/sources/src/auditd/testdata/system-6.18.log (run as root, under flock /tmp/vigil-system.lock,
# with auditd and only the rules of systemAuditRules loaded). /tmp/exp2/seccomp is the seccomp helper of
# tests/src/system-telemetry.system.test.ts, compiled. As recorded, the process_vm_readv line passes the pid as a
# string, which perl's syscall() sends as a pointer: its a0 is an address, not the sleep's pid (the end-to-end test adds 0).
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
mkdir -p /tmp/vx-mnt; mount -t tmpfs vx-tmpfs /tmp/vx-mnt; umount /tmp/vx-mnt; rmdir /tmp/vx-mnt
$NOBODY date -s @1 2>/dev/null
$NOBODY perl -e 'my $n = "vx"; syscall(170, $n, 2)'
D=$(cat /proc/sys/kernel/domainname); perl -e 'syscall(171, $ARGV[0], length $ARGV[0]) == 0 or die "setdomainname: $!"' "$D"
$NOBODY perl -e 'syscall(169, 0xfee1dead, 672274793, 0x1234567, 0)'
$NOBODY perl -e 'syscall(246, 0, 0, 0, 0)'
dd if=/dev/zero of=/tmp/vx-swap bs=1M count=8 2>/dev/null; chmod 600 /tmp/vx-swap; mkswap /tmp/vx-swap >/dev/null; swapon /tmp/vx-swap; swapoff /tmp/vx-swap; rm -f /tmp/vx-swap
$NOBODY perl -e 'syscall(172, 3)'
perl -e 'my ($t, $d, $v) = ("user", "vigil-test", "x"); syscall(248, $t, $d, $v, 1, -2) > 0 or die "add_key: $!"'
perl -e 'syscall(163, 0)'
$NOBODY true
setpriv --inh-caps=-all true
unshare -n true
ip netns add vx-ns; ip netns exec vx-ns true; ip netns del vx-ns
chroot / true
unshare -m pivot_root /nonexistent /nonexistent 2>/dev/null
setarch -R true
perl -e '$0 = "vx-renamed"; 1'
perl -e 'my $p = "\0" x 120; syscall(425, 1, $p) >= 0 or die "io_uring_setup: $!"'
perl -e 'syscall(323, 0) >= 0 or die "userfaultfd: $!"'
perl -e 'my $n = "vx"; syscall(319, $n, 0) >= 0 or die "memfd_create: $!"'
sleep 5 & SP=$!; perl -e 'syscall(310, $ARGV[0], 0, 0, 0, 0, 0)' $SP; kill $SP
perl -e 'syscall(438, -1, 0, 0)'
perl -e 'syscall(304, -100, 0, 0)'
perl -e 'socket(my $s, 2, 3, 1) or die "raw: $!"; socket(my $p, 17, 3, 0) or die "packet: $!"'
$NOBODY dmesg -C 2>/dev/null
cat /etc/shadow > /dev/null
sh -c 'kill -SEGV $$'
/tmp/exp2/seccomp
unshare -n sh -c 'ip link set lo promisc on; nft add table inet vx'
(ulimit -l 8192; bpftrace -e 'BEGIN { exit(); }' >/dev/null 2>&1)
(echo 4242 > /proc/self/loginuid)
auditctl -w /tmp -p x -k vx-watch >/dev/null; auditctl -W /tmp -p x -k vx-watch >/dev/null
su nobody -s /bin/true
useradd -e 1970-01-02 -M -s /bin/true vx-expired; su vx-expired -s /bin/true 2>/dev/null; userdel vx-expired
sleep 1
