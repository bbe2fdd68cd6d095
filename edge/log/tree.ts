/**
 * Incremental RFC 6962 Merkle tree with O(log n) state (a "compact range": the roots of the perfect
 * subtrees that make up the first n leaves, one per set bit of n, largest first).
 *
 * Optionally keeps the hashes of completed perfect subtrees at levels ≥ `cacheFromLevel` in memory
 * (n / 2^cacheFromLevel hashes in all), so inclusion and consistency proofs need at most
 * 2^cacheFromLevel leaf hashes per proof step from storage.
 */
import { GkhError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';
import type { HashSource } from './proof.js';

/** Serialisable tree state: size and the compact-range hashes (hex), largest subtree first. */
export interface TreeState {
  size: number;
  hashes: string[];
}

export interface MerkleTreeOptions {
  /**
   * Keep hashes of perfect subtrees at this level and above (level 0 = leaves). Default: none
   * (Infinity). The evidence log uses 6 (one cached hash per 64 leaves).
   */
  cacheFromLevel?: number;
}

function popcount(n: number): number {
  let c = 0;
  for (let m = n; m > 0; m = Math.floor(m / 2)) c += m % 2;
  return c;
}

/** The incremental tree. `append` is amortised O(1) hashes, worst case O(log n). */
export class MerkleTree {
  private n = 0;
  /** Perfect-subtree roots, largest (leftmost) first. */
  private stack: Buffer[] = [];
  private readonly cacheFrom: number;
  /** cache[level - cacheFrom][index] = hash of leaves [index·2^level, (index+1)·2^level). */
  private readonly cache: Buffer[][] = [];

  constructor(opts: MerkleTreeOptions = {}) {
    this.cacheFrom = opts.cacheFromLevel ?? Infinity;
  }

  /** Restores a tree from `state()` output (no node cache: use `append` replay for that). */
  static fromState(state: TreeState): MerkleTree {
    if (!Number.isSafeInteger(state.size) || state.size < 0) throw new GkhError('LOG_STATE', `tree state: bad size ${state.size}`, { size: state.size });
    const want = popcount(state.size);
    if (state.hashes.length !== want) throw new GkhError('LOG_STATE', `tree state: size ${state.size} needs ${want} hashes, found ${state.hashes.length}`, { expected: want, got: state.hashes.length });
    const t = new MerkleTree();
    t.n = state.size;
    t.stack = state.hashes.map((h, i) => {
      if (!/^[0-9a-f]{64}$/.test(h)) throw new GkhError('LOG_STATE', `tree state: hash ${i} is not 64 hex digits`, { index: i });
      return Buffer.from(h, 'hex');
    });
    return t;
  }

  /**
   * Rewinds to an earlier state of this same tree (e.g. after a storage rollback), keeping the node
   * cache: cached subtrees beyond the new size are never read before re-appends overwrite them.
   */
  rewindTo(state: TreeState): void {
    if (state.size > this.n) throw new GkhError('LOG_STATE', `cannot rewind from ${this.n} forward to ${state.size}`, { size: this.n, target: state.size });
    const t = MerkleTree.fromState(state);
    this.n = t.n;
    this.stack = t.stack;
  }

  /** Number of leaves. */
  get size(): number {
    return this.n;
  }

  /** Appends one leaf hash (32 bytes, see `leafHash`); returns its index. */
  append(leaf: Uint8Array): number {
    if (leaf.length !== HASH_SIZE) throw new GkhError('LOG_STATE', `leaf hash must be ${HASH_SIZE} bytes, got ${leaf.length}`, { expected: HASH_SIZE, got: leaf.length });
    const index = this.n;
    let cur: Buffer = Buffer.from(leaf);
    let level = 0;
    this.remember(0, index, cur);
    // Each trailing 1 bit of the old size is a perfect subtree of the same height to merge with.
    for (let m = index; m % 2 === 1; m = (m - 1) / 2) {
      cur = nodeHash(this.stack.pop()!, cur);
      level++;
      this.remember(level, Math.floor(index / 2 ** level), cur);
    }
    this.stack.push(cur);
    this.n++;
    return index;
  }

  private remember(level: number, index: number, h: Buffer): void {
    if (level < this.cacheFrom) return;
    const row = (this.cache[level - this.cacheFrom] ??= []);
    row[index] = h;
  }

  /** Root hash of the current tree (RFC 6962 MTH; the empty tree's root is SHA-256 of nothing). */
  root(): Buffer {
    if (this.stack.length === 0) return Buffer.from(EMPTY_ROOT);
    let r = this.stack[this.stack.length - 1]!;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i]!, r);
    return r;
  }

  /** Serialisable O(log n) state. */
  state(): TreeState {
    return { size: this.n, hashes: this.stack.map((h) => h.toString('hex')) };
  }

  /**
   * A HashSource for proofs over this tree: cached subtree hashes where available, otherwise
   * computed from `leaves(from, to)` (leaf hashes of indices [from, to)).
   */
  hashSource(leaves: (from: number, to: number) => Uint8Array[]): HashSource {
    return (level, index) => {
      if (level >= this.cacheFrom) {
        const h = this.cache[level - this.cacheFrom]?.[index];
        if (h) return h;
      }
      const from = index * 2 ** level;
      const to = from + 2 ** level;
      if (to > this.n) throw new GkhError('LOG_STATE', `subtree [${from}, ${to}) is beyond the tree size ${this.n}`, { from, to, size: this.n });
      const got = leaves(from, to);
      if (got.length !== to - from) throw new GkhError('LOG_STATE', `leaf source returned ${got.length} hashes for [${from}, ${to})`, { expected: to - from, got: got.length });
      return perfectRoot(got);
    };
  }
}

/** Root of a perfect tree over a power-of-two count of leaf hashes (bottom-up, in place on a copy). */
export function perfectRoot(leaves: readonly Uint8Array[]): Buffer {
  let row: Uint8Array[] = [...leaves];
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!));
    row = next;
  }
  return Buffer.from(row[0]!);
}

/** RFC 6962 MTH of a whole list of leaf hashes, by the recursive definition (tests, small trees). */
export function treeRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return Buffer.from(EMPTY_ROOT);
  if (leaves.length === 1) return Buffer.from(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(treeRoot(leaves.slice(0, k)), treeRoot(leaves.slice(k)));
}

/** A HashSource over an in-memory list of leaf hashes (tests, small trees). */
export function memorySource(leaves: readonly Uint8Array[]): HashSource {
  return (level, index) => {
    const from = index * 2 ** level;
    const to = from + 2 ** level;
    if (to > leaves.length) throw new GkhError('LOG_STATE', `subtree [${from}, ${to}) is beyond ${leaves.length} leaves`, { from, to });
    return perfectRoot(leaves.slice(from, to));
  };
}
