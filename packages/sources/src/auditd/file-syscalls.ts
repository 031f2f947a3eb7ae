// Which audited syscalls change files, and where their arguments are: the table the file-event builder reads.
// Data only: names from the enriched SYSCALL= field, numbers per audit arch for records without it.

import type { AuditRecord } from './record-parser.js';

export type FileOp = 'open' | 'truncate' | 'rename' | 'unlink' | 'rmdir' | 'mkdir' | 'link' | 'symlink' | 'mknod' | 'chmod' | 'chown' | 'xattr' | 'utime' | 'ioctl';

/** Argument positions (a0..a3) of a file syscall. `dirfd`: directory of relative names; `fd`: the file itself. */
export interface FileSyscall {
  op: FileOp;
  dirfd?: 'a0' | 'a1' | 'a2';
  /** Directory of the new name (renameat, linkat, symlinkat). */
  newDirfd?: 'a1' | 'a2';
  fd?: 'a0';
  mode?: 'a1' | 'a2';
  uid?: 'a1' | 'a2';
  gid?: 'a2' | 'a3';
  /** Ids are 16-bit (legacy i386 chown family): 0xffff means "unchanged". */
  ids16?: boolean;
  /** open flags (O_TRUNC empties an existing file). */
  flags?: 'a1' | 'a2';
  /** truncate length. */
  length?: 'a1';
  /** creat(2): always truncates an existing file. */
  truncates?: boolean;
}

const open: FileSyscall = { op: 'open', flags: 'a1' };
const openat: FileSyscall = { op: 'open', dirfd: 'a0', flags: 'a2' };
const chown: FileSyscall = { op: 'chown', uid: 'a1', gid: 'a2' };
const chown16: FileSyscall = { ...chown, ids16: true };
const fchown: FileSyscall = { op: 'chown', fd: 'a0', uid: 'a1', gid: 'a2' };
const xattr: FileSyscall = { op: 'xattr' };
const fxattr: FileSyscall = { op: 'xattr', fd: 'a0' };

export const FILE_SYSCALLS: Readonly<Record<string, FileSyscall>> = {
  open,
  creat: { op: 'open', truncates: true },
  openat,
  // openat2 passes its flags in a struct the audit record does not show.
  openat2: { op: 'open', dirfd: 'a0' },
  truncate: { op: 'truncate', length: 'a1' },
  truncate64: { op: 'truncate', length: 'a1' },
  ftruncate: { op: 'truncate', fd: 'a0' },
  ftruncate64: { op: 'truncate', fd: 'a0' },
  rename: { op: 'rename' },
  renameat: { op: 'rename', dirfd: 'a0', newDirfd: 'a2' },
  renameat2: { op: 'rename', dirfd: 'a0', newDirfd: 'a2' },
  unlink: { op: 'unlink' },
  unlinkat: { op: 'unlink', dirfd: 'a0' },
  rmdir: { op: 'rmdir' },
  mkdir: { op: 'mkdir' },
  mkdirat: { op: 'mkdir', dirfd: 'a0' },
  link: { op: 'link' },
  linkat: { op: 'link', dirfd: 'a0', newDirfd: 'a2' },
  symlink: { op: 'symlink' },
  symlinkat: { op: 'symlink', newDirfd: 'a1' },
  mknod: { op: 'mknod' },
  mknodat: { op: 'mknod', dirfd: 'a0' },
  chmod: { op: 'chmod', mode: 'a1' },
  fchmod: { op: 'chmod', fd: 'a0', mode: 'a1' },
  fchmodat: { op: 'chmod', dirfd: 'a0', mode: 'a2' },
  fchmodat2: { op: 'chmod', dirfd: 'a0', mode: 'a2' },
  chown,
  lchown: chown,
  chown32: chown,
  lchown32: chown,
  fchown,
  fchown32: fchown,
  fchownat: { op: 'chown', dirfd: 'a0', uid: 'a2', gid: 'a3' },
  setxattr: xattr,
  lsetxattr: xattr,
  removexattr: xattr,
  lremovexattr: xattr,
  fsetxattr: fxattr,
  fremovexattr: fxattr,
  setxattrat: { op: 'xattr', dirfd: 'a0' },
  removexattrat: { op: 'xattr', dirfd: 'a0' },
  utime: { op: 'utime' },
  utimes: { op: 'utime' },
  utimensat: { op: 'utime', dirfd: 'a0' },
  futimesat: { op: 'utime', dirfd: 'a0' },
  ioctl: { op: 'ioctl', fd: 'a0' },
};

