// Guards the architecture: the agent never imports server-side code (server, store), directly or by dependency.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@vigil/common';

const forbidden = ['@vigil/server', '@vigil/store', 'fastify', 'better-sqlite3', '@duckdb/node-api'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

test('agent-side packages never depend on or import server-side code', () => {
  for (const pkg of ['apps/agent', 'packages/sources', 'packages/protocol', 'packages/schema', 'packages/pki', 'packages/common']) {
    const manifest = JSON.parse(readFileSync(join(repoRoot(), pkg, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {})) assert.ok(!forbidden.includes(dep), `${pkg} depends on ${dep}`);
    for (const file of sources(join(repoRoot(), pkg, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const name of forbidden) assert.ok(!text.includes(`from '${name}`), `${file} imports ${name}`);
    }
  }
});
