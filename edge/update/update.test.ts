/**
 * The updater against real processes in a temp root: a Supervisor plays systemd (notify socket,
 * restart), test releases are tiny Node services that do or do not become healthy, and the CLI runs
 * as a child process where a crash has to be real (SIGKILL at a journalled point).
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { rawPublicKey } from '../keys/index.js';
import { freePort } from '../testing.js';
import { createBundle } from './bundle.js';
import { writeFixtureRelease, type FixtureMode } from './fixture.js';
import { sha256, signManifest } from './manifest.js';
import { Supervisor } from './supervisor.js';
import { SupervisorController } from './service.js';
import { readTar, writeTar, type TarEntry } from './tar.js';
import { applyUpdate, currentVersion, readState, recover } from './updater.js';

const repo = new URL('../../', import.meta.url).pathname;
const bin = join(repo, 'bin/opengkh.js');

interface World {
  dir: string;
  root: string;
  data: string;
  bundles: string;
  keyFile: string;
  key: KeyObject;
  pub: KeyObject;
  port: number;
  control: string;
  sup: Supervisor;
  log: string[];
}

let w: World;

async function makeWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'gkh-update-'));
  const root = join(dir, 'app');
  const data = join(dir, 'data');
  mkdirSync(join(data, 'keys'), { recursive: true });
  writeFileSync(join(data, 'gateway.db'), 'sqlite stand-in: the updater must never touch this\n');
  writeFileSync(join(data, 'keys', 'gateway.key'), 'secret\n', { mode: 0o600 });
  const bundles = join(dir, 'bundles');
  mkdirSync(bundles);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = join(dir, 'operator.pub');
  writeFileSync(keyFile, rawPublicKey(publicKey).toString('base64'));
  const port = await freePort();
  const log: string[] = [];
  const control = join(dir, 'control.sock');
  const sup = new Supervisor({
    root,
    args: ['run'],
    env: { HEALTH_PORT: String(port) },
    control,
    notify: join(dir, 'notify.sock'),
    onOutput: (l) => log.push(l),
  });
  mkdirSync(root);
  await sup.start();
  return { dir, root, data, bundles, keyFile, key: privateKey, pub: publicKey, port, control, sup, log };
}

function bundle(version: string, mode: FixtureMode = 'good', key: KeyObject = w.key): string {
  const tree = join(w.dir, `tree-${version}-${mode}`);
  rmSync(tree, { recursive: true, force: true });
  writeFixtureRelease(tree, version, mode);
  mkdirSync(join(tree, 'dist', 'empty', 'nested'), { recursive: true }); // left out of the bundle
  const out = join(w.bundles, `opengkh-${version}-${mode}.gkhb`);
  createBundle({
    tree,
    version,
    platform: { os: process.platform, cpu: process.arch },
    privateKey: key,
    out,
  });
  return out;
}

function opts(healthTimeoutS = 15, settleS = 0.5) {
  return {
    root: w.root,
    service: new SupervisorController(w.control),
    healthUrl: `http://127.0.0.1:${w.port}/healthz`,
    healthTimeoutS,
    settleS,
    log: (s: string) => w.log.push(s),
  };
}

function install(file: string, extra: { force?: boolean; healthTimeoutS?: number; settleS?: number } = {}) {
  return applyUpdate({
    ...opts(extra.healthTimeoutS, extra.settleS),
    bundle: file,
    trusted: [w.pub],
    ...(extra.force !== undefined ? { force: extra.force } : {}),
  });
}

function healthz(): Promise<{ status: number; body: { version?: string } }> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${w.port}/healthz`, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(b) as { version?: string } }),
      );
    }).on('error', reject);
  });
}

/** Every path under dir with its content hash (files), link target (symlinks) or mode (dirs). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      if (n.isSymbolicLink()) out[p] = `-> ${readlinkSync(p)}`;
      else if (n.isDirectory()) walk(p);
      else out[p] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

/** Runs the CLI asynchronously (the Supervisor in this process must keep answering meanwhile). */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, out, err });
    });
  });
}

