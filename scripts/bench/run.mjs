#!/usr/bin/env node
// `npm run bench`: runs every compiled benchmark dist/scripts/bench/*.js one after another
// (never in parallel: they measure the machine). Pass names to run a subset: npm run bench -- log sync
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../dist/scripts/bench/', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.js$/, '')))
  .sort();
if (files.length === 0) {
  console.error(`bench: no benchmark found in ${dir}${wanted.length ? ` matching ${wanted.join(', ')}` : ''}`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== bench ${f.replace(/\.js$/, '')} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', `${dir}${f}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${f} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
