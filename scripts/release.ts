/**
 * Builds a signed release bundle (see edge/update/bundle.ts and image/README.md):
 *   1. stages dist/ (without tests, test fixtures and source maps), bin/, package.json,
 *      package-lock.json, README.md into a fresh directory;
 *   2. `npm ci --omit=dev --os=linux --cpu=<cpu> --ignore-scripts` there, so npm resolves the
 *      target's optional packages and no install script builds anything for the build host;
 *   3. native addons: serialport ships linux-arm64 prebuilds (node-gyp-build picks them at run
 *      time; other platforms' prebuilds are pruned); better-sqlite3 has no arm64 prebuild
 *      reachable offline, so its `better_sqlite3.node` comes from --sqlite-binary (built in an arm64
 *      chroot, on a device, or with a cross compiler: image/README.md), or from this checkout
 *      when the target CPU is the build host's;
 *   4. checks every *.node is an ELF for the target machine, then writes and signs the bundle.
 *
 * Usage: node dist/scripts/release.js --key operator.key [--out DIR] [--cpu arm64] [--sqlite-binary FILE]
 *        [--version X.Y.Z] [--staging DIR]
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GkhError } from '../edge/errors.js';
import { loadKeyFile } from '../edge/keys/index.js';
import { createBundle, type Manifest } from '../edge/update/index.js';

/** ELF e_machine values (System V gABI) for the CPUs Node names. */
export const ELF_MACHINE: Record<string, number> = {
  x64: 0x3e,
  arm64: 0xb7,
  arm: 0x28,
  ia32: 0x03,
  riscv64: 0xf3,
};

/** The ELF machine of a file, or undefined when it is not ELF. */
export function elfMachine(file: string): number | undefined {
  const b = readFileSync(file).subarray(0, 20);
  if (b.length < 20 || b.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18); // EI_DATA 2 = big endian
}

/** Every file under dir whose name ends with `suffix`. */
function findFiles(dir: string, suffix: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) findFiles(p, suffix, out);
    else if (e.isFile() && e.name.endsWith(suffix)) out.push(p);
  }
  return out;
}

/** Compiled files only tests use (paths under dist/), left out of releases besides *.test.js. */
export const TEST_ONLY = new Set([
  'edge/update/fixture.js',
  'edge/store/crash-child.js',
  'edge/store/kill-child.js',
  'edge/store/evidence-crash-child.js',
  'edge/store/log-writer-crash-child.js',
  'edge/status/stand.js',
  'edge/testing.js',
  'scripts/summary-reporter.js',
]);

/** Copies what the device runs from the repository into `staging` (no node_modules yet). */
export function stageApp(repo: string, staging: string): void {
  mkdirSync(staging, { recursive: true });
  for (const f of ['package.json', 'package-lock.json', 'README.md', 'LICENSE'])
    if (existsSync(join(repo, f))) copyFileSync(join(repo, f), join(staging, f));
  cpSync(join(repo, 'bin'), join(staging, 'bin'), { recursive: true });
  if (!existsSync(join(repo, 'dist', 'cli', 'main.js')))
    throw new GkhError('UPDATE_BUNDLE', 'dist/ is not built: run `npx tsc -p .` first', { repo });
  cpSync(join(repo, 'dist'), join(staging, 'dist'), {
    recursive: true,
    filter: (src) => {
      const n = basename(src);
      const rel = relative(join(repo, 'dist'), src).split(sep).join('/');
      return !(n.endsWith('.map') || n.endsWith('.test.js') || n === '.tsbuildinfo' || TEST_ONLY.has(rel));
    },
  });
  // Data the code reads at run time beside its sources: device profiles and their schema, the
  // Node-RED node set (.cjs entry, .html editor templates, locales), flows and example configs.
  cpSync(join(repo, 'edge'), join(staging, 'edge'), {
    recursive: true,
    filter: (src) => {
      const n = basename(src);
      if (!n.includes('.')) return true; // a folder
      return /\.(json|html|cjs)$/.test(n);
    },
  });
  for (const d of ['flows', 'examples']) if (existsSync(join(repo, d))) cpSync(join(repo, d), join(staging, d), { recursive: true });
}

/**
 * Native addons for `cpu`: prunes serialport prebuilds of other platforms, puts better-sqlite3's
 * addon in place, and checks every *.node against the target's ELF machine.
 */
