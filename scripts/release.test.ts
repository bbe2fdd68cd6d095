/** Release staging pieces that do not need the registry: dist filtering and native-addon placement/checks. */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ELF_MACHINE, elfMachine, placeNative, stageApp } from './release.js';

const repo = new URL('../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gkh-release-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hostAddon = join(repo, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');

/** A fake aarch64 ELF header (only the fields elfMachine reads). */
function aarch64Elf(file: string): void {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // little endian
  b.writeUInt16LE(0xb7, 18);
  writeFileSync(file, b);
}

describe('release staging', () => {
  it('reads ELF machines: the host addon is the host CPU, text is not ELF', () => {
    expect(elfMachine(hostAddon)).toBe(ELF_MACHINE[process.arch]);
    expect(elfMachine(join(repo, 'package.json'))).toBeUndefined();
  });

  it('stages dist without tests, test fixtures and source maps', () => {
    const st = join(dir, 'stage');
    stageApp(repo, st);
    expect(existsSync(join(st, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(st, 'dist/edge/update/updater.js'))).toBe(true);
    expect(existsSync(join(st, 'bin/opengkh.js'))).toBe(true);
    // Run-time data beside the code: device profiles, the Node-RED node set, flows.
    expect(existsSync(join(st, 'edge/drivers/profiles/vzljot-tsrv-034.json'))).toBe(true);
    expect(existsSync(join(st, 'edge/drivers/profiles/profile.schema.json'))).toBe(true);
    expect(existsSync(join(st, 'edge/nodered/nodes/opengkh.cjs'))).toBe(true);
    expect(existsSync(join(st, 'edge/drivers/tsrv/driver.ts'))).toBe(false);
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : [e.name],
      );
    const names = walk(join(st, 'dist'));
    expect(names.filter((n) => n.endsWith('.test.js') || n.endsWith('.map') || n === 'fixture.js')).toEqual(
      [],
    );
  });

  it('keeps only linux-<cpu> serialport prebuilds, places the given better-sqlite3 addon, refuses a foreign one', () => {
    const st = join(dir, 'native');
    const pre = join(st, 'node_modules/@serialport/bindings-cpp/prebuilds');
    for (const p of ['linux-arm64', 'linux-x64', 'darwin-x64+arm64', 'win32-x64'])
      mkdirSync(join(pre, p), { recursive: true });
    aarch64Elf(join(pre, 'linux-arm64', '@serialport+bindings-cpp.armv8.glibc.node'));
    copyFileSync(hostAddon, join(pre, 'linux-x64', 'host.node'));
    mkdirSync(join(st, 'node_modules/better-sqlite3/deps'), { recursive: true });
    const arm = join(dir, 'better_sqlite3-arm64.node');
    aarch64Elf(arm);
    const addons = placeNative(st, 'arm64', arm, repo);
    expect(readdirSync(pre)).toEqual(['linux-arm64']);
    expect(existsSync(join(st, 'node_modules/better-sqlite3/deps'))).toBe(false);
    expect(addons.sort()).toEqual([
      'node_modules/@serialport/bindings-cpp/prebuilds/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    ]);
    // The host's x64 addon given as if it were arm64: refused, naming the file and its machine.
    if (process.arch !== 'arm64')
      expect(() => placeNative(st, 'arm64', hostAddon, repo)).toThrow(
        /native addons not built for arm64 .*better_sqlite3\.node \(ELF machine 0x3e\)/,
      );
    // No binary for a foreign CPU: refused with the pointer to the README.
    rmSync(join(st, 'node_modules/better-sqlite3/build'), { recursive: true });
    expect(() => placeNative(st, process.arch === 'arm64' ? 'x64' : 'arm64', undefined, repo)).toThrow(
      /give --sqlite-binary/,
    );
  });
});
