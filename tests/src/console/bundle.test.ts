// The console's size budget: what a browser downloads for the first page (the entry chunk, its static imports, the
// stylesheet and the overview page) and the whole build, gzip-compressed, stay under 1 MB; every text asset has the
// brotli and gzip siblings the server sends (written by the build). Sizes are not timings.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { consoleDist, requireConsoleBuild } from './browser.js';

const BUDGET_BYTES = 1024 * 1024;

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

const gzipped = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;

test('the first page and the whole console stay under 1 MB gzip-compressed', () => {
  requireConsoleBuild();
  const dist = consoleDist();
  const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const entryKey = Object.keys(manifest).find((key) => manifest[key]!.isEntry);
  assert.ok(entryKey, 'the manifest names an entry chunk');
  const overviewKey = Object.keys(manifest).find((key) => manifest[key]!.src === 'src/pages/overview.tsx');
  assert.ok(overviewKey, 'the overview page is its own chunk');

  const initial = new Set<string>(['index.html']);
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || initial.has(chunk.file)) return;
    initial.add(chunk.file);
    for (const css of chunk.css ?? []) initial.add(css);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit(entryKey);
  visit(overviewKey);
  const initialBytes = [...initial].reduce((sum, file) => sum + gzipped(join(dist, file)), 0);

  const all = ['index.html', 'favicon.svg', ...readdirSync(join(dist, 'assets')).filter((f) => !/\.(br|gz)$/.test(f)).map((f) => `assets/${f}`)];
  const totalBytes = all.reduce((sum, file) => sum + gzipped(join(dist, file)), 0);
  const rawBytes = all.reduce((sum, file) => sum + readFileSync(join(dist, file)).length, 0);
  console.log(`console bundle: first page ${(initialBytes / 1024).toFixed(1)} KiB gzip (${initial.size} files); whole build ${(totalBytes / 1024).toFixed(1)} KiB gzip, ${(rawBytes / 1024).toFixed(1)} KiB raw (${all.length} files)`);
  assert.ok(initial.size >= 3, `index.html, the entry script and the stylesheet at least: ${[...initial].join(', ')}`);
  assert.ok(initialBytes < BUDGET_BYTES, `first page ${initialBytes} bytes gzip exceeds the 1 MB budget`);
  assert.ok(totalBytes < BUDGET_BYTES, `whole console ${totalBytes} bytes gzip exceeds the 1 MB budget`);
});

test('every text asset of the build has brotli and gzip siblings with the same content, smaller than the asset', () => {
  requireConsoleBuild();
  const assets = join(consoleDist(), 'assets');
  const names = readdirSync(assets);
  const text = names.filter((f) => /\.(js|css|svg|json)$/.test(f));
  assert.ok(text.length >= 3, names.join(', '));
  let plain = 0;
  let brotli = 0;
  for (const name of text) {
    const body = readFileSync(join(assets, name));
    assert.ok(names.includes(`${name}.br`) && names.includes(`${name}.gz`), `${name} has .br and .gz siblings (npm run build -w apps/console writes them)`);
    const br = readFileSync(join(assets, `${name}.br`));
    assert.ok(brotliDecompressSync(br).equals(body), `${name}.br holds ${name}`);
    assert.ok(gunzipSync(readFileSync(join(assets, `${name}.gz`))).equals(body), `${name}.gz holds ${name}`);
    if (body.length > 1024) assert.ok(br.length < body.length, `${name}.br is smaller`);
    plain += body.length;
    brotli += br.length;
  }
  console.log(`console assets: ${(plain / 1024).toFixed(1)} KiB raw, ${(brotli / 1024).toFixed(1)} KiB brotli (${text.length} files)`);
});
