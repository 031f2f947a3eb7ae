// dpkg status parser: a golden stanza set, the real status file against dpkg-query, and a fuzz test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { seededRandom } from '@vigil/common';
import { parseDeb822, parseDpkgStatus } from './dpkg.js';

const SAMPLE = `Package: bash
Status: install ok installed
Priority: required
Installed-Size: 7163
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Version: 5.2.15-2+b7
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 More text.

Package: libfoo1
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: libc6
Status: hold ok installed
Architecture: i386
Multi-Arch: same
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries

Status: install ok installed
Version: 1
`;

test('golden: installed packages with version, architecture, size in bytes and summary; config-files left out', () => {
  const { packages, skipped } = parseDpkgStatus(SAMPLE);
  assert.equal(skipped, 1, 'the stanza without Package is skipped');
  assert.deepEqual(packages, [
    { name: 'bash', version: '5.2.15-2+b7', architecture: 'amd64', status: 'install ok installed', size: 7163 * 1024, summary: 'GNU Bourne Again SHell' },
    { name: 'libc6', version: '2.36-9+deb12u10', architecture: 'i386', status: 'hold ok installed', summary: 'GNU C Library: Shared libraries' },
  ]);
});

test('continuation lines join their field; CRLF line ends are accepted', () => {
  const [stanza] = parseDeb822('Package: a\r\nDescription: one\r\n two\r\n');
  assert.equal(stanza!.fields.get('description'), 'one\ntwo');
});

test('the real /var/lib/dpkg/status gives exactly what dpkg-query lists as installed', () => {
  const ours = parseDpkgStatus(readFileSync('/var/lib/dpkg/status', 'utf8')).packages.map((p) => `${p.name}|${p.architecture}|${p.version}`).sort();
  const theirs = execFileSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}|${Package}|${Architecture}|${Version}\\n'], { encoding: 'utf8' })
    .split('\n')
    // Second letter: i installed, U unpacked, F half-configured, W/t triggers awaited/pending (files on disk).
    .filter((line) => /^.[iUFWt]/.test(line))
    .map((line) => line.slice(line.indexOf('|') + 1))
    .sort();
  assert.ok(theirs.length > 100, `dpkg-query listed ${theirs.length} packages`);
  assert.deepEqual(ours, theirs);
});

test('fuzz: 3,000 mutated status files never throw and only yield well-formed packages', () => {
  const base = readFileSync('/var/lib/dpkg/status', 'utf8').slice(0, 40_000);
  const random = seededRandom(11);
  const alphabet = ['\n', '\n\n', ' ', ':', 'Package: x', 'Status: install ok installed', '\t', '\r', '\0', 'é', 'Installed-Size: 99999999999999999'];
  for (let i = 0; i < 3000; i++) {
    let text = base;
    for (let m = 0; m < 1 + Math.floor(random() * 10); m++) {
      const at = Math.floor(random() * text.length);
      const piece = alphabet[Math.floor(random() * alphabet.length)]!;
      text = random() < 0.5 ? text.slice(0, at) + piece + text.slice(at) : text.slice(0, at) + text.slice(at + Math.floor(random() * 50));
    }
    const { packages } = parseDpkgStatus(text);
    for (const pkg of packages) {
      assert.match(pkg.name, /^[a-z0-9][a-z0-9+.-]*$/i);
      assert.ok(pkg.size === undefined || Number.isSafeInteger(pkg.size));
      assert.ok(pkg.summary === undefined || !pkg.summary.includes('\n'));
    }
  }
});