function cliUpdate(file: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return cli(
    [
      'update',
      file,
      '--root',
      w.root,
      '--trusted-key',
      w.keyFile,
      '--service',
      `supervisor:${w.control}`,
      '--health-url',
      `http://127.0.0.1:${w.port}/healthz`,
      '--health-timeout',
      '15',
      '--settle',
      '0',
      ...extra,
    ],
    env,
  );
}

/** Rewrites members of a bundle (outer tar) through `edit`. */
async function rewriteBundle(src: string, dst: string, edit: (e: TarEntry) => TarEntry): Promise<void> {
  const entries: TarEntry[] = [];
  for await (const e of readTar([readFileSync(src)])) entries.push(edit(e));
  writeFileSync(dst, writeTar(entries));
}

async function expectRefused(file: string, code: string): Promise<void> {
  const before = { app: snapshot(w.root), data: snapshot(w.data), status: w.sup.status() };
  const err = await install(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isGkhError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  expect(snapshot(w.root)).toEqual(before.app); // nothing unpacked, no staging dir, journal untouched
  expect(snapshot(w.data)).toEqual(before.data);
  expect(w.sup.status()).toEqual(before.status); // never restarted
}

beforeEach(async () => {
  w = await makeWorld();
});

afterEach(async () => {
  await w.sup.stop();
  rmSync(w.dir, { recursive: true, force: true });
});

describe('updater', () => {
  it('a good update switches: first install, three updates, keeps three releases, never touches data', async () => {
    const data0 = snapshot(w.data);
    const first = await install(bundle('1.0.0'));
    expect(first).toMatchObject({ status: 'updated', version: '1.0.0', previous: null });
    expect((await healthz()).body.version).toBe('1.0.0');
    for (const v of ['1.1.0', '1.2.0', '2.0.0-rc.1']) {
      const pidBefore = w.sup.status().pid;
      const r = await install(bundle(v));
      expect(r.status).toBe('updated');
      expect(currentVersion(w.root)).toBe(v);
      expect(readlinkSync(join(w.root, 'current'))).toBe(`releases/${v}`);
      const st = w.sup.status();
      expect(st.ready).toBe(true);
      expect(st.pid).not.toBe(pidBefore);
      expect(st.release).toBe(join(w.root, 'releases', v));
      expect(await healthz()).toMatchObject({ status: 200, body: { version: v } });
    }
    expect(readdirSync(join(w.root, 'releases')).sort()).toEqual(['1.1.0', '1.2.0', '2.0.0-rc.1']);
    expect(readState(w.root)).toMatchObject({
      phase: 'idle',
      history: ['1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1'],
    });
    // Unpacked files match the release tree: symlink kept relative, executable bit kept.
    const rel = join(w.root, 'releases', '2.0.0-rc.1');
    expect(readlinkSync(join(rel, 'node_modules/.bin/tool'))).toBe('../fixture-dep/bin/tool.js');
    expect(statSync(join(rel, 'bin/opengkh.js')).mode & 0o777).toBe(0o755);
    expect(statSync(join(rel, 'package.json')).mode & 0o777).toBe(0o644);
    expect(existsSync(join(rel, 'dist/empty'))).toBe(false);
    expect(snapshot(w.data)).toEqual(data0);
  });

  it.each<[FixtureMode, RegExp, number]>([
    ['unhealthy', /not healthy within 4 s \(last: HTTP 503\)/, 0.5],
    ['no-ready', /no READY=1 from 1\.1\.0 within 4 s/, 0.5],
    ['crash', /no READY=1 from 1\.1\.0/, 0.5],
    ['dies-later', /1\.1\.0 was ready, then stopped within the 3 s settle time/, 3],
  ])(
    'a release that fails its health gate (%s) is rolled back and removed',
    async (mode, reason, settleS) => {
      await install(bundle('1.0.0'));
      const data0 = snapshot(w.data);
      const t0 = Date.now();
      const r = await install(bundle('1.1.0', mode), { healthTimeoutS: 4, settleS });
      expect(r.status).toBe('rolled-back');
      if (r.status !== 'rolled-back') return;
      expect(r.reason).toMatch(reason);
      expect(r.previous).toBe('1.0.0');
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(currentVersion(w.root)).toBe('1.0.0');
      expect(w.sup.status()).toMatchObject({ ready: true, release: join(w.root, 'releases', '1.0.0') });
      expect(await healthz()).toMatchObject({ status: 200, body: { version: '1.0.0' } });
      expect(readdirSync(join(w.root, 'releases'))).toEqual(['1.0.0']);
      expect(readState(w.root)).toMatchObject({
        phase: 'idle',
        history: ['1.0.0'],
        lastFailure: { version: '1.1.0' },
      });
      expect(snapshot(w.data)).toEqual(data0);
      // The next good update goes through normally.
      expect((await install(bundle('1.1.1'))).status).toBe('updated');
    },
  );

  it('refuses a bundle signed by an untrusted key, a broken signature or an edited manifest before unpacking', async () => {
    await install(bundle('1.0.0'));
    const other = generateKeyPairSync('ed25519').privateKey;
    await expectRefused(bundle('1.1.0', 'good', other), 'UPDATE_SIGNATURE');

    const good = bundle('1.2.0');
    const flipped = join(w.bundles, 'flipped.gkhb');
    await rewriteBundle(good, flipped, (e) => {
      if (e.path !== 'manifest.sig') return e;
      const s = JSON.parse(e.data.toString()) as { sig: string };
      const sig = Buffer.from(s.sig, 'base64');
      sig[10] = sig[10]! ^ 0x01;
      return { ...e, data: Buffer.from(JSON.stringify({ ...s, sig: sig.toString('base64') })) };
    });
    await expectRefused(flipped, 'UPDATE_SIGNATURE');

    const edited = join(w.bundles, 'edited.gkhb');
    await rewriteBundle(good, edited, (e) =>
      e.path === 'manifest.json'
        ? { ...e, data: Buffer.from(e.data.toString().replace('"1.2.0"', '"9.9.9"')) }
        : e,
    );
    await expectRefused(edited, 'UPDATE_SIGNATURE');
    expect((await install(good)).status).toBe('updated'); // the untouched bundle still installs
  });

  it('refuses a bundle with a changed file before unpacking (payload hash, and per-file hash under a valid signature)', async () => {
    await install(bundle('1.0.0'));
    const good = bundle('1.1.0');
    const changeFile = (payload: Buffer) => {
      const tar = gunzipSync(payload);
      const i = tar.indexOf('Test release 1.1.0');
      tar.write('Evil release 1.1.0', i); // same length: only the content changes
      return { tar, gz: gzipSync(tar) };
    };
    // 1. A changed file inside the payload: the signed payload SHA-256 no longer matches.
    const changed = join(w.bundles, 'changed.gkhb');
    await rewriteBundle(good, changed, (e) =>
      e.path === 'payload.tar.gz' ? { ...e, data: changeFile(e.data).gz } : e,
    );
    await expectRefused(changed, 'UPDATE_PAYLOAD');

    // 2. A manifest whose payload hash is right but whose per-file hash is not (signed by the trusted key,
    //    as a faulty release tool would): the per-file check still refuses before writing anything.
    const inner = join(w.bundles, 'inner.gkhb');
    const entries: TarEntry[] = [];
    for await (const e of readTar([readFileSync(good)])) entries.push(e);
    const payload = changeFile(entries.find((e) => e.path === 'payload.tar.gz')!.data).gz;
    const manifest = JSON.parse(entries.find((e) => e.path === 'manifest.json')!.data.toString()) as {
      payload: { sha256: string; size: number };
    };
    manifest.payload = { ...manifest.payload, sha256: sha256(payload), size: payload.length };
    const mBytes = Buffer.from(JSON.stringify(manifest));
    writeFileSync(
      inner,
      writeTar([
        { path: 'manifest.json', type: 'file', mode: 0o644, data: mBytes },
        {
          path: 'manifest.sig',
          type: 'file',
          mode: 0o644,
          data: Buffer.from(JSON.stringify(signManifest(mBytes, w.key))),
        },
        { path: 'payload.tar.gz', type: 'file', mode: 0o644, data: payload },
      ]),
    );
    const err = await install(inner).catch((e: unknown) => e);
    expect(
      isGkhError(err, 'UPDATE_PAYLOAD') && /file "bin\/opengkh\.js": SHA-256 [0-9a-f]{64}/.test(err.message),
    ).toBe(true);
    await expectRefused(inner, 'UPDATE_PAYLOAD');

    // 3. A bundle for another CPU.
    const tree = join(w.dir, 'tree-arm');
    writeFixtureRelease(tree, '1.1.0');
    const foreign = join(w.bundles, 'foreign.gkhb');
    createBundle({
      tree,
      version: '1.1.0',
      platform: { os: 'linux', cpu: process.arch === 'arm64' ? 'x64' : 'arm64' },
      privateKey: w.key,
      out: foreign,
    });
    await expectRefused(foreign, 'UPDATE_PLATFORM');
  });

  it('unpacks world-readable releases even under a 077 umask (the service user must read them)', async () => {
    const mask = process.umask(0o077);
    try {
      await install(bundle('1.0.0'));
    } finally {
      process.umask(mask);
    }
    const rel = join(w.root, 'releases', '1.0.0');
    expect(statSync(rel).mode & 0o777).toBe(0o755);
    expect(statSync(join(rel, 'node_modules/fixture-dep/bin')).mode & 0o777).toBe(0o755);
    expect(statSync(join(rel, 'package.json')).mode & 0o777).toBe(0o644);
    expect(statSync(join(rel, 'bin/opengkh.js')).mode & 0o777).toBe(0o755);
  });

  it('refuses a downgrade unless forced; the same version is a no-op', async () => {
    await install(bundle('1.0.0'));
    await install(bundle('1.1.0'));
    const old = bundle('1.0.0');
    await expectRefused(old, 'UPDATE_DOWNGRADE');
    expect(await install(bundle('1.1.0'))).toEqual({ status: 'unchanged', version: '1.1.0' });
    const r = await install(old, { force: true });
    expect(r).toMatchObject({ status: 'updated', version: '1.0.0', previous: '1.1.0' });
    expect(await healthz()).toMatchObject({ status: 200, body: { version: '1.0.0' } });
  });

  it('a crash between unpack and switch leaves the old release running; the next run is consistent (CLI, SIGKILL)', async () => {
    expect((await cliUpdate(bundle('1.0.0'))).code).toBe(0);
    const running = w.sup.status();
    const file = bundle('1.1.0');
    const crashed = await cliUpdate(file, [], { OPENGKH_UPDATE_CRASH_AT: 'after-unpack' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(currentVersion(w.root)).toBe('1.0.0');
    expect(w.sup.status()).toEqual(running); // same process, never restarted
    expect(await healthz()).toMatchObject({ status: 200, body: { version: '1.0.0' } });
    expect(readState(w.root)).toMatchObject({ phase: 'unpacked', target: '1.1.0', previous: '1.0.0' });
    expect(existsSync(join(w.root, 'update.lock'))).toBe(true); // left by the dead process

    const again = await cliUpdate(file);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/recovering an interrupted update to 1\.1\.0 \(phase unpacked/);
    expect(again.out).toMatch(/updated to 1\.1\.0 \(from 1\.0\.0\)/);
    expect(await healthz()).toMatchObject({ status: 200, body: { version: '1.1.0' } });
    expect(readState(w.root)).toMatchObject({ phase: 'idle', history: ['1.0.0', '1.1.0'] });
    expect(readdirSync(join(w.root, 'releases')).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(readdirSync(w.root).sort()).toEqual(['current', 'last-good', 'releases', 'update-state.json']);
    expect(readlinkSync(join(w.root, 'last-good'))).toBe('releases/1.1.0');
  });

  it('a crash right after the switch is undone by --recover (back to the release that passed its gate)', async () => {
    expect((await cliUpdate(bundle('1.0.0'))).code).toBe(0);
    const crashed = await cliUpdate(bundle('1.1.0'), [], { OPENGKH_UPDATE_CRASH_AT: 'after-switch' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(currentVersion(w.root)).toBe('1.1.0'); // switched, never gated
    const r = await cli([
      'update',
      '--recover',
      '--root',
      w.root,
      '--service',
      `supervisor:${w.control}`,
      '--health-url',
      `http://127.0.0.1:${w.port}/healthz`,
      '--health-timeout',
      '15',
      '--settle',
      '0',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/rolled back to 1\.0\.0/);
    expect(currentVersion(w.root)).toBe('1.0.0');
    expect(await healthz()).toMatchObject({ status: 200, body: { version: '1.0.0' } });
    expect(readState(w.root)).toMatchObject({ phase: 'idle', lastFailure: { version: '1.1.0' } });
    expect(await recover(opts())).toBeNull();
  });

  it("a power cut during the gate is undone before the service starts (--recover --offline, the unit's ExecStartPre)", async () => {
    expect((await cliUpdate(bundle('1.0.0'))).code).toBe(0);
    const crashed = await cliUpdate(bundle('1.1.0'), [], { OPENGKH_UPDATE_CRASH_AT: 'after-switch' });
    expect(crashed.signal).toBe('SIGKILL');
    const running = w.sup.status();
    // While an update holds the lock (here: this live process), the pre-start recovery leaves everything alone.
    writeFileSync(
      join(w.root, 'update.lock'),
      `${process.pid} ${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}\n`,
    );
    const busy = await cli(['update', '--recover', '--offline', '--root', w.root]);
    expect(busy.code, busy.err).toBe(0);
    expect(busy.err).toMatch(/an update is in progress/);
    expect(currentVersion(w.root)).toBe('1.1.0');
    // A lock from another boot (a power cut) is stale: recovery runs from last-good's code.
    writeFileSync(join(w.root, 'update.lock'), `${process.pid} 00000000-0000-0000-0000-000000000000\n`);
    const r = await cli(['update', '--recover', '--offline', '--root', w.root]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/rolled back to 1\.0\.0/);
    expect(currentVersion(w.root)).toBe('1.0.0');
    expect(readdirSync(join(w.root, 'releases'))).toEqual(['1.0.0']);
    expect(readState(w.root)).toMatchObject({ phase: 'idle', lastFailure: { version: '1.1.0' } });
    expect(w.sup.status()).toEqual(running); // the service was not touched
    expect(existsSync(join(w.root, 'update.lock'))).toBe(false);
  });

  it('CLI: a refused bundle exits 1 with a bilingual reason; usage errors exit 2', async () => {
    expect((await cliUpdate(bundle('1.0.0'))).code).toBe(0);
    const other = generateKeyPairSync('ed25519').privateKey;
    const r = await cliUpdate(bundle('1.1.0', 'good', other));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not trusted .* \/ ключ подписи не доверенный/);
    const rb = await cliUpdate(bundle('1.2.0', 'crash'), ['--health-timeout', '5']);
    expect(rb.code).toBe(1);
    expect(rb.out).toMatch(/rolled back to 1\.0\.0/);
    expect((await cli(['update'])).code).toBe(2);
    expect((await cli(['update', 'x', '--health-timeout', 'soon'])).code).toBe(2);
    expect((await cli(['update', '--help'])).out).toMatch(/Usage: opengkh update <bundle>/);
  });
});
