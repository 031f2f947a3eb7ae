// Per-file values of the external variables LOKI/THOR-style rules (signature-base) test: file name, directory,
// extension with its dot, a file type from magic bytes and the owner's user name. Never throws: unknowns are ''.

import { readFileSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import type { Stats } from 'node:fs';

let users: Map<number, string> | undefined;

/** User name of a uid from /etc/passwd (read once), '' when unknown. */
export function userName(uid: number): string {
  if (!users) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id !== undefined && /^\d+$/.test(id)) users.set(Number(id), name);
      }
    } catch {
      // no passwd: owners stay ''
    }
  }
  return users.get(uid) ?? '';
}

const byExtension: Record<string, string> = {
  '.php': 'PHP', '.jsp': 'JSP', '.asp': 'ASP', '.aspx': 'ASP', '.vbs': 'VBS', '.vbe': 'VBS', '.bat': 'BATCH', '.cmd': 'BATCH', '.ps1': 'PowerShell', '.psm1': 'PowerShell', '.py': 'Python', '.sh': 'SHELL', '.js': 'JS',
};

/** THOR-style file type names from the first bytes (EXE, ELF, PDF, ...), else from the extension, else ''. */
export function fileType(head: Uint8Array, extension: string): string {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  const text = Buffer.from(head.subarray(0, 64)).toString('latin1');
  if (starts(0x4d, 0x5a)) return 'EXE';
  if (starts(0x7f, 0x45, 0x4c, 0x46)) return 'ELF';
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'PDF';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'GIF';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'PNG';
  if (starts(0xff, 0xd8, 0xff)) return 'JPEG';
  if (starts(0x7b, 0x5c, 0x72, 0x74, 0x66)) return 'RTF';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'ZIP';
  if (starts(0x1f, 0x8b)) return 'GZIP';
  if (starts(0x52, 0x61, 0x72, 0x21)) return 'RAR';
  if (starts(0x37, 0x7a, 0xbc, 0xaf)) return '7Z';
  if (starts(0x4d, 0x44, 0x4d, 0x50)) return 'MDMP';
  if (starts(0xcf, 0xfa, 0xed, 0xfe) || starts(0xce, 0xfa, 0xed, 0xfe) || starts(0xca, 0xfe, 0xba, 0xbe)) return 'MACH-O';
  if (starts(0xd0, 0xcf, 0x11, 0xe0)) return 'OLE';
  if (text.startsWith('<?php')) return 'PHP';
  if (/^#!.*python/.test(text)) return 'Python';
  if (/^#!.*(ba|da|z|k)?sh\b/.test(text)) return 'SHELL';
  return byExtension[extension] ?? '';
}

/** The external variables of one file (see the module header); `head` is the file's first bytes. */
export function fileExternals(path: string, stat: Pick<Stats, 'uid'>, head: Uint8Array): Record<string, string> {
  const extension = extname(path).toLowerCase();
  return { filename: basename(path), filepath: dirname(path), extension, filetype: fileType(head, extension), owner: userName(stat.uid) };
}
