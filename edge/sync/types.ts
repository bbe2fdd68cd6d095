/** What a sync worker needs from the gateway's evidence log (adapted from edge/store EvidenceLog in log-source.ts). */
import type { WireCheckpoint } from './protocol.js';

export interface SyncLog {
  /** Size of the newest signed checkpoint: entries beyond it wait for the next checkpoint. */
  checkpointedSize(): number;
  /** Canonical JSON texts of entries [from, to). */
  entries(from: number, to: number): string[];
  /**
   * The checkpoint a batch starting at `from` should end with: the largest one with size in
   * (from, maxTo]; when there is none, one made for `maxTo` if the log can sign one, else the smallest
   * one above `from` (the batch then exceeds its limits). Undefined when no checkpoint lies above `from`.
   */
  checkpointFor(from: number, maxTo: number): WireCheckpoint | undefined;
  /** Every checkpoint with size in (from, to], ascending. */
  checkpointsIn(from: number, to: number): WireCheckpoint[];
  /** The gateway's stored checkpoint of exactly `size`, if any. */
  checkpointAt(size: number): WireCheckpoint | undefined;
  /** Entry type of the entry at `idx` (`hourly`, `cosignature`, …). */
  entryType(idx: number): string;
  /**
   * Appends a destination's receipt (entry type `cosignature`) and signs a checkpoint covering it.
   * Returns its index.
   */
  appendReceipt(r: Receipt): number;
}

/** A destination's verified receipt, as the gateway logs it. */
export interface Receipt {
  destination: string;
  role: string;
  /** Log size the receiver acknowledged. */
  size: number;
  /** The checkpoint body (C2SP tlog-checkpoint text) the cosignature is over. */
  checkpoint: string;
  /** The C2SP tlog-cosignature line. */
  cosignature: string;
  /** Receiver's verifier key (note form). */
  vkey: string;
  /** Cosignature timestamp, unix seconds. */
  timestamp: number;
}
