/**
 * RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hashing with SHA-256:
 *   MTH({})      = SHA-256()
 *   leaf hash    = SHA-256(0x00 || entry)
 *   node hash    = SHA-256(0x01 || left || right)
 */
import * as crypto from 'node:crypto';

const { createHash } = crypto;
// One-shot crypto.hash (Node ≥ 20.12) is faster than createHash().update().digest() for short
// inputs, and asking it for a 'binary' (latin1) string, then copying that into a (pooled) Buffer, is faster
// still than its 'buffer' output: measured on Node 20 here, 0.59 µs against 1.45 µs for a 65-byte
// node hash (the 'buffer' path allocates a fresh ArrayBuffer per digest). Falls back where missing.
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'binary') => string }).hash;
const sha256: (data: Uint8Array) => Buffer = oneShot ? (d) => Buffer.from(oneShot('sha256', d, 'binary'), 'latin1') : (d) => createHash('sha256').update(d).digest();

/** Length of every hash in the tree, bytes. */
export const HASH_SIZE = 32;

/** Root of the empty tree: SHA-256 of the empty string (e3b0c442…). */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** Leaf hash of an entry's bytes (RFC 6962: SHA-256(0x00 || data)). */
export function leafHash(data: Uint8Array | string): Buffer {
  const d = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return sha256(Buffer.concat([LEAF_PREFIX, d]));
}

/** Scratch input of nodeHash for two 32-byte children (the hash copies it out before returning). */
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);

/**
 * Leaf hash of an entry already laid out after its 0x00 prefix (`prefixed[0] === 0`, as
 * `CanonicalEntry.prefixed`): hashes the buffer as it is, without copying the entry.
 */
export function leafHashOfPrefixed(prefixed: Uint8Array): Buffer {
  return sha256(prefixed);
}

/** Interior node hash (RFC 6962: SHA-256(0x01 || left || right)). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) return sha256(Buffer.concat([NODE_PREFIX, left, right], 1 + left.length + right.length));
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_SIZE);
  return sha256(NODE_INPUT);
}

/** Constant-time-irrelevant byte equality of two hashes (public data, plain compare). */
export function hashEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
