import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GkhError, isGkhError } from '../edge/errors.js';
import { buildRelease } from '../scripts/release.js';
import { str, UsageError, type Command } from './command.js';

export const release: Command = {
  name: 'release',
  summary: 'build a signed release bundle (operators) / собрать подписанный пакет обновления',
  help: `Usage: opengkh release --key <operator.key> [--out DIR] [--cpu arm64] [--sqlite-binary FILE]
                       [--version X.Y.Z] [--staging DIR]

Builds <out>/opengkh-<version>-linux-<cpu>.gkhb from this checkout (run \`npx tsc -p .\` first):
dist/ + production node_modules installed with \`npm ci --omit=dev --os=linux --cpu=<cpu>\`,
a manifest with the SHA-256 of every file, signed with the operator's Ed25519 key.
better-sqlite3 has no arm64 build on npm: give --sqlite-binary (see image/README.md).
Needs the npm registry. Default --out release-out, --cpu arm64.

Собирает подписанный пакет обновления для шлюзов (см. image/README.md).`,
  options: {
    key: { type: 'string' },
    out: { type: 'string' },
    cpu: { type: 'string' },
    'sqlite-binary': { type: 'string' },
    version: { type: 'string' },
    staging: { type: 'string' },
  },
  async run(values, _pos, io) {
    const key = str(values, 'key');
    if (key === undefined) throw new UsageError('missing --key <operator.key>');
    const sqlite = str(values, 'sqlite-binary');
    const version = str(values, 'version');
    const staging = str(values, 'staging');
    const build = () =>
      buildRelease({
        repo: resolve(fileURLToPath(new URL('../..', import.meta.url))),
        keyFile: resolve(key),
        outDir: resolve(str(values, 'out') ?? 'release-out'),
        cpu: str(values, 'cpu') ?? 'arm64',
        ...(version !== undefined ? { version } : {}),
        ...(sqlite !== undefined ? { sqliteBinary: resolve(sqlite) } : {}),
        ...(staging !== undefined ? { staging: resolve(staging) } : {}),
        log: (s) => io.err(`release: ${s}`),
      });
    let r: ReturnType<typeof buildRelease>;
    try {
      r = build();
    } catch (e) {
      if (isGkhError(e)) throw e;
      throw new GkhError(
        'UPDATE_BUNDLE',
        `release failed: ${(e as Error).message.split('\n')[0]}`,
        {},
        { cause: e },
      );
    }
    io.out(
      `${r.file}\n  version ${r.manifest.version}, linux-${r.manifest.platform.cpu}, ${r.manifest.files.length} files, ${(r.bytes / 1e6).toFixed(1)} MB\n  native addons: ${r.addons.join(', ') || 'none'}\n  built in ${r.seconds.toFixed(1)} s`,
    );
    return 0;
  },
};
