#!/usr/bin/env node
// The damo port (npx damo, or `tiersim damo`): see src/damo/main.ts.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/damo/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write("damo: not built yet; run 'npm run setup' (installs and builds) or 'npm run build'\n");
  process.exit(1);
}
const { damoMain } = await import(main);
process.exit(await damoMain(process.argv.slice(2)));
