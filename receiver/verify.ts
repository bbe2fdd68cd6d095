/**
 * `receiver verify`: re-checks a receiver's whole store. For each gateway database, every entry's leaf
 * hash is recomputed, the tree is rebuilt and each stored checkpoint's root and signature (with the
 * registry key) is checked. Names the first bad index or checkpoint.
 */
import { hashEqual, leafHash } from '../edge/log/hash.js';
import { MerkleTree } from '../edge/log/tree.js';
import { verifyCheckpointNote } from '../edge/sync/cosign.js';
import type { ReceiverConfig } from './config.js';
import { storedGateways } from './export.js';
import { openGatewayDb } from './store.js';

export interface GatewayVerdict {
  gateway: string;
  entries: number;
  checkpoints: number;
  ok: boolean;
  /** First problem found (English), with index when it is an entry. */
  problem?: string;
  badIndex?: number;
}

/** Verifies every gateway database under the receiver's dataDir. */
export function verifyStore(cfg: ReceiverConfig): GatewayVerdict[] {
  const keys = new Map(cfg.gateways.map((g) => [g.id, g.vkey]));
  return storedGateways(cfg).map((gw) => {
    const db = openGatewayDb(cfg.dataDir, gw);
    try {
      const v: GatewayVerdict = { gateway: gw, entries: 0, checkpoints: 0, ok: true };
      const vkey = keys.get(gw);
      if (vkey === undefined) return { ...v, ok: false, problem: `gateway ${gw} is not in the registry: its checkpoints cannot be checked` };
      const cps = db.prepare('SELECT size, root, note FROM checkpoints ORDER BY size').all() as { size: number; root: Buffer; note: string }[];
      const tree = new MerkleTree();
      let ci = 0;
      const checkAt = (): string | undefined => {
        while (ci < cps.length && cps[ci]!.size === tree.size) {
          const c = cps[ci++]!;
          v.checkpoints++;
          const root = tree.root();
          if (!hashEqual(root, c.root)) return `checkpoint ${c.size}: stored root ${c.root.toString('hex')}, entries give ${root.toString('hex')}`;
          try {
            const p = verifyCheckpointNote(vkey, c.note);
            if (p.size !== c.size || !hashEqual(p.root, c.root)) return `checkpoint ${c.size}: the signed note says size ${p.size} root ${p.root.toString('hex')}`;
          } catch (e) {
            return `checkpoint ${c.size}: ${(e as Error).message}`;
          }
        }
        return undefined;
      };
      let expect = 0;
      for (const r of db.prepare('SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx').iterate() as IterableIterator<{ idx: number; entry: Buffer; leaf_hash: Buffer }>) {
        const p0 = checkAt();
        if (p0) return { ...v, ok: false, problem: p0 };
        if (r.idx !== expect) return { ...v, ok: false, problem: `index ${expect} missing`, badIndex: expect };
        const h = leafHash(r.entry);
        if (!hashEqual(h, r.leaf_hash)) return { ...v, ok: false, problem: `entry ${r.idx}: stored leaf hash ${r.leaf_hash.toString('hex')}, entry hashes to ${h.toString('hex')}`, badIndex: r.idx };
        tree.append(h);
        v.entries++;
        expect++;
      }
      const p1 = checkAt();
      if (p1) return { ...v, ok: false, problem: p1 };
      if (ci < cps.length) return { ...v, ok: false, problem: `checkpoint ${cps[ci]!.size} is beyond the ${tree.size} entries held` };
      return v;
    } finally {
      db.close();
    }
  });
}
