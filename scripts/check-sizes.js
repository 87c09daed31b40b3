// Fails when a source file exceeds the line budget of STYLE.md (~1,500 lines), or when
// src/fuse grows past what one reader can hold (a few hundred lines) or names a kernel path.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const LIMIT = 1500;
const FUSE_LIMIT = 400;
const problems = [];

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) check(p);
  }
}

let fuseLines = 0;
function check(p) {
  const text = readFileSync(p, 'utf8');
  const lines = text.split('\n').length;
  if (lines > LIMIT) problems.push(`${p}: ${lines} lines (budget ${LIMIT}); split it by responsibility`);
  if (p.startsWith(join('src', 'fuse'))) {
    fuseLines += lines;
    if (/'\/(sys|proc)\//.test(text)) problems.push(`${p}: the FUSE adapter must not name kernel paths`);
  }
  if (p.startsWith(join('src', 'kernel'))) {
    const code = text.replace(/^\s*(\/\/|\*|\/\*).*$/gm, ''); // rules apply to code, not comments
    if (/Math\.random|Date\.now|new Date\(/.test(code)) problems.push(`${p}: src/kernel must be deterministic (no Math.random / Date)`);
    if (/from 'node:fs'|from "node:fs"|from '\.\.\/.*fuse/.test(code)) problems.push(`${p}: src/kernel must not import node:fs or src/fuse`);
    if (/new Error\(/.test(code)) problems.push(`${p}: throw a KernelError sentinel, not new Error(`);
  }
}

walk('src');
if (fuseLines > FUSE_LIMIT) problems.push(`src/fuse: ${fuseLines} lines (budget ${FUSE_LIMIT})`);
if (problems.length) {
  for (const p of problems) console.error(`check-sizes: ${p}`);
  process.exit(1);
}
console.log('check-sizes: ok');
