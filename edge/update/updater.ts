/**
 * The updater: verify → unpack → switch → restart → health gate → keep or roll back.
 *
 * Layout under the root (default /data/opengkh/app; the gateway's data dir lives elsewhere and is
 * never opened here):
 *   releases/<version>/     unpacked releases (at most three kept: current + two before it)
 *   releases/.staging-*     a release being unpacked (removed by recovery if a run died)
 *   current -> releases/<v> the release the service runs; switched by rename(2) of a new symlink
 *   update-state.json       journal: phase, target, previous, history, last failure
 *   update.lock             pid of the running updater
 *
 * Crash safety: each step is journalled before it is taken; `recover()` (run at the start of every
 * update and by `opengkh update --recover`) looks at the journal and the actual `current` link and
 * returns to the last release that passed its health gate.
 */
import type { KeyObject } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { GkhError } from '../errors.js';
import { inside, openBundle, verifyBundle, walkAgainstManifest, type Platform } from './bundle.js';
import { waitHealthy } from './health.js';
import { compareVersions, isVersion } from './manifest.js';
import type { ServiceController } from './service.js';

/** Journal phases, in the order a run passes them. */
export type UpdatePhase = 'idle' | 'unpacking' | 'unpacked' | 'switched' | 'rolling-back';

/** `update-state.json`. */
export interface UpdateState {
  phase: UpdatePhase;
  /** Version being installed (phase ≠ idle). */
  target?: string;
  /** Version `current` pointed to before this run (null on a first install). */
  previous?: string | null;
  /** Versions that passed their health gate, oldest first. */
  history: string[];
  lastFailure?: { version: string; reason: string; at: string };
}

/** Options of `applyUpdate` / `recover`. */
export interface UpdateOptions {
  root: string;
  service: ServiceController;
  /** URL of the gateway's health endpoint, e.g. http://127.0.0.1:8080/healthz. */
  healthUrl: string;
  /** Seconds allowed for READY=1 plus /healthz 200 after a restart (default 90). */
  healthTimeoutS?: number;
  /**
   * Seconds the new process must then stay up and healthy (same main PID, /healthz 200 every
   * 0.5 s) before the update counts (default 15): catches a release that dies on its first poll.
   */
  settleS?: number;
  log?: (line: string) => void;
}

/** Outcome of one update run. */
export type UpdateOutcome =
  | { status: 'updated'; version: string; previous: string | null; removed: string[] }
  | { status: 'unchanged'; version: string }
  | { status: 'rolled-back'; version: string; previous: string | null; reason: string };

/** How many releases stay on disk (current + two to roll back to). */
export const KEEP_RELEASES = 3;

const releasesDir = (root: string) => join(root, 'releases');
const stateFile = (root: string) => join(root, 'update-state.json');

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads the journal (an absent file is an idle state with empty history). */
export function readState(root: string): UpdateState {
  try {
    return JSON.parse(readFileSync(stateFile(root), 'utf8')) as UpdateState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { phase: 'idle', history: [] };
    throw new GkhError(
      'UPDATE_STATE',
      `cannot read ${stateFile(root)}: ${(e as Error).message}`,
      { file: stateFile(root) },
      { cause: e },
    );
  }
}

/** Writes the journal atomically (temp file, fsync, rename, fsync dir). */
export function writeState(root: string, s: UpdateState): void {
  const tmp = `${stateFile(root)}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, `${JSON.stringify(s, null, 1)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, stateFile(root));
  fsyncDir(root);
}

