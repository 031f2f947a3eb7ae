// ELF parser: golden results on this machine's /bin/ls, a static-pie /sbin/ldconfig and setuid /usr/bin/passwd,
// a cross-check against binutils' readelf on a sample of system files, a synthetic 32-bit big-endian file, and fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError, seededRandom } from '@vigil/common';
import { bufferSource, parseElf, parseElfFile, type ElfInfo } from './elf.js';

function readelf(path: string): string {
  if (!existsSync('/usr/bin/readelf')) throw new Error('readelf (binutils) is needed for the ELF cross-check: apt-get install binutils');
  return execFileSync('/usr/bin/readelf', ['-h', '-l', '-d', '-S', '-W', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** What readelf says about the fields the parser extracts. */
function fromReadelf(text: string): Pick<ElfInfo, 'class' | 'needed' | 'stripped'> & { interpreter?: string; machineLine: string; typeLine: string } {
  const interpreter = /\[Requesting program interpreter: (.+)\]/.exec(text)?.[1];
  const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1]!);
  return {
    class: /Class:\s+(ELF32|ELF64)/.exec(text)![1] as 'ELF32' | 'ELF64',
    needed,
    stripped: !/\]\s+\.?\S*\s+SYMTAB\s/.test(text),
    ...(interpreter ? { interpreter } : {}),
    machineLine: /Machine:\s+(.+)/.exec(text)![1]!.trim(),
    typeLine: /Type:\s+(\S+)/.exec(text)![1]!,
  };
}

test('golden: /bin/ls is a dynamically linked, stripped x86_64 PIE needing libselinux and libc', () => {
  const info = parseElfFile('/bin/ls')!;
  assert.deepEqual(info, {
    class: 'ELF64',
    endianness: 'little',
    type: 'executable',
    machine: 'x86_64',
    interpreter: '/lib64/ld-linux-x86-64.so.2',
    needed: ['libselinux.so.1', 'libc.so.6'],
    stripped: true,
  });
});

test('golden: /sbin/ldconfig is a static-pie executable (no interpreter, no needed libraries)', () => {
  const info = parseElfFile('/sbin/ldconfig')!;
  assert.deepEqual(info, { class: 'ELF64', endianness: 'little', type: 'executable', machine: 'x86_64', needed: [], stripped: true });
});

test('golden: /usr/bin/passwd (setuid) needs PAM, audit, selinux and libc', () => {
  assert.ok((statSync('/usr/bin/passwd').mode & 0o4000) !== 0, '/usr/bin/passwd is setuid on this machine');
  const info = parseElfFile('/usr/bin/passwd')!;
  assert.equal(info.interpreter, '/lib64/ld-linux-x86-64.so.2');
  assert.deepEqual(info.needed, ['libpam.so.0', 'libpam_misc.so.0', 'libaudit.so.1', 'libselinux.so.1', 'libc.so.6']);
  assert.equal(info.type, 'executable');
});

test('a shared library is "shared"; a script is not ELF', () => {
  // libc.so.6 itself has an interpreter (it runs and prints its version): libm is a plain library.
  const lib = realpathSync('/usr/lib/x86_64-linux-gnu/libm.so.6');
  const info = parseElfFile(lib)!;
  assert.equal(info.type, 'shared');
  assert.ok(info.needed.includes('libc.so.6'), JSON.stringify(info.needed));
  assert.equal(parseElf(bufferSource(Buffer.from('#!/bin/sh\necho hi\n'))), undefined);
});

test('cross-check with readelf on 60 files of /usr/bin, /usr/sbin and /usr/lib', () => {
  const files: string[] = [];
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/lib/x86_64-linux-gnu']) {
    const names = readdirSync(dir).sort();
    let taken = 0;
    for (let i = 0; i < names.length && taken < 20; i += 7) {
      const path = join(dir, names[i]!);
      try {
        const st = statSync(path);
        if (!st.isFile() || st.size < 64 || st.size > 50 * 1024 * 1024) continue;
        if (readFileSync(path).subarray(0, 4).toString('latin1') !== '\x7fELF') continue;
      } catch {
        continue;
      }
      files.push(path);
      taken++;
    }
  }
  assert.ok(files.length >= 40, `only ${files.length} ELF files sampled`);
  const machines: Record<string, string> = { 'Advanced Micro Devices X86-64': 'x86_64', AArch64: 'aarch64', 'Intel 80386': 'i386' };
  for (const path of files) {
    const ours = parseElfFile(path)!;
    const theirs = fromReadelf(readelf(path));
    assert.equal(ours.class, theirs.class, path);
    assert.deepEqual(ours.needed, theirs.needed, path);
    assert.equal(ours.interpreter, theirs.interpreter, path);
    assert.equal(ours.stripped, theirs.stripped, path);
    assert.equal(ours.machine, machines[theirs.machineLine] ?? ours.machine, path);
    if (theirs.typeLine === 'EXEC') assert.equal(ours.type, 'executable', path);
    if (theirs.typeLine === 'REL') assert.equal(ours.type, 'relocatable', path);
  }
});

