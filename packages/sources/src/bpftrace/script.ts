// Generates the bpftrace program of the network source: tracepoints only (this kernel has no kprobes), one text line
// per kernel fact. Never aggregates in BPF maps that userspace must drain; the only maps are per-thread syscall
// arguments (deleted on syscall exit) and a per-second de-duplication set for unconnected UDP sends.
//
// Every line is printed with printf and reaches the agent as {"type":"printf","data":"<line>\n"} (bpftrace -f json).
// Lines start with a kind letter; most continue with the acting task:
//   TASK = pid tid ppid uid gid start_ticks parent_start_ticks     (start times in clock ticks since boot, as /proc)
//   S TASK sk old new family sport dport saddr daddr comm   TCP state change: CLOSE->SYN_SENT (connect; the task is
//                                                            the caller), SYN_SENT->ESTABLISHED|CLOSE (outcome; the
//                                                            task is whoever ran, only `sk` counts), CLOSE->LISTEN
//   A TASK family lport rport laddr raddr comm              accept()/accept4() returned a TCP socket
//   U TASK family lport rport laddr raddr comm              connect() of a UDP socket succeeded
//   P TASK family lport rport laddr raddr comm              bind() of a UDP socket succeeded
//   O TASK family lport rport laddr raddr comm              datagram sent to an explicit address (first per
//                                                            pid, address and port in each second)
//   Q TASK len via family lport rport laddr raddr comm      DNS query sent (to a DNS port); `via` 1 = explicit
//                                                            address, 0 = connected socket; its bytes follow as B lines
//   R TASK len family lport rport laddr raddr comm          DNS answer received on a socket connected to a DNS port
//   B tid offset bytes                                      up to 200 bytes of the preceding Q or R of that thread
//                                                            (`%rx`: every byte as \xNN)
//   X TASK comm                                             a process exec'd (its start time, for the process
//                                                            source's entity ids: internal/exec-starts.ts)
// family is 4 or 6. `comm` comes last because it may contain spaces.

/** Largest buffer bpftrace 0.17 prints at once (BPFTRACE_STRLEN is capped at 200). */
export const CHUNK_BYTES = 200;
/** DNS query bytes captured: enough for the longest name (255) plus header and question trailer. */
export const QUERY_CHUNKS = 2;
/** DNS answer bytes captured: the classic 512-byte UDP message. */
export const ANSWER_CHUNKS = 3;

export interface ScriptOptions {
  /** Destination ports treated as DNS (default [53]). */
  dnsPorts?: readonly number[];
}

const TASK_FORMAT = '%d %d %d %d %d %d %d';
const TASK_ARGS =
  'pid, tid, $t->real_parent->tgid, uid, gid, $t->group_leader->start_boottime / 10000000, $t->real_parent->group_leader->start_boottime / 10000000';

/** Address expressions of a `struct sock *` in `$sk` for one family. */
function sockAddresses(family: 4 | 6): { lport: string; rport: string; laddr: string; raddr: string } {
  const c = '$sk->__sk_common';
  return {
    lport: `${c}.skc_num`,
    rport: `bswap(${c}.skc_dport)`,
    laddr: family === 4 ? `ntop(${c}.skc_rcv_saddr)` : `ntop(${c}.skc_v6_rcv_saddr.in6_u.u6_addr8)`,
    raddr: family === 4 ? `ntop(${c}.skc_daddr)` : `ntop(${c}.skc_v6_daddr.in6_u.u6_addr8)`,
  };
}

/** A printf of `kind TASK [extra] family lport rport laddr raddr comm` for the socket in `$sk`, both families. */
function socketLine(kind: string, extra: { format: string; args: string } | undefined, indent: string): string {
  const one = (family: 4 | 6) => {
    const a = sockAddresses(family);
    const format = `${kind} ${TASK_FORMAT}${extra ? ` ${extra.format}` : ''} ${family} %d %d %s %s %s\\n`;
    const args = [TASK_ARGS, ...(extra ? [extra.args] : []), a.lport, a.rport, a.laddr, a.raddr, 'comm'].join(', ');
    return `printf("${format}", ${args});`;
  };
  return [
    `${indent}if ($sk->__sk_common.skc_family == 2) {`,
    `${indent}  ${one(4)}`,
    `${indent}} else {`,
    `${indent}  ${one(6)}`,
    `${indent}}`,
  ].join('\n');
}