/** Version `current` points to, or null when there is no `current` link. */
export function currentVersion(root: string): string | null {
  let t: string;
  try {
    t = readlinkSync(join(root, 'current'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const m = /^releases\/([^/]+)$/.exec(t);
  if (!m || !isVersion(m[1]!))
    throw new GkhError(
      'UPDATE_STATE',
      `${join(root, 'current')} points to "${t}", expected releases/<version>`,
      { target: t },
    );
  return m[1]!;
}

/**
 * Points the link `name` (`current`, or `last-good`: the last release that passed its gate, whose
 * code the unit's ExecStartPre recovery runs) at releases/<version> atomically: a new symlink
 * renamed over the old one.
 */
export function switchCurrent(
  root: string,
  version: string,
  name: 'current' | 'last-good' = 'current',
): void {
  const tmp = join(root, `.current.tmp-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(`releases/${version}`, tmp);
  renameSync(tmp, join(root, name)); // rename(2) replaces the old link atomically
  fsyncDir(root);
}

/** Test hook: `OPENGKH_UPDATE_CRASH_AT=<point>` kills the updater with SIGKILL at that point. */
function crashPoint(point: string): void {
  if (process.env.OPENGKH_UPDATE_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

/** This boot's id (Linux), so a lock left before a reboot is never mistaken for a live one. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function lock(root: string): () => void {
  const file = join(root, 'update.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid} ${bootId()}\n`, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pidText, boot] = readFileSync(file, 'utf8').trim().split(' ');
      const pid = Number(pidText);
      let alive = false;
      try {
        if (Number.isInteger(pid) && pid > 0 && boot === bootId()) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch {
        alive = false;
      }
      if (alive)
        throw new GkhError(
          'UPDATE_LOCKED',
          `another update (pid ${pid}) is running / обновление уже выполняется`,
          { pid, file },
        );
      unlinkSync(file); // the holder died (power cut, kill -9) or the box rebooted: take over
    }
  }
  throw new GkhError('UPDATE_LOCKED', `cannot take ${file}`, { file });
}

/** Restarts the service and runs the health gate; returns null when healthy, else the reason. */
async function gate(o: UpdateOptions, version: string): Promise<string | null> {
  const s = o.healthTimeoutS ?? 90;
  const deadline = Date.now() + s * 1000;
  o.log?.(`restarting ${o.service.name}; health gate ${s} s (READY=1, then ${o.healthUrl} → 200)`);
  await o.service.restart();
  if (!(await o.service.waitReady(deadline)))
    return `no READY=1 from ${version} within ${s} s / нет сигнала готовности`;
  const h = await waitHealthy(o.healthUrl, version, deadline);
  if (!h.ok)
    return `${o.healthUrl} not healthy within ${s} s (last: ${h.last}) / проверка здоровья не пройдена`;
  const settle = o.settleS ?? 15;
  const until = Date.now() + settle * 1000;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    if (!(await o.service.stillUp()))
      return `${version} was ready, then stopped within the ${settle} s settle time / служба остановилась после запуска`;
    const again = await waitHealthy(o.healthUrl, version, Date.now() + 2000);
    if (!again.ok)
      return `${version} was ready, then ${o.healthUrl} failed within the ${settle} s settle time (last: ${again.last}) / проверка здоровья не пройдена`;
  }
  return null;
}

function removeRelease(root: string, v: string): void {
  if (!isVersion(v) || v === currentVersion(root)) return;
  rmSync(join(releasesDir(root), v), { recursive: true, force: true });
}

function cleanLeftovers(root: string): void {
  if (!existsSync(releasesDir(root))) return;
  for (const n of readdirSync(releasesDir(root)))
    if (n.startsWith('.staging-') || n.startsWith('.trash-'))
      rmSync(join(releasesDir(root), n), { recursive: true, force: true });
  for (const n of readdirSync(root))
    if (n.startsWith('.current.tmp-') || n.startsWith('update-state.json.tmp-'))
      rmSync(join(root, n), { force: true });
}

/** Keeps `current` and the most recent other releases (KEEP_RELEASES in all); returns removed versions. */
export function pruneReleases(root: string, history: string[]): string[] {
  const cur = currentVersion(root);
  const present = readdirSync(releasesDir(root)).filter(isVersion);
  const byRecency = [...new Set([...history].reverse())].filter((v) => present.includes(v) && v !== cur);
  const rest = present
    .filter((v) => !byRecency.includes(v) && v !== cur)
    .sort((a, b) => compareVersions(b, a));
  const keep = new Set([...(cur ? [cur] : []), ...byRecency, ...rest].slice(0, KEEP_RELEASES));
  const removed = present.filter((v) => !keep.has(v));
  for (const v of removed) removeRelease(root, v);
  return removed;
}

async function rollBack(
  o: UpdateOptions,
  st: UpdateState,
  target: string,
  previous: string | null,
  reason: string,
): Promise<UpdateOutcome> {
  const { root } = o;
  writeState(root, { ...st, phase: 'rolling-back', target, previous });
  if (previous === null) {
    rmSync(join(root, 'current'), { force: true });
    fsyncDir(root);
    removeRelease(root, target);
    writeState(root, {
      phase: 'idle',
      history: st.history,
      lastFailure: { version: target, reason, at: new Date().toISOString() },
    });
    return {
      status: 'rolled-back',
      version: target,
      previous,
      reason: `${reason}; no previous release to return to`,
    };
  }
  o.log?.(`rolling back to ${previous}: ${reason}`);
  switchCurrent(root, previous);
  const again = await gate(o, previous);
  if (again !== null) {
    writeState(root, {
      ...st,
      phase: 'rolling-back',
      target,
      previous,
      lastFailure: { version: target, reason, at: new Date().toISOString() },
    });
    throw new GkhError(
      'UPDATE_ROLLBACK_FAILED',
      `rolled back to ${previous}, but it is not healthy either: ${again} / откат выполнен, но служба не здорова`,
      { target, previous, reason, again },
    );
  }
  switchCurrent(root, previous, 'last-good');
  removeRelease(root, target);
  writeState(root, {
    phase: 'idle',
    history: st.history,
    lastFailure: { version: target, reason, at: new Date().toISOString() },
  });
  return { status: 'rolled-back', version: target, previous, reason };
}

/**
 * Finishes or undoes an interrupted run (see the module comment). Returns what it did, or null when
 * the journal was idle. Takes no lock: callers hold it.
 */
async function recoverLocked(o: UpdateOptions): Promise<UpdateOutcome | null> {
  const { root } = o;
  mkdirSync(releasesDir(root), { recursive: true });
  cleanLeftovers(root);
  const st = readState(root);
  if (st.phase === 'idle' || st.target === undefined) return null;
  const target = st.target;
  const previous = st.previous ?? null;
  const cur = currentVersion(root);
  o.log?.(`recovering an interrupted update to ${target} (phase ${st.phase}, current ${cur ?? 'none'})`);
  if (cur === target) return rollBack(o, st, target, previous, `update interrupted in phase ${st.phase}`);
  if (st.phase === 'switched' || st.phase === 'rolling-back') {
    // `current` is back on previous, but the service may still run the target's code.
    return rollBack(o, st, target, previous, `update interrupted in phase ${st.phase}`);
  }
  // unpacking / unpacked: the service was never touched; drop the half-installed release.
  removeRelease(root, target);
  writeState(root, {
    phase: 'idle',
    history: st.history,
    lastFailure: {
      version: target,
      reason: `update interrupted in phase ${st.phase}`,
      at: new Date().toISOString(),
    },
  });
  return {
    status: 'rolled-back',
    version: target,
    previous: cur,
    reason: `update interrupted in phase ${st.phase}; the running release was not touched`,
  };
}

/**
 * Recovery without touching the service, for `ExecStartPre=` of the unit (`opengkh update --recover
 * --offline`): when a run died after switching `current` to a release that never passed its gate
 * (e.g. a power cut during the gate), point `current` back at the previous release before systemd
 * starts it. Does nothing while another update holds the lock (its own restarts run this too).
 */
export function recoverOffline(root: string, log?: (s: string) => void): UpdateOutcome | null {
  if (!existsSync(join(root, 'releases'))) return null;
  let unlock: () => void;
  try {
    unlock = lock(root);
  } catch (e) {
    if (e instanceof GkhError && e.code === 'UPDATE_LOCKED') {
      log?.('an update is in progress; nothing to recover offline');
      return null;
    }
    throw e;
  }
  try {
    cleanLeftovers(root);
    const st = readState(root);
    if (st.phase === 'idle' || st.target === undefined) return null;
    const target = st.target;
    const previous = st.previous ?? null;
    const reason = `update interrupted in phase ${st.phase} (recovered before service start)`;
    if (currentVersion(root) === target && previous !== null) {
      switchCurrent(root, previous);
      log?.(`current → releases/${previous} (${target} never passed its health gate)`);
    }
    if (currentVersion(root) !== target) removeRelease(root, target);
    writeState(root, {
      phase: 'idle',
      history: st.history,
      lastFailure: { version: target, reason, at: new Date().toISOString() },
    });
    return { status: 'rolled-back', version: target, previous, reason };
  } finally {
    unlock();
  }
}

/** `opengkh update --recover`: take the lock and finish or undo an interrupted run. */
export async function recover(o: UpdateOptions): Promise<UpdateOutcome | null> {
  mkdirSync(o.root, { recursive: true });
  const unlock = lock(o.root);
  try {
    return await recoverLocked(o);
  } finally {
    unlock();
  }
}

/**
 * Installs a signed bundle: verifies signature, manifest, platform and every file before writing
 * anything; refuses a downgrade unless `force`; unpacks to releases/<version>; switches `current`;
 * restarts; health gate; rolls back on failure; keeps KEEP_RELEASES releases.
 */
export async function applyUpdate(
  o: UpdateOptions & { bundle: string; trusted: KeyObject[]; force?: boolean; platform?: Platform },
): Promise<UpdateOutcome> {
  const { root } = o;
  mkdirSync(root, { recursive: true });
  const unlock = lock(root);
  // Releases must be readable by the service user whatever root's umask is (e.g. 077 on hardened hosts).
  const umask = process.umask(0o022);
  try {
    const recovered = await recoverLocked(o);
    if (recovered)
      o.log?.(
        `recovery: ${recovered.status} ${recovered.version}: ${'reason' in recovered ? recovered.reason : ''}`,
      );

    // 1. Verify everything before unpacking anything.
    const b = openBundle(o.bundle);
    const m = await verifyBundle(b, o.trusted, o.platform);
    const v = m.version;
    const cur = currentVersion(root);
    o.log?.(
      `bundle ${m.name} ${v} for ${m.platform.os}-${m.platform.cpu}: signature, payload and ${m.files.length} files verified; current ${cur ?? 'none'}`,
    );
    if (cur !== null) {
      const c = compareVersions(v, cur);
      if (c === 0) return { status: 'unchanged', version: v };
      if (c < 0 && !o.force)
        throw new GkhError(
          'UPDATE_DOWNGRADE',
          `bundle ${v} is older than the running ${cur}; use --force to downgrade / версия ниже текущей, используйте --force`,
          { expected: `> ${cur}`, got: v },
        );
    }

    // 2. Unpack into a staging directory, re-checking every entry while writing.
    let st = readState(root);
    writeState(root, { ...st, phase: 'unpacking', target: v, previous: cur });
    const staging = join(releasesDir(root), `.staging-${v}-${process.pid}`);
    mkdirSync(staging, { mode: 0o755 });
    await walkAgainstManifest(b, m, (e) => {
      const p = inside(staging, e.path);
      if (e.type === 'dir') mkdirSync(p, { recursive: true, mode: 0o755 });
      else {
        mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
        if (e.type === 'symlink') symlinkSync(e.linkname!, p);
        else writeFileSync(p, e.data, { mode: e.mode, flag: 'wx' }); // wx: never write through an existing path
      }
    });
    // syncfs(2) on the release's file system: one flush instead of an fsync per file (thousands in node_modules).
    spawnSync('sync', ['-f', staging]);
    const final = join(releasesDir(root), v);
    if (existsSync(final)) renameSync(final, join(releasesDir(root), `.trash-${v}-${process.pid}`));
    renameSync(staging, final);
    fsyncDir(releasesDir(root));
    cleanLeftovers(root);
    st = readState(root);
    writeState(root, { ...st, phase: 'unpacked' });
    crashPoint('after-unpack');

    // 3. Switch, restart, gate.
    writeState(root, { ...st, phase: 'switched' });
    switchCurrent(root, v);
    o.log?.(`current → releases/${v}`);
    crashPoint('after-switch');
    const failed = await gate(o, v);
    if (failed !== null) return await rollBack(o, { ...st, phase: 'switched' }, v, cur, failed);

    const history = [...st.history.filter((x) => x !== v), v];
    switchCurrent(root, v, 'last-good');
    const removed = pruneReleases(root, history);
    writeState(root, {
      phase: 'idle',
      history: history.slice(-10),
      ...(st.lastFailure ? { lastFailure: st.lastFailure } : {}),
    });
    return { status: 'updated', version: v, previous: cur, removed };
  } finally {
    process.umask(umask);
    unlock();
  }
}
