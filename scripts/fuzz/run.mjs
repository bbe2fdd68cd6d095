// `npm run fuzz`: runs every compiled fuzzer in dist/scripts/fuzz/ (built by `tsc` first).
// Usage: node scripts/fuzz/run.mjs [iterations=1000000] [seed=1]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'dist', 'scripts', 'fuzz');
const iterations = process.argv[2] ?? '1000000';
const seed = process.argv[3] ?? '1';
if (!/^\d+$/.test(iterations) || !/^\d+$/.test(seed)) {
  console.error('usage: node scripts/fuzz/run.mjs [iterations] [seed]');
  process.exit(2);
}
if (!existsSync(dir)) {
  console.error(`${dir} missing: build first (npx tsc -p .)`);
  process.exit(2);
}
let failed = 0;
for (const f of readdirSync(dir).filter((x) => x.endsWith('.js') && !x.endsWith('.test.js')).sort()) {
  const r = spawnSync(process.execPath, [join(dir, f), iterations, seed], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
