/** Rewrites the generated blocks of docs/status.md (status JSON Schema, metrics table): `node dist/scripts/gen-status-doc.js`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withGenerated } from '../edge/status/doc.js';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = new URL('../../docs/status.md', import.meta.url);
  writeFileSync(file, withGenerated(readFileSync(file, 'utf8')));
  process.stdout.write(`wrote ${fileURLToPath(file)}\n`);
}
