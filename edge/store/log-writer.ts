/**
 * LogWriter: appends streams of evidence-log entries on two threads. The caller's thread
 * canonicalises (RFC 8785) and leaf-hashes each batch and lays entries and hashes out in two
 * transferred buffers; a worker thread with its own connection to the same database
 * (log-writer-worker.ts) stores the entries, extends the tree and signs one checkpoint per batch in a
 * single transaction (WAL, synchronous=FULL), and only then resolves the batch's promise. Batches
 * commit in the order they were given.
 *
 * Use it for bulk work (importing a meter's whole archive history, loading an export, the log
 * benchmark). The gateway's per-record path stays `EvidenceLog.append` inside the caller's
 * transaction, so a reading and its entry commit together; both write the same tables the same way.
 * Only one writer may append to a log at a time (the contiguity trigger refuses the other).
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyObject } from 'node:crypto';
import { GkhError } from '../errors.js';
import { CanonicalEntry, HASH_SIZE } from '../log/index.js';
import { leafHashOfPrefixed } from '../log/hash.js';
import type { StoredCheckpoint } from './evidence.js';

/** workerData of the writer thread. */
export interface WriterInit {
  file: string;
  gatewayId: string;
  privateKey: KeyObject;
  previousVkeys?: string[];
  trustLeafHashes?: boolean;
}

/** One batch: canonical entry bytes back to back, entry i at [offsets[i], offsets[i + 1]). */
export interface WriterBatch {
  id: number;
  buffer: ArrayBuffer;
  offsets: Uint32Array;
  /** RFC 6962 leaf hashes of the entries, 32 bytes each, computed by the caller's thread. */
  leaves: ArrayBuffer;
}

export interface WriterReply {
  id: number;
  ready?: { size: number; root: string };
  done?: { first: number; size: number; root: string; note: string; createdAt: number };
  error?: { code: string; message: string; context: Record<string, unknown> };
  closed?: true;
}

export interface LogWriterOptions {
  /** The gateway database file (created and migrated if missing). */
  file: string;
  gatewayId: string;
  privateKey: KeyObject;
  previousVkeys?: string[];
  /** Batches handed to the thread and not yet committed before `drain()` waits. Default 3. */
  maxInFlight?: number;
  /** Skip recomputing stored leaf hashes when the thread opens the log. Default false. */
  trustLeafHashes?: boolean;
}

/** A committed batch: its first index, the new size and the checkpoint signed over it. */
export interface AppendedBatch {
  first: number;
  size: number;
  checkpoint: StoredCheckpoint;
}

interface Pending {
  resolve: (b: AppendedBatch) => void;
  reject: (e: Error) => void;
}

