#!/usr/bin/env node
// Entry point of the `vigil` command; all logic lives in ../dist/main.js (built by `npm run build`).
import('../dist/main.js').then((m) => m.main(process.argv.slice(2))).catch((error) => {
  console.error(error);
  process.exit(1);
});
