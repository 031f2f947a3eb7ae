// Vite build of the console: one hashed entry script and stylesheet under dist/assets, no inline scripts (the server's
// Content-Security-Policy forbids them), no source maps in the served output.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
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
