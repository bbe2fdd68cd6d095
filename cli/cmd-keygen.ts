import { resolve } from 'node:path';
import { dataPath, loadConfig } from '../edge/config/index.js';
import { fingerprint, generateKeyFile } from '../edge/keys/index.js';
import { str, UsageError, type Command } from './command.js';

export const keygen: Command = {
  name: 'keygen',
  summary: 'create the gateway Ed25519 signing key / создать ключ подписи шлюза',
  help: `Usage: opengkh keygen (--config <file> | --out <keyfile>)

Creates an Ed25519 private key (PKCS#8 PEM, file mode 0600) at the config's keys.signingKey
(relative to dataDir) or at --out, prints the public key (base64) and its SHA-256 fingerprint.
Refuses to overwrite an existing key: a gateway's key is its identity in both parties' records.

Создаёт ключ подписи Ed25519 (права 0600) и печатает открытый ключ и отпечаток.
Существующий ключ не перезаписывается.`,
  options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' } },
  async run(values, _pos, io) {
    const cfgFile = str(values, 'config');
    const out = str(values, 'out');
    if ((cfgFile === undefined) === (out === undefined)) throw new UsageError('give exactly one of --config or --out');
    const file = out !== undefined ? resolve(out) : (() => {
      const cfg = loadConfig(cfgFile!);
      return dataPath(cfg, cfg.keys.signingKey);
    })();
    const key = generateKeyFile(file);
    io.out(`key:         ${file}`);
    io.out(`public key:  ${key.publicRaw.toString('base64')}`);
    io.out(`fingerprint: ${fingerprint(key.publicRaw)}`);
    return 0;
  },
};
