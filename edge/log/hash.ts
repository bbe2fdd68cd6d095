/**
 * RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hashing with SHA-256:
 *   MTH({})      = SHA-256()
 *   leaf hash    = SHA-256(0x00 || entry)
 *   node hash    = SHA-256(0x01 || left || right)
 */
import { createHash } from 'node:crypto';

/** Length of every hash in the tree, bytes. */
export const HASH_SIZE = 32;

/** Root of the empty tree: SHA-256 of the empty string (e3b0c442…). */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** Leaf hash of an entry's bytes (RFC 6962: SHA-256(0x00 || data)). */
export function leafHash(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).digest();
}

/** Interior node hash (RFC 6962: SHA-256(0x01 || left || right)). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Constant-time-irrelevant byte equality of two hashes (public data, plain compare). */
export function hashEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
