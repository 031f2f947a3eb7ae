// Writes one benchmark's section ("## <name>") of docs/benchmarks.md, keeping every other section byte for byte.
// Never touches any other file; creates docs/benchmarks.md with its introduction when it does not exist.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const intro =
  '# Benchmarks\n\nBenchmarks live in `bench/src/<name>.ts`. Build once with `npx tsc -b`, then run one with `npm run bench -- <name> [options]`\n' +
  '(`npm run bench` alone lists them; `--help` after a name lists its options). Each writes its figures to `bench/results/<name>.json`.\n';

/**
 * Replaces the section that starts at the line `## <name>` and runs to the next `## ` heading (or the end), or appends
 * it when absent. `section` must start with that heading line. Returns the file written.
 */
export function updateBenchmarkDocs(repoRoot: string, name: string, section: string): string {
  const file = join(repoRoot, 'docs', 'benchmarks.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : intro;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const start = text.search(new RegExp(`^## ${escaped}\\s*$`, 'm'));
  let next = start < 0 ? -1 : text.slice(start + 1).search(/^## /m);
  if (next >= 0) next += start + 1;
  const updated = start < 0 ? `${text.trimEnd()}\n\n${section}\n` : `${text.slice(0, start)}${section}\n${next >= 0 ? '\n' + text.slice(next) : ''}`;
  writeFileSync(file, updated);
  return file;
}
