/** `opengkh receiver …`: run a receiver, export readings, verify the store, show status. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isGkhError } from '../edge/errors.js';
import { loadOrCreateKey } from '../edge/keys/keys.js';
import { loadReceiverConfig, type ReceiverConfig } from '../receiver/config.js';
import { exportRows, storedGateways, toCsv } from '../receiver/export.js';
import { ReceiverService } from '../receiver/service.js';
import { gatewayDbFile, latestReceipts, listRejections, openGatewayDb, openReceiverDb } from '../receiver/store.js';
import { verifyStore } from '../receiver/verify.js';
import { cosignerVkey } from '../edge/sync/cosign.js';
import { str, UsageError, type Command, type Io, type Values } from './command.js';

function config(values: Values, io: Io): ReceiverConfig | undefined {
  const f = str(values, 'config');
  if (f === undefined) throw new UsageError('missing --config <file>');
  try {
    return loadReceiverConfig(f);
  } catch (e) {
    if (isGkhError(e, 'CONFIG_')) {
      io.err(`${f}: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}

const configOpt = { config: { type: 'string', short: 'c' } } as const;

export const receiverRun: Command = {
  name: 'receiver',
  summary: 'run a receiver (УК/РСО server) / запустить приёмник',
  help: `Usage: opengkh receiver --config <file>
       opengkh receiver export|verify|status|vkey --config <file> …

Runs the receiver: subscribes to the gateways' batches at the configured broker (as
$share/<group>/… when broker.shareGroup is set), verifies each batch (registry key, checkpoint
signature, contiguity, root), stores it in <dataDir>/gateways/<gatewayId>.db and answers with its
stored size and a C2SP cosignature. Rejected batches are logged with their reason and stored nowhere.
Stops cleanly on SIGINT/SIGTERM.

Запускает приёмник: проверяет пакеты шлюзов, сохраняет их и подтверждает косигнатурой.`,
  options: configOpt,
  positionals: { min: 0, max: 0 },
  async run(values, _p, io) {
    const cfg = config(values, io);
    if (!cfg) return 1;
    const svc = new ReceiverService(cfg, (l) => io.out(`${new Date().toISOString()} ${l}`));
    await new Promise<void>((res) => {
      const stop = () => res();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      void svc.start();
    });
    await svc.stop();
    io.out(`${new Date().toISOString()} stopped`);
    return 0;
  },
};

export const receiverExport: Command = {
  name: 'receiver export',
  summary: 'export received hourly readings as CSV/JSON / выгрузка часовых данных',
  help: `Usage: opengkh receiver export --config <file> --format csv|json [--gateway ID] [--meter ID]
                               [--from ISO] [--to ISO] [--out FILE]

Exports hourly readings held by this receiver, per meter and period: hourStart in [--from, --to).
CSV: one line per hour, value and unit columns per parameter (values as the meter reported them).
JSON: an array of rows. Writes to stdout unless --out is given.

Выгружает часовые показания по прибору и периоду в CSV или JSON.`,
  options: { ...configOpt, format: { type: 'string' }, gateway: { type: 'string' }, meter: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string', short: 'o' } },
  positionals: { min: 0, max: 0 },
  async run(values, _p, io) {
    const format = str(values, 'format') ?? 'csv';
    if (format !== 'csv' && format !== 'json') throw new UsageError(`--format: expected csv or json, found "${format}"`);
    for (const k of ['from', 'to'] as const) {
      const v = str(values, k);
      if (v !== undefined && Number.isNaN(Date.parse(v))) throw new UsageError(`--${k}: expected an ISO date/time, found "${v}"`);
    }
    const cfg = config(values, io);
    if (!cfg) return 1;
    const rows = exportRows(cfg, { gateway: str(values, 'gateway'), meter: str(values, 'meter'), from: str(values, 'from'), to: str(values, 'to') });
    const text = format === 'csv' ? toCsv(rows) : `${JSON.stringify(rows, null, 1)}\n`;
    const out = str(values, 'out');
    if (out !== undefined) writeFileSync(out, text);
    else io.out(text.endsWith('\n') ? text.slice(0, -1) : text);
    return 0;
  },
};

export const receiverVerify: Command = {
  name: 'receiver verify',
  summary: 'verify the whole receiver store / проверить хранилище приёмника',
  help: `Usage: opengkh receiver verify --config <file>

Recomputes every entry's leaf hash and the tree of each gateway's log, checks each stored
checkpoint's root and its signature with the registry key. Prints one line per gateway; names the
first bad index or checkpoint. Exit 0 all good, 1 a problem.

Проверяет все записи и контрольные точки; называет первый повреждённый индекс.`,
  options: configOpt,
  positionals: { min: 0, max: 0 },
  async run(values, _p, io) {
    const cfg = config(values, io);
    if (!cfg) return 1;
    const res = verifyStore(cfg);
    let ok = true;
    for (const v of res) {
      if (v.ok) io.out(`ok   ${v.gateway}: ${v.entries} entries, ${v.checkpoints} checkpoints verified / проверено`);
      else {
        ok = false;
        io.err(`FAIL ${v.gateway}: ${v.problem}${v.badIndex !== undefined ? ` (first bad index ${v.badIndex})` : ''} / ошибка`);
      }
    }
    if (res.length === 0) io.out('no gateway data yet / данных ещё нет');
    return ok ? 0 : 1;
  },
};

export const receiverStatus: Command = {
  name: 'receiver status',
  summary: 'per gateway: size, receipts of the other parties, rejections / состояние приёмника',
  help: `Usage: opengkh receiver status --config <file> [--json]

Per gateway: entries held, newest checkpoint, and for each party whose receipt (cosignature) the
gateway forwarded in its log: up to which entry and when that party confirmed. Then the newest
rejected or unstored batches with their reasons.

По каждому шлюзу: число записей и до какой записи и когда подтвердила другая сторона.`,
  options: { ...configOpt, json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(values, _p, io) {
    const cfg = config(values, io);
    if (!cfg) return 1;
    const gateways = storedGateways(cfg).map((gw) => {
      const db = openGatewayDb(cfg.dataDir, gw);
      try {
        const size = (db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM log_entries').get() as { n: number }).n;
        const cp = db.prepare('SELECT size, created_at FROM checkpoints ORDER BY size DESC LIMIT 1').get() as { size: number; created_at: number } | undefined;
        return { gateway: gw, db: gatewayDbFile(cfg.dataDir, gw), size, checkpoint: cp ? { size: cp.size, createdAt: new Date(cp.created_at).toISOString() } : null, receipts: latestReceipts(db).map((r) => ({ ...r, confirmedAt: new Date(r.timestamp * 1000).toISOString() })) };
      } finally {
        db.close();
      }
    });
    const rdb = openReceiverDb(cfg.dataDir);
    const rejections = listRejections(rdb, 20);
    rdb.close();
    if (values.json) {
      io.out(JSON.stringify({ gateways, rejections }, null, 1));
      return 0;
    }
    for (const g of gateways) {
      io.out(`${g.gateway}: ${g.size} entries / записей; checkpoint ${g.checkpoint ? `${g.checkpoint.size} at ${g.checkpoint.createdAt}` : 'none'}`);
      for (const r of g.receipts) io.out(`  ${r.destination} (${r.cosigner}) confirmed up to entry ${r.size} at ${r.confirmedAt} / подтвердил до записи ${r.size}${r.verified ? '' : ' [signature not checked: no peer key]'}`);
    }
    for (const r of rejections) io.out(`${new Date(r.at).toISOString()} ${r.status} ${r.gateway ?? '?'} seq ${r.seq ?? '?'}: ${r.code}: ${r.reason}`);
    return 0;
  },
};

export const receiverVkey: Command = {
  name: 'receiver vkey',
  summary: "print the receiver's cosigner key / ключ косигнатуры приёмника",
  help: `Usage: opengkh receiver vkey --config <file>

Prints the receiver's cosigner verifier key (note form, type 0x04), creating the key on first use.
Give it to the other parties (their config "peers") so they can check this party's receipts.`,
  options: configOpt,
  positionals: { min: 0, max: 0 },
  async run(values, _p, io) {
    const cfg = config(values, io);
    if (!cfg) return 1;
    const { key } = loadOrCreateKey(resolve(cfg.dataDir, cfg.signingKey));
    io.out(cosignerVkey(cfg.keyName ?? cfg.receiverId, key.publicRaw));
    return 0;
  },
};

export const receiverCommands: Command[] = [receiverRun, receiverExport, receiverVerify, receiverStatus, receiverVkey];