/**
 * Opens nested blocks that set `$sock`, `$sk` and `$fam` for file descriptor `fd` of the current task when it is an
 * IPv4/IPv6 socket of `type` (1 stream, 2 datagram). Returns the opening code and the matching closing braces.
 */
function socketOfFd(fd: string, type: 1 | 2): { open: string; close: string } {
  return {
    open: [
      '  $fdt = curtask->files->fdt;',
      `  if (${fd} >= 0 && (uint64)${fd} < (uint64)$fdt->max_fds) {`,
      `    $file = *($fdt->fd + ${fd});`,
      // S_ISSOCK(inode->i_mode): only socket files carry a struct socket in private_data.
      '    if ($file != 0 && ($file->f_inode->i_mode & 0xf000) == 0xc000) {',
      '      $sock = (struct socket *)$file->private_data;',
      '      $sk = $sock->sk;',
      '      $fam = $sk->__sk_common.skc_family;',
      `      if ($sock->type == ${type} && ($fam == 2 || $fam == 10)) {`,
    ].join('\n'),
    close: '      }\n    }\n  }',
  };
}

/** B lines for `count` chunks of the user buffer `base` holding `length` bytes. */
function chunkLines(base: string, length: string, count: number, indent: string): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const offset = i * CHUNK_BYTES;
    lines.push(
      `${indent}if (${length} > ${offset}) {`,
      `${indent}  $n = ${length} - ${offset};`,
      `${indent}  if ($n > ${CHUNK_BYTES}) { $n = ${CHUNK_BYTES}; }`,
      `${indent}  printf("B %d ${offset} %rx\\n", tid, buf((uint64)${base} + ${offset}, $n));`,
      `${indent}}`,
    );
  }
  return lines.join('\n');
}

/** The DNS-port test of a port expression. */
function isDnsPort(port: string, ports: readonly number[]): string {
  return `(${ports.map((p) => `${port} == ${p}`).join(' || ')})`;
}

/**
 * One datagram about to be sent from the UDP socket in `$sk`: `name` is the user sockaddr pointer (or 0), `payload`
 * and `length` the first buffer. Emits Q + B lines for DNS ports, else an O line once per second per destination.
 */
function datagram(name: string, nameLength: string, payload: string, length: string, dnsPorts: readonly number[], indent: string): string {
  const i = indent;
  const explicit = `$ua != 0 && ${nameLength} >= 16`;
  const user4 = '((struct sockaddr_in *)$ua)->sin_addr.s_addr';
  const user6 = '$ua->sin6_addr.in6_u.u6_addr8';
  const c = '$sk->__sk_common';
  const explicitLine = (kind: 'Q' | 'O') => {
    const extraFormat = kind === 'Q' ? '%d 1 ' : '';
    const extraArgs = kind === 'Q' ? `${length}, ` : '';
    return [
      `${i}    if ($ua->sin6_family == 2) {`,
      `${i}      printf("${kind} ${TASK_FORMAT} ${extraFormat}4 %d %d %s %s %s\\n", ${TASK_ARGS}, ${extraArgs}${c}.skc_num, $port, ntop(${c}.skc_rcv_saddr), ntop(${user4}), comm);`,
      `${i}    } else {`,
      `${i}      printf("${kind} ${TASK_FORMAT} ${extraFormat}6 %d %d %s %s %s\\n", ${TASK_ARGS}, ${extraArgs}${c}.skc_num, $port, ntop(${c}.skc_v6_rcv_saddr.in6_u.u6_addr8), ntop(${user6}), comm);`,
      `${i}    }`,
    ].join('\n');
  };
  return [
    `${i}$port = bswap(${c}.skc_dport);`,
    `${i}$ua = (struct sockaddr_in6 *)${name};`,
    `${i}if (${explicit}) { $port = bswap($ua->sin6_port); }`,
    `${i}if (${isDnsPort('$port', dnsPorts)}) {`,
    `${i}  if (${explicit}) {`,
    explicitLine('Q'),
    `${i}  } else {`,
    socketLine('Q', { format: '%d 0', args: length }, `${i}    `),
    `${i}  }`,
    chunkLines(payload, length, QUERY_CHUNKS, `${i}  `),
    `${i}} else {`,
    `${i}  if (${explicit}) {`,
    `${i}    $a0 = (uint64)$ua->sin6_addr.in6_u.u6_addr32[0];`,
    `${i}    $a1 = (uint64)0;`,
    `${i}    if ($ua->sin6_family == 10) {`,
    `${i}      $a1 = ((uint64)$ua->sin6_addr.in6_u.u6_addr32[1] << 32) | $ua->sin6_addr.in6_u.u6_addr32[2];`,
    `${i}      $a0 = ($a0 << 32) | $ua->sin6_addr.in6_u.u6_addr32[3];`,
    `${i}    } else {`,
    `${i}      $a0 = ${user4};`,
    `${i}    }`,
    `${i}    if (@sent[pid, $port, $a0, $a1] == 0) {`,
    `${i}      @sent[pid, $port, $a0, $a1] = 1;`,
    explicitLine('O').replace(/^/gm, '  '),
    `${i}    }`,
    `${i}  }`,
    `${i}}`,
  ].join('\n');
}