export function placeNative(
  staging: string,
  cpu: string,
  sqliteBinary: string | undefined,
  hostRepo: string,
): string[] {
  const nm = join(staging, 'node_modules');
  const pre = join(nm, '@serialport', 'bindings-cpp', 'prebuilds');
  if (existsSync(pre))
    for (const d of readdirSync(pre))
      if (d !== `linux-${cpu}`) rmSync(join(pre, d), { recursive: true, force: true });
  const sq = join(nm, 'better-sqlite3');
  if (existsSync(sq)) {
    rmSync(join(sq, 'deps'), { recursive: true, force: true }); // 10 MB of SQLite sources, only for building
    const dst = join(sq, 'build', 'Release', 'better_sqlite3.node');
    const src =
      sqliteBinary ??
      (cpu === process.arch
        ? join(hostRepo, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
        : undefined);
    if (!src || !existsSync(src))
      throw new GkhError(
        'UPDATE_BUNDLE',
        `better-sqlite3 needs a linux-${cpu} better_sqlite3.node: give --sqlite-binary (build it as image/README.md "better-sqlite3 for arm64" says)`,
        { cpu },
      );
    mkdirSync(join(sq, 'build', 'Release'), { recursive: true });
    copyFileSync(src, dst);
  }
  const want = ELF_MACHINE[cpu];
  const addons = findFiles(nm, '.node');
  const wrong = addons
    .filter((f) => elfMachine(f) !== want)
    .map((f) => `${f.slice(staging.length + 1)} (ELF machine 0x${(elfMachine(f) ?? 0).toString(16)})`);
  if (wrong.length > 0)
    throw new GkhError(
      'UPDATE_BUNDLE',
      `native addons not built for ${cpu} (ELF machine 0x${(want ?? 0).toString(16)}): ${wrong.join(', ')}`,
      { expected: want, got: wrong },
    );
  return addons.map((f) => f.slice(staging.length + 1));
}

/** Options of `buildRelease`. */
export interface ReleaseOptions {
  repo: string;
  keyFile: string;
  outDir: string;
  cpu: string;
  version?: string;
  sqliteBinary?: string;
  staging?: string;
  log?: (s: string) => void;
}

/** Stages, installs production dependencies for linux-<cpu>, checks addons, writes and signs the bundle. */
export function buildRelease(o: ReleaseOptions): {
  file: string;
  manifest: Manifest;
  bytes: number;
  addons: string[];
  seconds: number;
} {
  const t0 = Date.now();
  const key = loadKeyFile(o.keyFile);
  const pkg = JSON.parse(readFileSync(join(o.repo, 'package.json'), 'utf8')) as { version: string };
  const version = o.version ?? pkg.version;
  const staging = o.staging ?? mkdtempSync(join(tmpdir(), 'gkh-release-'));
  rmSync(staging, { recursive: true, force: true });
  stageApp(o.repo, staging);
  o.log?.(`npm ci --omit=dev --os=linux --cpu=${o.cpu} in ${staging}`);
  execFileSync(
    'npm',
    ['ci', '--omit=dev', '--os=linux', `--cpu=${o.cpu}`, '--ignore-scripts', '--no-audit', '--no-fund'],
    { cwd: staging, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const addons = placeNative(staging, o.cpu, o.sqliteBinary, o.repo);
  mkdirSync(o.outDir, { recursive: true });
  const file = join(o.outDir, `opengkh-${version}-linux-${o.cpu}.gkhb`);
  const manifest = createBundle({
    tree: staging,
    version,
    platform: { os: 'linux', cpu: o.cpu },
    privateKey: key.privateKey,
    out: file,
  });
  if (!o.staging) rmSync(staging, { recursive: true, force: true });
  return { file, manifest, bytes: statSync(file).size, addons, seconds: (Date.now() - t0) / 1000 };
}

// Run directly (`node dist/scripts/release.js …`) it is `opengkh release …`: one set of flags, one help text.
// Not a top-level await: the CLI imports this module back, and awaiting here would deadlock the cycle.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void import('../cli/main.js').then(async ({ runCli }) => {
    process.exitCode = await runCli(['release', ...process.argv.slice(2)]);
  });
}
