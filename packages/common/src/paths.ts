// Locates the repository and the shared third-party test corpus.
// The corpus is read-only: nothing may ever write into it.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigilError } from './errors.js';

let cachedRoot: string | undefined;

/** The folder holding the root package.json of the Vigil monorepo. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'vigil') return (cachedRoot = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new VigilError('internal', 'cannot find the Vigil repository root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/**
 * Path inside the shared corpus (env VIGIL_CORPUS, default ../shared/corpus from the repo root).
 * Throws when the corpus or the file is missing: tests that need it must fail loudly, never skip.
 */
export function corpusPath(...parts: string[]): string {
  const base = process.env.VIGIL_CORPUS ? resolve(process.env.VIGIL_CORPUS) : resolve(repoRoot(), '..', 'shared', 'corpus');
  const full = join(base, ...parts);
  if (!existsSync(full)) {
    throw new VigilError('not_found', `test corpus file ${full} is missing: set VIGIL_CORPUS to the shared corpus folder`);
  }
  return full;
}