/** The bpftrace program. Run with BPFTRACE_STRLEN=200 and `-f json`. */
export function buildScript(options: ScriptOptions = {}): string {
  const dnsPorts = options.dnsPorts ?? [53];
  for (const port of dnsPorts) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`DNS port ${port} is not 1-65535`);
  }
  // Syscall arguments are copied to variables first: the verifier refuses some reads of the context after branches.
  const udp = socketOfFd('$fd', 2);
  const accepted = socketOfFd('$ret', 1);
  const tcpState = (family: 4 | 6) => {
    const saddr = family === 4 ? 'ntop(args->saddr)' : 'ntop(args->saddr_v6)';
    const daddr = family === 4 ? 'ntop(args->daddr)' : 'ntop(args->daddr_v6)';
    return `printf("S ${TASK_FORMAT} %lx %d %d ${family} %d %d %s %s %s\\n", ${TASK_ARGS}, args->skaddr, args->oldstate, args->newstate, args->sport, args->dport, ${saddr}, ${daddr}, comm);`;
  };

  return `// Generated by @vigil/sources bpftrace/script.ts: network and DNS telemetry. Do not edit.

tracepoint:sched:sched_process_exec
{
  $t = curtask;
  printf("X ${TASK_FORMAT} %s\\n", ${TASK_ARGS}, comm);
}

tracepoint:sock:inet_sock_set_state
/args->protocol == 6 && ((args->oldstate == 7 && (args->newstate == 2 || args->newstate == 10)) || (args->oldstate == 2 && (args->newstate == 1 || args->newstate == 7)))/
{
  $t = curtask;
  if (args->family == 2) {
    ${tcpState(4)}
  } else {
    ${tcpState(6)}
  }
}

tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
/args->ret >= 0/
{
  $ret = args->ret;
  $t = curtask;
${accepted.open}
${socketLine('A', undefined, '        ')}
${accepted.close}
}

tracepoint:syscalls:sys_enter_connect
{
  $fd = args->fd;
${udp.open}
        @udpsk[tid] = (uint64)$sk;
${udp.close}
}

tracepoint:syscalls:sys_enter_bind
{
  $fd = args->fd;
  $ua = (struct sockaddr_in6 *)args->umyaddr;
  $alen = args->addrlen;
${udp.open}
        // Binding port 0 asks for any free port, as clients do before sending: not a listening socket.
        if ($alen >= 16 && $ua->sin6_port != 0) {
          @udpsk[tid] = (uint64)$sk;
        }
${udp.close}
}

tracepoint:syscalls:sys_exit_connect
/@udpsk[tid] != 0/
{
  $sk = (struct sock *)@udpsk[tid];
  delete(@udpsk[tid]);
  $ret = args->ret;
  $t = curtask;
  if ($ret == 0) {
${socketLine('U', undefined, '    ')}
  }
}

tracepoint:syscalls:sys_exit_bind
/@udpsk[tid] != 0/
{
  $sk = (struct sock *)@udpsk[tid];
  delete(@udpsk[tid]);
  $ret = args->ret;
  $t = curtask;
  if ($ret == 0 && $sk->__sk_common.skc_num != 0) {
${socketLine('P', undefined, '    ')}
  }
}

tracepoint:syscalls:sys_enter_sendto
{
  $fd = args->fd;
  $buff = (uint64)args->buff;
  $len = (uint64)args->len;
  $addr = (uint64)args->addr;
  $alen = args->addr_len;
  $t = curtask;
${udp.open}
${datagram('$addr', '$alen', '$buff', '$len', dnsPorts, '        ')}
${udp.close}
}

tracepoint:syscalls:sys_enter_sendmsg
{
  $fd = args->fd;
  $msg = (uint64)args->msg;
  $t = curtask;
${udp.open}
        $m = (struct user_msghdr *)$msg;
        $iov = $m->msg_iov;
        $len = (uint64)$iov->iov_len;
${datagram('$m->msg_name', '$m->msg_namelen', '$iov->iov_base', '$len', dnsPorts, '        ')}
${udp.close}
}

${[0, 1].map((index) => `tracepoint:syscalls:sys_enter_sendmmsg
/args->vlen > ${index}/
{
  $fd = args->fd;
  $mmsg = (uint64)args->mmsg;
  $t = curtask;
${udp.open}
        $mm = (struct mmsghdr *)($mmsg + ${index * 64});
        $iov = $mm->msg_hdr.msg_iov;
        $len = (uint64)$iov->iov_len;
${datagram('$mm->msg_hdr.msg_name', '$mm->msg_hdr.msg_namelen', '$iov->iov_base', '$len', dnsPorts, '        ')}
${udp.close}
}
`).join('\n')}
tracepoint:syscalls:sys_enter_recvfrom
{
  $fd = args->fd;
  $ubuf = (uint64)args->ubuf;
  $size = (uint64)args->size;
${udp.open}
        if (${isDnsPort('bswap($sk->__sk_common.skc_dport)', dnsPorts)}) {
          @rbuf[tid] = $ubuf;
          @rcap[tid] = $size;
          @rsk[tid] = (uint64)$sk;
        }
${udp.close}
}

tracepoint:syscalls:sys_enter_recvmsg
{
  $fd = args->fd;
  $msg = (uint64)args->msg;
${udp.open}
        if (${isDnsPort('bswap($sk->__sk_common.skc_dport)', dnsPorts)}) {
          $m = (struct user_msghdr *)$msg;
          @rbuf[tid] = (uint64)$m->msg_iov->iov_base;
          @rcap[tid] = (uint64)$m->msg_iov->iov_len;
          @rsk[tid] = (uint64)$sk;
        }
${udp.close}
}

tracepoint:syscalls:sys_exit_recvfrom, tracepoint:syscalls:sys_exit_recvmsg
/@rbuf[tid] != 0/
{
  $b = @rbuf[tid];
  $cap = @rcap[tid];
  $sk = (struct sock *)@rsk[tid];
  delete(@rbuf[tid]);
  delete(@rcap[tid]);
  delete(@rsk[tid]);
  $ret = args->ret;
  if ($ret > 0) {
    $t = curtask;
    $got = (uint64)$ret;
    if ($got > $cap) { $got = $cap; }
${socketLine('R', { format: '%d', args: '$got' }, '    ')}
${chunkLines('$b', '$got', ANSWER_CHUNKS, '    ')}
  }
}

interval:s:1
{
  clear(@sent);
}

END
{
  clear(@sent);
  clear(@udpsk);
  clear(@rbuf);
  clear(@rcap);
  clear(@rsk);
}
`;
}
