/**
 * RFC 6962 reference vectors. Source: transparency-dev/merkle, proof/verify_test.go (the classic
 * Certificate Transparency 8-leaf test tree from certificate-transparency's merkle_tree_test.cc):
 * leaves, roots of every prefix, inclusion and consistency proofs; and its corruptInclusionProof /
 * corruptConsistencyProof probes as must-fail cases (testdata/consistency/… modified-proof files).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { EMPTY_ROOT, leafHash, nodeHash } from './hash.js';
import { consistencyProof, inclusionProof, rootFromInclusionProof, verifyConsistency, verifyInclusion } from './proof.js';
import { MerkleTree, memorySource, treeRoot } from './tree.js';

const h = (s: string) => Buffer.from(s, 'hex');
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(h);
// {leaf (1-based), size, proof}
const INCLUSION: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [2, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456');

function fails(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (!isGkhError(e, 'LOG_PROOF')) throw e;
    return true;
  }
}

describe('RFC 6962 tree hash', () => {
  it('empty tree root is SHA-256 of nothing (e3b0c442…)', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new MerkleTree().root().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('leaf and node prefixes 0x00 / 0x01', () => {
    expect(leafHash(Buffer.from('L123456'))).toEqual(createHash('sha256').update(Buffer.from('00', 'hex')).update('L123456').digest());
    expect(nodeHash(h('aa'), h('bb'))).toEqual(createHash('sha256').update(h('01aabb')).digest());
  });

  it('incremental roots of every prefix of the 8-leaf test tree', () => {
    const t = new MerkleTree();
    LEAVES.forEach((leaf, i) => {
      expect(t.append(leafHash(leaf))).toBe(i);
      expect(t.size).toBe(i + 1);
      expect(t.root().toString('hex')).toBe(ROOTS[i]!.toString('hex'));
      expect(treeRoot(LEAVES.slice(0, i + 1).map((l) => leafHash(l)))).toEqual(ROOTS[i]);
    });
  });

  it('state round-trips with O(log n) hashes (popcount of size)', () => {
    const t = new MerkleTree();
    for (let i = 0; i < 1000; i++) t.append(leafHash(Buffer.from(String(i))));
    const st = t.state();
    expect(st.hashes.length).toBe(6); // 1000 = 0b1111101000
    const t2 = MerkleTree.fromState(JSON.parse(JSON.stringify(st)) as typeof st);
    expect(t2.root()).toEqual(t.root());
    t.append(leafHash('x'));
    t2.append(leafHash('x'));
    expect(t2.root()).toEqual(t.root());
    expect(() => MerkleTree.fromState({ size: 3, hashes: st.hashes.slice(0, 1) })).toThrow(/needs 2 hashes/);
  });

  it('node cache gives the same proofs as computing from leaves', () => {
    const leaves = Array.from({ length: 1000 }, (_, i) => leafHash(Buffer.from(`e${i}`)));
    const t = new MerkleTree({ cacheFromLevel: 3 });
    leaves.forEach((l) => t.append(l));
    let leafReads = 0;
    const src = t.hashSource((from, to) => {
      leafReads += to - from;
      return leaves.slice(from, to);
    });
    for (const [i, n] of [[0, 1000], [999, 1000], [517, 777], [64, 65]] as const) {
      expect(inclusionProof(i, n, src)).toEqual(inclusionProof(i, n, memorySource(leaves)));
      verifyInclusion(i, n, leaves[i]!, inclusionProof(i, n, src), treeRoot(leaves.slice(0, n)));
    }
    expect(consistencyProof(333, 1000, src)).toEqual(consistencyProof(333, 1000, memorySource(leaves)));
    expect(leafReads).toBeLessThan(200);
  });
});

describe('inclusion proofs (RFC 6962 PATH)', () => {
  const hashes = LEAVES.map((l) => leafHash(l));
  it.each(INCLUSION)('leaf %i of %i: generated proof equals the reference, verifies', (leaf, size, proofHex) => {
    const proof = proofHex.map(h);
    expect(inclusionProof(leaf - 1, size, memorySource(hashes))).toEqual(proof);
    expect(rootFromInclusionProof(leaf - 1, size, hashes[leaf - 1]!, proof)).toEqual(ROOTS[size - 1]);
    verifyInclusion(leaf - 1, size, hashes[leaf - 1]!, proof, ROOTS[size - 1]!);
  });

  it('every leaf of every prefix round-trips', () => {
    for (let n = 1; n <= 8; n++) for (let i = 0; i < n; i++) verifyInclusion(i, n, hashes[i]!, inclusionProof(i, n, memorySource(hashes)), ROOTS[n - 1]!);
  });

  // must-fail: merkle's corruptInclusionProof probes.
  it.each(INCLUSION.filter(([, size]) => size > 1))('must-fail probes for leaf %i of %i', (leaf, size, proofHex) => {
    const proof = proofHex.map(h);
    const root = ROOTS[size - 1]!;
    const idx = leaf - 1;
    const lh = hashes[idx]!;
    const probes: [string, () => void][] = [
      ['index - 1', () => verifyInclusion(idx - 1, size, lh, proof, root)],
      ['index + 1', () => verifyInclusion(idx + 1, size, lh, proof, root)],
      ['index ^ 2', () => verifyInclusion(idx ^ 2, size, lh, proof, root)],
      ['size * 2', () => verifyInclusion(idx, size * 2, lh, proof, root)],
      ['size / 2', () => verifyInclusion(idx, Math.floor(size / 2), lh, proof, root)],
      ['wrong leaf', () => verifyInclusion(idx, size, Buffer.from('WrongLeaf'), proof, root)],
      ['empty root', () => verifyInclusion(idx, size, lh, proof, EMPTY_ROOT)],
      ['random root', () => verifyInclusion(idx, size, lh, proof, SOME_HASH)],
      ['trailing garbage', () => verifyInclusion(idx, size, lh, [...proof, Buffer.alloc(0)], root)],
      ['trailing root', () => verifyInclusion(idx, size, lh, [...proof, root], root)],
      ['preceding garbage', () => verifyInclusion(idx, size, lh, [Buffer.alloc(0), ...proof], root)],
      ['preceding root', () => verifyInclusion(idx, size, lh, [root, ...proof], root)],
      ['removed component', () => verifyInclusion(idx, size, lh, proof.slice(0, -1), root)],
      ...proof.map((_, i): [string, () => void] => [`modified proof[${i}] bit 3`, () => verifyInclusion(idx, size, lh, proof.map((p, j) => (j === i ? Buffer.from([p[0]! ^ 8, ...p.subarray(1)]) : p)), root)]),
    ];
    if (proof.length > 1) probes.push(['inserted component', () => verifyInclusion(idx, size, lh, [proof[0]!, SOME_HASH, ...proof.slice(1)], root)]);
    const wrong = probes.filter(([, f]) => !fails(f)).map(([d]) => d);
    expect(wrong).toEqual([]);
  });

  it('a failed check carries expected and calculated roots', () => {
    const proof = INCLUSION[1]![2].map(h);
    try {
      verifyInclusion(0, 8, hashes[0]!, proof, SOME_HASH);
      expect.unreachable();
    } catch (e) {
      expect(isGkhError(e, 'LOG_PROOF')).toBe(true);
      expect((e as { context: Record<string, unknown> }).context).toMatchObject({ expected: SOME_HASH.toString('hex'), calculated: ROOTS[7]!.toString('hex') });
    }
  });
});

describe('consistency proofs (RFC 6962 PROOF)', () => {
  const hashes = LEAVES.map((l) => leafHash(l));
  it.each(CONSISTENCY)('%i → %i: generated proof equals the reference, verifies', (m, n, proofHex) => {
    const proof = proofHex.map(h);
    expect(consistencyProof(m, n, memorySource(hashes))).toEqual(proof);
    verifyConsistency(m, n, ROOTS[m - 1]!, ROOTS[n - 1]!, proof);
  });

  it('every pair of prefixes round-trips', () => {
    for (let n = 1; n <= 8; n++) for (let m = 1; m <= n; m++) verifyConsistency(m, n, ROOTS[m - 1]!, ROOTS[n - 1]!, consistencyProof(m, n, memorySource(hashes)));
  });

  it('trivial cases (merkle TestVerifyConsistency table)', () => {
    const r1 = Buffer.from("don't care 1");
    const r2 = Buffer.from("don't care 2");
    expect(fails(() => verifyConsistency(0, 0, r1, r2, []))).toBe(true);
    expect(fails(() => verifyConsistency(1, 1, r1, r2, []))).toBe(true);
    expect(fails(() => verifyConsistency(0, 0, r1, r1, []))).toBe(false);
    expect(fails(() => verifyConsistency(0, 1, r1, r2, []))).toBe(false);
    expect(fails(() => verifyConsistency(1, 1, r2, r2, []))).toBe(false);
    expect(fails(() => verifyConsistency(1, 0, r1, r2, []))).toBe(true);
    expect(fails(() => verifyConsistency(2, 1, r1, r2, []))).toBe(true);
    expect(fails(() => verifyConsistency(1, 2, r1, r2, []))).toBe(true);
    expect(fails(() => verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]))).toBe(true);
    expect(fails(() => verifyConsistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]))).toBe(true);
    expect(fails(() => verifyConsistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]))).toBe(true);
  });

  // must-fail: merkle's corruptConsistencyProof probes (testdata/consistency/*/modified-proof…, preceding-…, …).
  it.each(CONSISTENCY.filter(([, , p]) => p.length > 0))('must-fail probes for %i → %i', (m, n, proofHex) => {
    const proof = proofHex.map(h);
    const r1 = ROOTS[m - 1]!;
    const r2 = ROOTS[n - 1]!;
    const v = (a: number, b: number, x: Buffer, y: Buffer, p: Buffer[]) => () => verifyConsistency(a, b, x, y, p);
    const probes: [string, () => void][] = [
      ['size1 - 1', v(m - 1, n, r1, r2, proof)],
      ['size1 + 1', v(m + 1, n, r1, r2, proof)],
      ['size1 ^ 2', v(m ^ 2, n, r1, r2, proof)],
      ['size2 * 2', v(m, n * 2, r1, r2, proof)],
      ['size2 / 2', v(m, Math.floor(n / 2), r1, r2, proof)],
      ['wrong root1', v(m, n, Buffer.from('WrongRoot'), r2, proof)],
      ['wrong root2', v(m, n, r1, Buffer.from('WrongRoot'), proof)],
      ['swapped roots', v(m, n, r2, r1, proof)],
      ['empty proof', v(m, n, r1, r2, [])],
      ['trailing garbage', v(m, n, r1, r2, [...proof, Buffer.alloc(0)])],
      ['trailing root1', v(m, n, r1, r2, [...proof, r1])],
      ['trailing root2', v(m, n, r1, r2, [...proof, r2])],
      ['preceding garbage', v(m, n, r1, r2, [Buffer.alloc(0), ...proof])],
      ['preceding root1', v(m, n, r1, r2, [r1, ...proof])],
      ['preceding root2', v(m, n, r1, r2, [r2, ...proof])],
      ['preceding proof[0]', v(m, n, r1, r2, [proof[0]!, ...proof])],
      ['truncated proof', v(m, n, r1, r2, proof.slice(0, -1))],
      ...proof.map((_, i): [string, () => void] => [`modified proof[${i}] bit 4`, v(m, n, r1, r2, proof.map((p, j) => (j === i ? Buffer.from([p[0]! ^ 16, ...p.subarray(1)]) : p)))]),
    ];
    const wrong = probes.filter(([, f]) => !fails(f)).map(([d]) => d);
    expect(wrong).toEqual([]);
  });

  it('random trees: proofs from the incremental tree verify against its roots', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from(`x${i}`)));
    const t = new MerkleTree();
    const roots: Buffer[] = [];
    for (const l of leaves) {
      t.append(l);
      roots.push(t.root());
    }
    const src = memorySource(leaves);
    for (let k = 0; k < 200; k++) {
      const n = 1 + ((k * 7919) % 300);
      const m = 1 + ((k * 104729) % n);
      verifyConsistency(m, n, roots[m - 1]!, roots[n - 1]!, consistencyProof(m, n, src));
      const i = (k * 31) % n;
      verifyInclusion(i, n, leaves[i]!, inclusionProof(i, n, src), roots[n - 1]!);
    }
  });
});
