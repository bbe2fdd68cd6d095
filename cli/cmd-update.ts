import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GkhError } from '../edge/errors.js';
import {
  applyUpdate,
  controllerFromSpec,
  parsePublicKey,
  recover,
  recoverOffline,
  type UpdateOutcome,
} from '../edge/update/index.js';
import { int, str, UsageError, type Command, type Values } from './command.js';

/** Default updater root on the image (see image/README.md). */
export const DEFAULT_ROOT = '/data/opengkh/app';
/** Default directory of trusted operator public keys (one key per `*.pub` file). */
export const DEFAULT_KEYS_DIR = '/etc/opengkh/update-keys';

function trustedKeys(values: Values) {
  const given = values['trusted-key'];
  const files = Array.isArray(given) ? given.map(String) : typeof given === 'string' ? [given] : [];
  if (files.length === 0) {
    try {
      for (const n of readdirSync(DEFAULT_KEYS_DIR).sort())
        if (n.endsWith('.pub')) files.push(join(DEFAULT_KEYS_DIR, n));
    } catch {
      // reported below
    }
  }
  if (files.length === 0)
    throw new GkhError(
      'UPDATE_KEY',
      `no trusted operator keys: give --trusted-key or put *.pub files in ${DEFAULT_KEYS_DIR} / нет доверенных ключей`,
      {},
    );
  return files.map((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new GkhError(
        'UPDATE_KEY',
        `cannot read trusted key ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        { file: f },
        { cause: e },
      );
    }
    return parsePublicKey(text, f);
  });
}

function describe(r: UpdateOutcome): string {
  switch (r.status) {
    case 'updated':
      return `updated to ${r.version} (from ${r.previous ?? 'none'})${r.removed.length ? `; removed old releases ${r.removed.join(', ')}` : ''} / обновлено до ${r.version}`;
    case 'unchanged':
      return `${r.version} is already installed; nothing to do / версия ${r.version} уже установлена`;
    case 'rolled-back':
      return `update to ${r.version} failed and was rolled back to ${r.previous ?? 'none'}: ${r.reason} / обновление отменено, возврат к ${r.previous ?? '—'}`;
  }
}

export const update: Command = {
  name: 'update',
  summary: 'install a signed release bundle with health gate and rollback / установить обновление',
  help: `Usage: opengkh update <bundle> [--root DIR] [--force] [--health-timeout S] [--settle S] [--health-url URL]
                      [--trusted-key FILE]... [--service systemd:<unit>|supervisor:<socket>]
       opengkh update --recover [--offline] [--root DIR] [...]

Verifies the bundle's Ed25519 signature (trusted keys: --trusted-key, default ${DEFAULT_KEYS_DIR}/*.pub,
PEM or the base64 key \`opengkh keygen\` prints), its manifest and the SHA-256 of every file before
unpacking anything; unpacks to <root>/releases/<version>; points <root>/current at it (atomic rename);
restarts the service; waits for READY=1 and <health-url> answering 200 within --health-timeout seconds;
otherwise rolls back to the previous release. Keeps three releases. Refuses an older version unless
--force. Never touches the gateway's data directory. --recover finishes or undoes an interrupted run;
with --offline it only points current back at the last release that passed its gate, without
touching the service (the unit runs this as ExecStartPre, so a power cut mid-update is undone at boot).

  --root DIR            updater root (default ${DEFAULT_ROOT})
  --health-timeout S    seconds for READY + /healthz (default 90)
  --health-url URL      default http://127.0.0.1:8080/healthz
  --settle S            seconds the new release must then stay up and healthy (default 15)
  --service SPEC        default systemd:opengkh.service

Exit: 0 updated or already installed, 1 refused or rolled back, 2 usage error.

Проверяет подпись и контрольные суммы пакета до распаковки, переключает текущую версию,
перезапускает службу и ждёт готовности; при сбое возвращает предыдущую версию.`,
  options: {
    root: { type: 'string' },
    force: { type: 'boolean' },
    'health-timeout': { type: 'string' },
    'health-url': { type: 'string' },
    settle: { type: 'string' },
    'trusted-key': { type: 'string', multiple: true },
    service: { type: 'string' },
    recover: { type: 'boolean' },
    offline: { type: 'boolean' },
  },
  positionals: { min: 0, max: 1, names: ['bundle'] },
  async run(values, pos, io) {
    const healthTimeoutS = int(values, 'health-timeout') ?? 90;
    if (healthTimeoutS < 1) throw new UsageError('--health-timeout: expected seconds ≥ 1');
    const opts = {
      root: resolve(str(values, 'root') ?? DEFAULT_ROOT),
      service: controllerFromSpec(str(values, 'service') ?? 'systemd:opengkh.service'),
      healthUrl: str(values, 'health-url') ?? 'http://127.0.0.1:8080/healthz',
      healthTimeoutS,
      settleS: int(values, 'settle') ?? 15,
      log: (s: string) => io.err(`update: ${s}`),
    };
    if (values.offline === true && values.recover !== true)
      throw new UsageError('--offline goes with --recover');
    if (values.recover === true) {
      if (pos.length > 0) throw new UsageError('--recover takes no bundle');
      if (values.offline === true) {
        const r = recoverOffline(opts.root, opts.log);
        io.out(r ? describe(r) : 'nothing to recover / восстановление не требуется');
        return 0;
      }
      const r = await recover(opts);
      io.out(r ? describe(r) : 'nothing to recover / восстановление не требуется');
      return 0;
    }
    const bundle = pos[0];
    if (bundle === undefined) throw new UsageError('missing argument <bundle>');
    const r = await applyUpdate({
      ...opts,
      bundle: resolve(bundle),
      trusted: trustedKeys(values),
      force: values.force === true,
    });
    io.out(describe(r));
    return r.status === 'rolled-back' ? 1 : 0;
  },
};
