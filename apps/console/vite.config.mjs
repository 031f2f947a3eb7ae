// Vite build of the console: one hashed entry script and stylesheet under dist/assets, no inline scripts (the server's
// Content-Security-Policy forbids them), no source maps in the served output.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Writes `<file>.br` and `<file>.gz` beside every text asset of dist/assets once per build, at maximum compression;
 * the server (apps/server/src/http/console-routes.ts) sends them to browsers that accept the encoding.
 */
function precompress() {
  let dir = '';
  return {
    name: 'vigil-precompress',
    apply: 'build',
    configResolved(config) {
      dir = resolve(config.root, config.build.outDir, config.build.assetsDir);
    },
    closeBundle() {
      for (const name of readdirSync(dir)) {
        if (!/\.(js|mjs|css|svg|json|txt)$/.test(name)) continue;
        const body = readFileSync(join(dir, name));
        writeFileSync(join(dir, `${name}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
        writeFileSync(join(dir, `${name}.gz`), gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), precompress()],
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // dist/.vite/manifest.json: which chunks a page loads (the bundle-size test reads it; the server never serves it).
    manifest: true,
    target: 'es2022',
  },
});
