/** Helpers for tests only: the shared conformance vectors beside the clone, free ports. */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared/vectors` beside the repository (CI lays shared/ there), or $OPENGKH_VECTORS. */
export function vectorsDir(): string {
  const env = process.env.OPENGKH_VECTORS;
  if (env) return env;
  const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
  // From edge/ (sources under vitest) or dist/edge/ (compiled).
  for (const cand of [resolve(repo, '../shared/vectors'), resolve(repo, '../../shared/vectors')]) if (existsSync(cand)) return cand;
  throw new Error('shared/vectors not found beside the repository; set OPENGKH_VECTORS');
}

/** A TCP port free on 127.0.0.1 right now (tests run in parallel: never hard-code ports). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}