/** i386 16-bit chown family: the same names map to 16-bit ids. */
const I386_16BIT: Readonly<Record<string, FileSyscall>> = { chown: chown16, lchown: chown16, fchown: { ...fchown, ids16: true } };

/** Numbers of the syscalls above per audit arch (AUDIT_ARCH_*), for records without the enriched name. */
const NUMBERS: Record<string, Record<string, string>> = {
  // x86_64
  c000003e: {
    2: 'open', 85: 'creat', 257: 'openat', 437: 'openat2', 76: 'truncate', 77: 'ftruncate', 82: 'rename', 264: 'renameat', 316: 'renameat2',
    87: 'unlink', 263: 'unlinkat', 84: 'rmdir', 83: 'mkdir', 258: 'mkdirat', 86: 'link', 265: 'linkat', 88: 'symlink', 266: 'symlinkat',
    133: 'mknod', 259: 'mknodat', 90: 'chmod', 91: 'fchmod', 268: 'fchmodat', 452: 'fchmodat2', 92: 'chown', 93: 'fchown', 94: 'lchown',
    260: 'fchownat', 188: 'setxattr', 189: 'lsetxattr', 190: 'fsetxattr', 197: 'removexattr', 198: 'lremovexattr', 199: 'fremovexattr',
    463: 'setxattrat', 466: 'removexattrat', 132: 'utime', 235: 'utimes', 280: 'utimensat', 261: 'futimesat', 16: 'ioctl',
  },
  // i386
  '40000003': {
    5: 'open', 8: 'creat', 295: 'openat', 437: 'openat2', 92: 'truncate', 93: 'ftruncate', 193: 'truncate64', 194: 'ftruncate64', 38: 'rename',
    302: 'renameat', 353: 'renameat2', 10: 'unlink', 301: 'unlinkat', 40: 'rmdir', 39: 'mkdir', 296: 'mkdirat', 9: 'link', 303: 'linkat',
    83: 'symlink', 304: 'symlinkat', 14: 'mknod', 297: 'mknodat', 15: 'chmod', 94: 'fchmod', 306: 'fchmodat', 452: 'fchmodat2', 182: 'chown',
    16: 'lchown', 95: 'fchown', 212: 'chown32', 198: 'lchown32', 207: 'fchown32', 298: 'fchownat', 226: 'setxattr', 227: 'lsetxattr',
    228: 'fsetxattr', 235: 'removexattr', 236: 'lremovexattr', 237: 'fremovexattr', 30: 'utime', 271: 'utimes', 320: 'utimensat',
    299: 'futimesat', 54: 'ioctl',
  },
};
// aarch64 and riscv64 share the generic syscall table.
const GENERIC: Record<string, string> = {
  56: 'openat', 437: 'openat2', 45: 'truncate', 46: 'ftruncate', 38: 'renameat', 276: 'renameat2', 35: 'unlinkat', 34: 'mkdirat', 37: 'linkat',
  36: 'symlinkat', 33: 'mknodat', 52: 'fchmod', 53: 'fchmodat', 452: 'fchmodat2', 54: 'fchownat', 55: 'fchown', 5: 'setxattr', 6: 'lsetxattr',
  7: 'fsetxattr', 14: 'removexattr', 15: 'lremovexattr', 16: 'fremovexattr', 463: 'setxattrat', 466: 'removexattrat', 88: 'utimensat', 29: 'ioctl',
};
NUMBERS.c00000b7 = GENERIC;
NUMBERS.c00000f3 = GENERIC;

/** The name of a file syscall of this SYSCALL record, or undefined when it is not one. */
export function fileSyscallName(syscall: AuditRecord): string | undefined {
  const named = syscall.enriched.SYSCALL;
  if (named !== undefined) return named in FILE_SYSCALLS ? named : undefined;
  const arch = syscall.fields.arch?.toLowerCase();
  const number = syscall.fields.syscall;
  if (arch === undefined || number === undefined) return undefined;
  return NUMBERS[arch]?.[number];
}

export function fileSyscall(syscall: AuditRecord): { name: string; spec: FileSyscall } | undefined {
  const name = fileSyscallName(syscall);
  if (name === undefined) return undefined;
  const arch = syscall.fields.arch?.toLowerCase();
  const spec = (arch === '40000003' ? I386_16BIT[name] : undefined) ?? FILE_SYSCALLS[name];
  return spec ? { name, spec } : undefined;
}