/** A minimal ELF32 big-endian (or little-endian) file: PT_LOAD, PT_INTERP, PT_DYNAMIC with two DT_NEEDED, a SYMTAB. */
export function syntheticElf32(bigEndian: boolean): Buffer {
  const buf = Buffer.alloc(1024);
  const w16 = (o: number, v: number) => (bigEndian ? buf.writeUInt16BE(v, o) : buf.writeUInt16LE(v, o));
  const w32 = (o: number, v: number) => (bigEndian ? buf.writeUInt32BE(v, o) : buf.writeUInt32LE(v, o));
  buf.write('\x7fELF', 0, 'latin1');
  buf[4] = 1; // ELFCLASS32
  buf[5] = bigEndian ? 2 : 1;
  buf[6] = 1;
  w16(16, 2); // ET_EXEC
  w16(18, 8); // MIPS
  w32(0x1c, 52); // e_phoff
  w32(0x20, 600); // e_shoff
  w16(0x2a, 32); // e_phentsize
  w16(0x2c, 3); // e_phnum
  w16(0x2e, 40); // e_shentsize
  w16(0x30, 2); // e_shnum
  const ph = (i: number, type: number, offset: number, vaddr: number, size: number) => {
    const o = 52 + i * 32;
    w32(o, type);
    w32(o + 4, offset);
    w32(o + 8, vaddr);
    w32(o + 16, size);
    w32(o + 20, size);
  };
  ph(0, 1, 0, 0x400000, 1024); // PT_LOAD: the whole file at 0x400000
  ph(1, 3, 200, 0x4000c8, 16); // PT_INTERP
  ph(2, 2, 300, 0x40012c, 40); // PT_DYNAMIC
  buf.write('/lib/ld.so.1\0', 200, 'latin1');
  // dynstr at file offset 400 (vaddr 0x400190)
  buf.write('\0libc.so.6\0libm.so.6\0', 400, 'latin1');
  const dyn = (i: number, tag: number, value: number) => (w32(300 + i * 8, tag), w32(300 + i * 8 + 4, value));
  dyn(0, 1, 1); // DT_NEEDED libc.so.6
  dyn(1, 1, 11); // DT_NEEDED libm.so.6
  dyn(2, 5, 0x400190); // DT_STRTAB
  dyn(3, 10, 21); // DT_STRSZ
  dyn(4, 0, 0); // DT_NULL
  w32(600 + 40 + 4, 2); // section 1: SHT_SYMTAB
  return buf;
}

test('synthetic ELF32 files, big- and little-endian', () => {
  for (const bigEndian of [true, false]) {
    const info = parseElf(bufferSource(syntheticElf32(bigEndian)))!;
    assert.deepEqual(info, { class: 'ELF32', endianness: bigEndian ? 'big' : 'little', type: 'executable', machine: 'mips', interpreter: '/lib/ld.so.1', needed: ['libc.so.6', 'libm.so.6'], stripped: false });
  }
});

test('malformed headers are refused with VigilError, not read out of bounds', () => {
  const broken = syntheticElf32(true);
  broken.writeUInt32BE(0x7fffffff, 0x1c); // program headers beyond the file
  assert.throws(() => parseElf(bufferSource(broken)), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input');
  const truncated = readFileSync('/bin/ls').subarray(0, 40);
  assert.throws(() => parseElf(bufferSource(truncated)), VigilError);
});

test('fuzz: 4,000 mutations of real and synthetic headers never throw anything but VigilError and stay bounded', () => {
  const seeds = [readFileSync('/bin/ls').subarray(0, 64 * 1024), syntheticElf32(true), syntheticElf32(false), readFileSync('/sbin/ldconfig').subarray(0, 32 * 1024)];
  const random = seededRandom(3);
  let parsed = 0;
  for (let i = 0; i < 4000; i++) {
    const buffer = Buffer.from(seeds[i % seeds.length]!);
    const mutations = 1 + Math.floor(random() * 8);
    for (let m = 0; m < mutations; m++) {
      // Mostly hit the headers, where offsets and counts live.
      const at = random() < 0.8 ? Math.floor(random() * 128) : Math.floor(random() * buffer.length);
      buffer[at] = Math.floor(random() * 256);
    }
    const cut = random() < 0.1 ? buffer.subarray(0, Math.floor(random() * buffer.length)) : buffer;
    try {
      const info = parseElf(bufferSource(cut));
      if (info) {
        parsed++;
        assert.ok(info.needed.length <= 1024);
        for (const name of info.needed) assert.ok(name.length <= 4096);
      }
    } catch (error) {
      assert.ok(error instanceof VigilError, `mutation ${i} threw ${String(error)}`);
    }
  }
  assert.ok(parsed > 100, `${parsed} mutated files still parsed`);
});
