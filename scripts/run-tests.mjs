// Runs every test of the monorepo with node:test, one file at a time (system tests change audit rules and
// other machine state, so they must never overlap). Prints node:test's summary; exits non-zero on any failure.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'apps', 'tests'];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js') && !name.endsWith('.case.test.js') && path.includes('/dist/')) files.push(path);
  }
}
for (const top of roots) {
  try { walk(join(root, top)); } catch (error) { if (error.code !== 'ENOENT') throw error; }
}
const filter = process.argv.slice(2);
const selected = filter.length ? files.filter((f) => filter.some((part) => f.includes(part))) : files;
selected.sort((a, b) => Number(a.includes('.system.test.')) - Number(b.includes('.system.test.')) || a.localeCompare(b));
if (!selected.length) {
  console.error('run-tests: no test files found; was the build run?');
  process.exit(1);
}
console.error(`run-tests: ${selected.length} files: ${selected.map((f) => relative(root, f)).join(' ')}`);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...selected], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
