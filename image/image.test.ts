/**
 * The image recipe's dry-run (what CI can check without emulating a full arm64 build): package list,
 * the systemd unit (verify + security exposure ≤ 4.0), the partition layout assembled on a small
 * sparse file without loop mounts, and the first release installed from a signed bundle.
 */
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rawPublicKey } from '../edge/keys/index.js';
import { createBundle } from '../edge/update/bundle.js';
import { writeFixtureRelease } from '../edge/update/fixture.js';

const repo = new URL('../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gkh-image-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dryRun(...args: string[]) {
  const r = spawnSync('bash', [join(repo, 'image/build.sh'), '--dry-run', ...args], {
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: dir },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function signedBundle(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const tree = join(dir, `tree-${name}`);
  writeFixtureRelease(tree, '1.4.2');
  const out = join(dir, `${name}.gkhb`);
  createBundle({ tree, version: '1.4.2', platform: { os: 'linux', cpu: 'arm64' }, privateKey, out });
  const pub = join(dir, `${name}.pub`);
  writeFileSync(pub, rawPublicKey(publicKey).toString('base64'));
  return { out, pub };
}

describe('image/build.sh --dry-run', () => {
  it('passes: package list, unit (verify, exposure ≤ 4.0), partition layout, first release from a signed arm64 bundle', () => {
    const b = signedBundle('good');
    const r = dryRun('--bundle', b.out, '--trusted-key', b.pub);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ok: \d+ packages, names valid, required ones present/);
    expect(r.out).toContain('ok: systemd-analyze verify');
    const score = /systemd-analyze security exposure ([\d.]+) \(limit 4\.0\)/.exec(r.out);
    expect(score, r.out).not.toBeNull();
    expect(Number(score![1])).toBeLessThanOrEqual(4.0);
    expect(r.out).toContain('ok: sfdisk: dos label, 3 partitions at the planned sectors');
    expect(r.out).toContain('ok: parted: partition 1 fat32 (boot, lba), partitions 2 and 3 ext4');
    expect(r.out).toContain('ok: release 1.4.2 verified and unpacked to /data/opengkh/app/releases/1.4.2');
    expect(r.out).toMatch(/ok: data: e2fsck clean, label GKHDATA, .*current -> releases\/<version>/);
    expect(r.out).toContain('dry-run passed');
  });

  it('refuses a bundle whose signature does not match the trusted key', () => {
    const b = signedBundle('signed');
    const other = signedBundle('other');
    const r = dryRun('--bundle', b.out, '--trusted-key', other.pub);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bundle refused: .*not trusted/);
  });
});
