/** Pure pieces of the bundle format: tar round trip, manifest path rules, version order, signatures. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { rawPublicKey } from '../keys/index.js';
import {
  compareVersions,
  MANIFEST_FORMAT,
  parseManifest,
  parsePublicKey,
  sha256,
  signManifest,
  verifyManifestSignature,
  type ManifestFile,
} from './manifest.js';
import { readTar, writeTar, type TarEntry } from './tar.js';

async function all(buf: Buffer): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of readTar([buf])) out.push(e);
  return out;
}

describe('tar', () => {
  it('round-trips files, dirs, relative symlinks and names beyond ustar limits (pax path/linkpath)', async () => {
    const long = `node_modules/${'@scope-'.repeat(20)}pkg/lib/${'deep/'.repeat(30)}index.js`;
    const entries = [
      { path: 'bin', type: 'dir' as const, mode: 0o755, data: Buffer.alloc(0) },
      {
        path: 'bin/opengkh.js',
        type: 'file' as const,
        mode: 0o755,
        data: Buffer.from('#!/usr/bin/env node\n'),
      },
      { path: long, type: 'file' as const, mode: 0o644, data: Buffer.alloc(1500, 7) },
      {
        path: 'node_modules/.bin/x',
        type: 'symlink' as const,
        mode: 0o777,
        linkname: `../${'a/'.repeat(60)}x.js`,
        data: Buffer.alloc(0),
      },
      { path: 'empty.txt', type: 'file' as const, mode: 0o644, data: Buffer.alloc(0) },
    ];
    const tar = writeTar(entries);
    expect(tar.length % 512).toBe(0);
    const back = await all(tar);
    expect(back.map((e) => [e.path, e.type, e.mode, e.size])).toEqual(
      entries.map((e) => [e.path, e.type, e.mode, e.type === 'file' ? e.data.length : 0]),
    );
    expect(back[2]!.data.equals(entries[2]!.data)).toBe(true);
    expect(back[3]!.linkname).toBe(entries[3]!.linkname);
  });

  it('refuses a corrupted header (checksum, with both values), truncation and device entries', async () => {
    const tar = writeTar([{ path: 'a.txt', type: 'file', mode: 0o644, data: Buffer.from('hello') }]);
    const bad = Buffer.from(tar);
    bad[3] = 0x41;
    await expect(all(bad)).rejects.toMatchObject({ code: 'UPDATE_TAR', context: { byte: 0 } });
    await expect(all(tar.subarray(0, 600))).rejects.toMatchObject({ code: 'UPDATE_TAR' });
    const dev = Buffer.from(tar);
    dev.write('3', 156); // character device
    let sum = 0;
    dev.fill(0x20, 148, 156);
    for (let i = 0; i < 512; i++) sum += dev[i]!;
    dev.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    await expect(all(dev)).rejects.toThrow(/only files, directories and symlinks/);
  });
});

function manifest(files: ManifestFile[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      format: MANIFEST_FORMAT,
      name: 'opengkh-edge',
      version: '1.0.0',
      platform: { os: 'linux', cpu: 'arm64' },
      createdAt: '2026-01-01T00:00:00.000Z',
      payload: { file: 'payload.tar.gz', sha256: sha256('x'), size: 1 },
      files,
    }),
  );
}
const f = (path: string): ManifestFile => ({ path, sha256: sha256(path), size: 1, mode: 0o644 });

describe('manifest', () => {
  it.each([
    ['../etc/passwd', /not a plain relative path/],
    ['/etc/passwd', /not a plain relative path/],
    ['a/./b', /not a plain relative path/],
    ['a//b', /not a plain relative path/],
    ['a/b/', /not a plain relative path/],
  ])('refuses path %s', (p, re) => {
    expect(() => parseManifest(manifest([f(p)]))).toThrow(re);
  });

  it('refuses symlinks leaving the release, entries below a symlink, duplicates and bad modes', () => {
    expect(() => parseManifest(manifest([{ path: 'node_modules/.bin/x', link: '../../../etc' }]))).toThrow(
      /points outside the release/,
    );
    expect(() => parseManifest(manifest([{ path: 'x', link: '/etc' }]))).toThrow(/not relative/);
    expect(() => parseManifest(manifest([{ path: 'lib', link: 'node_modules' }, f('lib/evil.js')]))).toThrow(
      /lies below symlink "lib"/,
    );
    expect(() => parseManifest(manifest([f('a'), f('a')]))).toThrow(/twice/);
    expect(() => parseManifest(manifest([{ ...f('a'), mode: 0o4755 }]))).toThrow(/mode 644\/755/);
    expect(
      parseManifest(manifest([f('bin/opengkh.js'), { path: 'node_modules/.bin/x', link: '../x/cli.js' }]))
        .files,
    ).toHaveLength(2);
  });

  it('orders versions by SemVer precedence', () => {
    const sorted = [
      '0.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.10.0',
      '2.0.0',
    ];
    for (let i = 0; i < sorted.length - 1; i++)
      expect(compareVersions(sorted[i]!, sorted[i + 1]!), `${sorted[i]} < ${sorted[i + 1]}`).toBeLessThan(0);
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
    expect(() => compareVersions('1.2', '1.2.3')).toThrow(/not a version/);
  });

  it('verifies signatures against trusted keys given as PEM or base64; names both fingerprints on a mismatch', () => {
    const a = generateKeyPairSync('ed25519');
    const b = generateKeyPairSync('ed25519');
    const bytes = manifest([f('a')]);
    const sig = Buffer.from(JSON.stringify(signManifest(bytes, a.privateKey)));
    const pem = parsePublicKey(a.publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const raw = parsePublicKey(rawPublicKey(a.publicKey).toString('base64'));
    expect(verifyManifestSignature(bytes, sig, [pem]).key).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyManifestSignature(bytes, sig, [b.publicKey, raw]).key).toMatch(/^[0-9a-f]{64}$/);
    let err: unknown;
    try {
      verifyManifestSignature(bytes, sig, [b.publicKey]);
    } catch (e) {
      err = e;
    }
    expect(isGkhError(err, 'UPDATE_SIGNATURE')).toBe(true);
    expect((err as { context: { expected: string[]; got: string } }).context.expected).toHaveLength(1);
    expect(() => verifyManifestSignature(Buffer.concat([bytes, Buffer.from(' ')]), sig, [pem])).toThrow(
      /bad signature/,
    );
    expect(() => parsePublicKey('AAAA')).toThrow(/raw key is 3 bytes, expected 32/);
  });
});
