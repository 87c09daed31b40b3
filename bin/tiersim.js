#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm run build, or npm start / npm test, which build first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write("tiersim: not built yet; run 'npm run setup' (installs and builds) or 'npm run build'\n");
  process.exit(1);
}
await import(main);
