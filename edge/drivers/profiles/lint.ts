/**
 * Lint of every device profile (schema + the checks a schema cannot say): `node dist/edge/drivers/profiles/lint.js`.
 * Prints one line per problem and exits 1 when any profile is invalid.
 */
import { pathToFileURL } from 'node:url';
import { isGkhError } from '../../errors.js';
import { listProfiles, loadProfile } from './index.js';

/** Lints every profile; returns the problem lines. */
export function lintAll(): string[] {
  const out: string[] = [];
  for (const n of listProfiles()) {
    try {
      loadProfile(n);
    } catch (e) {
      out.push(isGkhError(e) ? e.message : `${n}: ${String(e)}`);
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const problems = lintAll();
  for (const p of problems) console.error(p);
  console.log(`${listProfiles().length} profiles, ${problems.length} invalid`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
