/**
 * The signature checks of the sync protocol, on top of edge/log (C2SP signed note, tlog-checkpoint,
 * tlog-cosignature v1, vkeys). Gateway and receiver both use these, so both sides check the same way.
 */
import type { KeyObject } from 'node:crypto';
import { parseCheckpoint, type Checkpoint } from '../log/checkpoint.js';
import { cosign, verifyCosignatureLine } from '../log/cosignature.js';
import { parseNote, SIG_COSIGNATURE_V1, verifyNote } from '../log/note.js';
import { formatVkey, parseVkey } from '../log/vkey.js';
import { GkhError } from '../errors.js';

const parsed = new Map<string, ReturnType<typeof parseVkey>>();
/** parseVkey with a cache: a vkey string always parses to the same verifier (and key objects are costly). */
function vkeyOf(vkey: string): ReturnType<typeof parseVkey> {
  let k = parsed.get(vkey);
  if (!k) {
    k = parseVkey(vkey);
    if (parsed.size > 1000) parsed.clear();
    parsed.set(vkey, k);
  }
  return k;
}

/**
 * Verifies a gateway's signed checkpoint note with its registered verifier key (type 0x01) and
 * parses the body. The origin must equal the key name (edge/log: origin = key name = opengkh.org/gw/<id>).
 * Throws SYNC_SIGNATURE (signature or key) or SYNC_CHECKPOINT (body).
 */
export function verifyCheckpointNote(vkey: string, note: string): Checkpoint & { text: string } {
  let text: string;
  let name: string;
  try {
    const k = vkeyOf(vkey);
    name = k.name;
    ({ text } = verifyNote(note, [k.verifier]));
  } catch (e) {
    throw new GkhError('SYNC_SIGNATURE', `checkpoint signature: ${(e as Error).message}`, { vkey }, { cause: e });
  }
  let cp: Checkpoint;
  try {
    cp = parseCheckpoint(text);
  } catch (e) {
    throw new GkhError('SYNC_CHECKPOINT', `checkpoint body: ${(e as Error).message}`, {}, { cause: e });
  }
  if (cp.origin !== name) throw new GkhError('SYNC_CHECKPOINT', `checkpoint origin "${cp.origin}" is not the key's name "${name}"`, { expected: name, got: cp.origin });
  return { ...cp, text };
}

/** A C2SP tlog-cosignature line (with newline) by `name` over the body of `note`, timestamped now. */
export function cosignCheckpoint(privateKey: KeyObject, name: string, note: string): string {
  return cosign(note, { name, privateKey });
}

/** The cosigner's verifier key in note form (type 0x04). */
export function cosignerVkey(name: string, publicRaw: Uint8Array): string {
  return formatVkey(name, SIG_COSIGNATURE_V1, publicRaw);
}

/**
 * Checks a receiver's cosignature line over the checkpoint `note` (signed note or bare body) with the
 * receiver's vkey (type 0x04). Returns the cosignature time (unix seconds) and the checkpoint body.
 */
export function verifyReceipt(vkey: string, note: string, line: string): { timestamp: number; body: string } {
  const k = vkeyOf(vkey);
  if (k.type !== SIG_COSIGNATURE_V1) throw new GkhError('SYNC_VKEY', `receiver key ${k.name} has type 0x${k.type.toString(16).padStart(2, '0')}, expected 0x04 (cosignature/v1)`, { expected: 4, got: k.type });
  const { time } = verifyCosignatureLine(note, line, k.verifier);
  const body = note.includes('\n\n') ? parseNote(note).text : note;
  return { timestamp: time, body };
}

/** The fields of a `cosignature` log entry (edge/log CosignatureBody), or undefined for other types. */
export function parseReceiptEntry(entry: string | object): { gw: string; destination: string; size: number; root: string; line: string; time: number } | undefined {
  const e = (typeof entry === 'string' ? JSON.parse(entry) : entry) as { type?: string; gw?: string; body?: Record<string, unknown> };
  if (e.type !== 'cosignature' || !e.body) return undefined;
  const b = e.body;
  if (typeof b.destination !== 'string' || typeof b.size !== 'number' || typeof b.root !== 'string' || typeof b.line !== 'string' || typeof b.time !== 'number') return undefined;
  return { gw: String(e.gw), destination: b.destination, size: b.size, root: b.root, line: b.line, time: b.time };
}

/** The cosigner name in a cosignature line (`— <name> <base64>`). */
export function cosignerName(line: string): string {
  return line.replace(/^\u2014 /, '').split(' ')[0] ?? '';
}
