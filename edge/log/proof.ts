/**
 * Inclusion and consistency proofs (RFC 6962 §2.1.1-2.1.2 PATH and PROOF; verification as
 * RFC 9162 §2.1.3.2 and §2.1.4.2). Proof hashes are ordered bottom-up, as both RFCs do.
 */
import { GkhError } from '../errors.js';
import { HASH_SIZE, hashEqual, nodeHash } from './hash.js';

/** Hash of the perfect subtree at `level` (0 = leaf) number `index`: leaves [index·2^level, (index+1)·2^level). */
export type HashSource = (level: number, index: number) => Uint8Array;

/** Largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** True when n is 2^k for some k ≥ 0. */
function isPow2(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function log2(n: number): number {
  let l = 0;
  while (2 ** l < n) l++;
  return l;
}

/** MTH(D[a:b]) where a is aligned to the largest power of two ≤ b - a (always so inside proofs). */
function rangeHash(a: number, b: number, src: HashSource): Uint8Array {
  const n = b - a;
  if (isPow2(n) && a % n === 0) return src(log2(n), a / n);
  const k = splitPoint(n);
  return nodeHash(rangeHash(a, a + k, src), rangeHash(a + k, b, src));
}

function checkSize(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new GkhError('LOG_PROOF', `${name} must be a non-negative integer, got ${v}`, { [name]: v });
}

/** RFC 6962 §2.1.1 PATH(m, D[n]): the audit path of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(index: number, size: number, src: HashSource): Buffer[] {
  checkSize('index', index);
  checkSize('size', size);
  if (index >= size) throw new GkhError('LOG_PROOF', `leaf index ${index} is not below tree size ${size}`, { index, size });
  const out: Buffer[] = [];
  const path = (m: number, a: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, a, k);
      out.push(Buffer.from(rangeHash(a + k, a + n, src)));
    } else {
      path(m - k, a + k, n - k);
      out.push(Buffer.from(rangeHash(a, a + k, src)));
    }
  };
  path(index, 0, size);
  return out;
}

/** RFC 6962 §2.1.2 PROOF(m, D[n]): that the tree of `size1` leaves is a prefix of the one of `size2`. */
export function consistencyProof(size1: number, size2: number, src: HashSource): Buffer[] {
  checkSize('size1', size1);
  checkSize('size2', size2);
  if (size1 > size2) throw new GkhError('LOG_PROOF', `size1 ${size1} is above size2 ${size2}`, { size1, size2 });
  if (size1 === 0 || size1 === size2) return [];
  const out: Buffer[] = [];
  const sub = (m: number, a: number, n: number, b: boolean): void => {
    if (m === n) {
      if (!b) out.push(Buffer.from(rangeHash(a, a + n, src)));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, a, k, b);
      out.push(Buffer.from(rangeHash(a + k, a + n, src)));
    } else {
      sub(m - k, a + k, n - k, false);
      out.push(Buffer.from(rangeHash(a, a + k, src)));
    }
  };
  sub(size1, 0, size2, true);
  return out;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function checkHashes(what: string, hashes: readonly Uint8Array[]): void {
  hashes.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw new GkhError('LOG_PROOF', `${what}: proof hash ${i} is ${h.length} bytes, expected ${HASH_SIZE}`, { index: i, expected: HASH_SIZE, got: h.length });
  });
}

/**
 * Root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-5 without the final compare).
 * Throws LOG_PROOF when the proof has the wrong length for (index, size).
 */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Buffer {
  checkSize('index', index);
  checkSize('size', size);
  if (index >= size) throw new GkhError('LOG_PROOF', `leaf index ${index} is not below tree size ${size}`, { index, size });
  if (leaf.length !== HASH_SIZE) throw new GkhError('LOG_PROOF', `leaf hash is ${leaf.length} bytes, expected ${HASH_SIZE}`, { expected: HASH_SIZE, got: leaf.length });
  checkHashes('inclusion', proof);
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) throw new GkhError('LOG_PROOF', `inclusion proof is too long: ${proof.length} hashes for leaf ${index} of ${size}`, { index, size, got: proof.length });
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn /= 2; sn = Math.floor(sn / 2); }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new GkhError('LOG_PROOF', `inclusion proof is too short: ${proof.length} hashes for leaf ${index} of ${size}`, { index, size, got: proof.length });
  return Buffer.from(r);
}

/** Verifies an inclusion proof; throws LOG_PROOF with the expected and calculated roots. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  const got = rootFromInclusionProof(index, size, leaf, proof);
  if (!hashEqual(got, root)) {
    throw new GkhError('LOG_PROOF', `inclusion proof of leaf ${index} in tree ${size} gives root ${hex(got)}, expected ${hex(root)}`, { index, size, expected: hex(root), calculated: hex(got) });
  }
}

/**
 * Verifies that the tree (size1, root1) is a prefix of (size2, root2) (RFC 9162 §2.1.4.2).
 * size1 = 0 is consistent with anything given an empty proof; size1 = size2 needs equal roots and
 * an empty proof. Throws LOG_PROOF naming what did not match (both sides).
 */
export function verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[]): void {
  checkSize('size1', size1);
  checkSize('size2', size2);
  if (size2 < size1) throw new GkhError('LOG_PROOF', `size2 ${size2} is below size1 ${size1}: a log cannot shrink`, { size1, size2 });
  if (size1 === size2) {
    if (proof.length !== 0) throw new GkhError('LOG_PROOF', `equal sizes need an empty proof, got ${proof.length} hashes`, { expected: 0, got: proof.length });
    if (!hashEqual(root1, root2)) throw new GkhError('LOG_PROOF', `same size ${size1} but different roots ${hex(root1)} / ${hex(root2)}`, { expected: hex(root1), calculated: hex(root2) });
    return;
  }
  if (size1 === 0) {
    if (proof.length !== 0) throw new GkhError('LOG_PROOF', `an empty old tree needs an empty proof, got ${proof.length} hashes`, { expected: 0, got: proof.length });
    return;
  }
  // RFC 9162 §2.1.4.2 step 1.
  if (proof.length === 0) throw new GkhError('LOG_PROOF', `empty consistency proof for ${size1} → ${size2}`, { size1, size2 });
  checkHashes('consistency', proof);
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE) throw new GkhError('LOG_PROOF', 'roots must be 32 bytes', { root1: root1.length, root2: root2.length });
  // Step 2: if first is an exact power of 2, prepend first_hash.
  const path: Uint8Array[] = isPow2(size1) ? [root1, ...proof] : [...proof];
  // Step 3-4.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) { fn = (fn - 1) / 2; sn = Math.floor(sn / 2); }
  // Step 5.
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  // Step 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) throw new GkhError('LOG_PROOF', `consistency proof ${size1} → ${size2} is too long (${proof.length} hashes)`, { size1, size2, got: proof.length });
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn /= 2; sn = Math.floor(sn / 2); }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 7.
  if (sn !== 0) throw new GkhError('LOG_PROOF', `consistency proof ${size1} → ${size2} is too short (${proof.length} hashes)`, { size1, size2, got: proof.length });
  if (!hashEqual(fr, root1)) throw new GkhError('LOG_PROOF', `consistency proof ${size1} → ${size2}: old root calculated ${hex(fr)}, expected ${hex(root1)}`, { expected: hex(root1), calculated: hex(fr), which: 'root1' });
  if (!hashEqual(sr, root2)) throw new GkhError('LOG_PROOF', `consistency proof ${size1} → ${size2}: new root calculated ${hex(sr)}, expected ${hex(root2)}`, { expected: hex(root2), calculated: hex(sr), which: 'root2' });
}