/** The compiled worker next to this module (dist/edge/store), also when this runs from TypeScript sources under vitest. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(dirname(here), 'log-writer-worker.js');
  if (existsSync(sibling)) return sibling;
  const fromDist = join(dirname(here), '..', '..', 'dist', 'edge', 'store', 'log-writer-worker.js');
  if (existsSync(fromDist)) return fromDist;
  throw new GkhError('LOG_STATE', `log writer thread not found (${sibling}); run \`npm run build\` / запустите сборку`);
}

export class LogWriter {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: (() => void)[] = [];
  private failure: Error | undefined;
  private committed: number;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    size: number,
    private readonly maxInFlight: number,
  ) {
    this.committed = size;
    worker.on('message', (m: WriterReply) => this.onReply(m));
    worker.on('error', (e) => this.fail(new GkhError('LOG_STATE', `log writer thread failed: ${e.message}`, {}, { cause: e })));
    worker.on('exit', (code) => {
      if (!this.closing || this.pending.size > 0) this.fail(new GkhError('LOG_STATE', `log writer thread exited (code ${code}) with ${this.pending.size} batch(es) not confirmed`, { code }));
    });
  }

  /** Starts the thread, which opens (rebuilds and re-verifies) the log; resolves when it is ready. */
  static open(opts: LogWriterOptions): Promise<LogWriter> {
    const init: WriterInit = {
      file: opts.file,
      gatewayId: opts.gatewayId,
      privateKey: opts.privateKey,
      ...(opts.previousVkeys ? { previousVkeys: opts.previousVkeys } : {}),
      ...(opts.trustLeafHashes ? { trustLeafHashes: true } : {}),
    };
    const worker = new Worker(workerFile(), { workerData: init });
    return new Promise((resolve, reject) => {
      const onExit = (code: number): void => reject(new GkhError('LOG_STATE', `log writer thread exited (code ${code}) before it was ready`, { code }));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (m: WriterReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (m.error) {
          void worker.terminate();
          reject(new GkhError(m.error.code, m.error.message, m.error.context));
          return;
        }
        resolve(new LogWriter(worker, m.ready!.size, Math.max(1, opts.maxInFlight ?? 3)));
      });
    });
  }

  /** Entries committed so far (the size of the last confirmed checkpoint). */
  get size(): number {
    return this.committed;
  }

  /** Batches handed over and not yet committed. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Canonicalises `entries` now (later changes to the objects do not matter) and hands them to the
   * thread as one batch. Resolves once the batch and its signed checkpoint are committed; rejects
   * (and so does every later batch: nothing is reordered) if the thread refuses it.
   */
  append(entries: readonly (object | CanonicalEntry)[]): Promise<AppendedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new GkhError('LOG_STATE', 'log writer is closed'));
    if (entries.length === 0) return Promise.reject(new GkhError('LOG_STATE', 'log writer: an empty batch'));
    let canon: CanonicalEntry[];
    try {
      canon = entries.map((e) => (e instanceof CanonicalEntry ? e : CanonicalEntry.of(e)));
    } catch (e) {
      return Promise.reject(e as Error);
    }
    let total = 0;
    for (const c of canon) total += c.prefixed.length - 1;
    const buf = Buffer.allocUnsafeSlow(total);
    const offsets = new Uint32Array(canon.length + 1);
    // Leaf hashes here, not in the thread: the two threads then carry about equal work (this one
    // canonicalises and hashes, the other stores, extends the tree and signs).
    const leaves = Buffer.allocUnsafeSlow(HASH_SIZE * canon.length);
    let off = 0;
    for (let i = 0; i < canon.length; i++) {
      const c = canon[i]!;
      offsets[i] = off;
      c.prefixed.copy(buf, off, 1); // the entry without its 0x00 prefix, no view allocated
      off += c.prefixed.length - 1;
      leaves.set(leafHashOfPrefixed(c.prefixed), HASH_SIZE * i);
    }
    offsets[canon.length] = off;
    const id = this.nextId++;
    const batch: WriterBatch = { id, buffer: buf.buffer as ArrayBuffer, offsets, leaves: leaves.buffer as ArrayBuffer };
    return new Promise<AppendedBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(batch, [batch.buffer, offsets.buffer as ArrayBuffer, batch.leaves]);
    });
  }

  /** Resolves when fewer than `maxInFlight` batches are in flight (back-pressure for producers). */
  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending.size < this.maxInFlight) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when every batch handed over so far is committed (rejects with the first failure). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  /** Waits for every batch to commit, then closes the thread's database connection and the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.flush();
      } finally {
        const id = this.nextId++;
        await new Promise<void>((resolve) => {
          const done = (): void => resolve();
          this.worker.once('exit', done);
          this.worker.postMessage({ id, close: true });
          setTimeout(() => void this.worker.terminate(), 5000).unref();
        });
      }
    })();
    return this.closing;
  }

  private onReply(m: WriterReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error) {
      const err = new GkhError(m.error.code, m.error.message, m.error.context);
      p.reject(err);
      this.fail(err);
    } else if (m.done) {
      this.committed = m.done.size;
      p.resolve({ first: m.done.first, size: m.done.size, checkpoint: { size: m.done.size, root: Buffer.from(m.done.root, 'hex'), note: m.done.note, createdAt: m.done.createdAt } });
    }
    this.wake();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const [, p] of this.pending) p.reject(this.failure);
    this.pending.clear();
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
