/**
 * C2SP tlog-checkpoint body (c2sp.org/tlog-checkpoint):
 *
 *   <origin>\n
 *   <tree size, ASCII decimal, no leading zeroes>\n
 *   <root hash, standard base64>\n
 *   [extension lines\n ...]
 *
 * Our origin is derived from the gateway id: `opengkh.org/gw/<gatewayId>` (see originFor). The same
 * string is the signed-note key name of the gateway's key, as the spec recommends.
 */
import { GkhError } from '../errors.js';
import { HASH_SIZE } from './hash.js';

export interface Checkpoint {
  /** Log identity, e.g. `opengkh.org/gw/tp-17`. */
  origin: string;
  /** Tree size (number of entries). */
  size: number;
  /** Root hash, 32 bytes. */
  root: Buffer;
  /** Optional extension lines (without newline). We write none. */
  extensions?: string[];
}

/** Origin line (and note key name) of a gateway's log: `opengkh.org/gw/<gatewayId>`. */
export function originFor(gatewayId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(gatewayId)) throw new GkhError('LOG_CHECKPOINT', `gateway id "${gatewayId}" is not usable in a log origin (letters, digits, . _ -)`, { gatewayId });
  return `opengkh.org/gw/${gatewayId}`;
}

function badLine(line: number, why: string, ctx: Record<string, unknown> = {}): GkhError {
  return new GkhError('LOG_CHECKPOINT', `checkpoint line ${line}: ${why}`, { line, ...ctx });
}

/** The checkpoint body text (what the note signs), ending with a newline. */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin.length === 0 || /[\n\r]/.test(cp.origin)) throw badLine(1, 'origin must be one non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw badLine(2, `size ${cp.size} is not a non-negative integer`);
  if (cp.root.length !== HASH_SIZE) throw badLine(3, `root is ${cp.root.length} bytes, expected ${HASH_SIZE}`);
  const ext = cp.extensions ?? [];
  ext.forEach((e, i) => {
    if (e.length === 0 || e.includes('\n')) throw badLine(4 + i, 'extension lines must be non-empty single lines');
  });
  return [cp.origin, String(cp.size), cp.root.toString('base64'), ...ext].join('\n') + '\n';
}

/** Parses a checkpoint body (the note text, not the signatures). Errors name the line. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw badLine(text.split('\n').length, 'checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw badLine(lines.length + 1, `expected origin, size and root lines, found ${lines.length} line(s)`);
  const [origin, sizeS, rootS, ...ext] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw badLine(1, 'empty origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeS)) throw badLine(2, `size "${sizeS}" is not a decimal without leading zeroes`, { found: sizeS });
  const size = Number(sizeS);
  if (!Number.isSafeInteger(size)) throw badLine(2, `size ${sizeS} is too large`, { found: sizeS });
  const root = Buffer.from(rootS, 'base64');
  if (root.length !== HASH_SIZE || root.toString('base64') !== rootS) throw badLine(3, `root "${rootS}" is not the base64 of ${HASH_SIZE} bytes`, { found: rootS });
  ext.forEach((e, i) => {
    if (e.length === 0) throw badLine(4 + i, 'empty extension line');
  });
  return ext.length > 0 ? { origin, size, root, extensions: ext } : { origin, size, root };
}
