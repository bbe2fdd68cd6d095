import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildMonthlyReport, htmlToPdf, locateStore, readLogEntries, toCsv, toHtml, type StoreDetector } from '../edge/regime/index.js';
import { loadReceiverConfig } from '../receiver/config.js';
import { gatewayDbFile } from '../receiver/store.js';
import { int, str, UsageError, type Command } from './command.js';

/**
 * A receiver config (receiverId + gateways): the log of one gateway is `<dataDir>/gateways/<id>.db`.
 * `--gateway` picks it; it may be left out when the receiver knows exactly one gateway.
 */
function receiverDetector(wanted: string | undefined): StoreDetector {
  return (json, file) => {
    if (typeof json.receiverId !== 'string' || !Array.isArray(json.gateways)) return undefined;
    const cfg = loadReceiverConfig(file);
    const ids = cfg.gateways.map((g) => g.id);
    const gw = wanted ?? (ids.length === 1 ? ids[0] : undefined);
    if (gw === undefined) throw new UsageError(`--gateway: this receiver keeps several gateways (${ids.join(', ')}); name one`);
    if (!ids.includes(gw)) throw new UsageError(`--gateway: "${gw}" is not in ${file} (${ids.join(', ')})`);
    return { db: gatewayDbFile(cfg.dataDir, gw), gatewayId: gw, kind: 'receiver' };
  };
}

export const report: Command = {
  name: 'report',
  summary: 'monthly ведомость and ПП 354 claim from the evidence log / месячная ведомость и расчёт снижения платы',
  help: `Usage: opengkh report --config F --month YYYY-MM --meter ID [--system N] [--format csv|html|pdf] [--out FILE]
       opengkh report --db FILE [--gateway ID] --month YYYY-MM --meter ID [...]

Builds the monthly report of one meter's heat system from the evidence log alone: the ведомость (a row
per day: Q, M1, M2, M1−M2, mean t1/t2, P1/P2, normal and error hours; totals), violation hours per
parameter, interruptions and the reduction of the month's charge per ПП РФ № 354 (приложение 1 п. 4, 5,
14). The regime maps and the time zone come from the config.change entries in the log, so the same log
gives byte-identical reports on the gateway and on the УК / РСО receivers.

Строит месячную ведомость и расчёт снижения платы (ПП 354) только по журналу доказательств; одинаковый
журнал даёт побайтно одинаковый отчёт на шлюзе и у получателей (УК, РСО).

Options:
  --config F      a gateway config (log in <dataDir>/gateway.db) or a receiver config
  --db FILE       the SQLite store directly (gateway.db or a receiver DB)
  --gateway ID    which gateway's log, for stores holding several
  --month M       YYYY-MM, month in the site's time zone
  --meter ID      meter id
  --system N      heat system number (default 1)
  --format F      csv (default), html, or pdf (headless Chromium)
  --out FILE      write here instead of standard output (required for pdf)`,
  options: {
    config: { type: 'string', short: 'c' },
    db: { type: 'string' },
    gateway: { type: 'string' },
    month: { type: 'string' },
    meter: { type: 'string' },
    system: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string', short: 'o' },
  },
  async run(values, _pos, io) {
    const config = str(values, 'config');
    const dbFlag = str(values, 'db');
    if ((config === undefined) === (dbFlag === undefined)) throw new UsageError('give exactly one of --config F or --db FILE');
    const month = str(values, 'month');
    if (month === undefined || !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new UsageError(`--month: expected YYYY-MM, found ${month === undefined ? 'nothing' : `"${month}"`}`);
    const meterId = str(values, 'meter');
    if (!meterId) throw new UsageError('--meter: expected a meter id, found nothing');
    const system = int(values, 'system') ?? 1;
    if (system < 1 || system > 8) throw new UsageError(`--system: expected 1..8, found ${system}`);
    const format = str(values, 'format') ?? 'csv';
    if (!['csv', 'html', 'pdf'].includes(format)) throw new UsageError(`--format: expected csv, html or pdf, found "${format}"`);
    const out = str(values, 'out');
    if (format === 'pdf' && out === undefined) throw new UsageError('--format pdf needs --out FILE');

    const loc = config !== undefined ? locateStore(config, [receiverDetector(str(values, 'gateway'))]) : { db: resolve(dbFlag!), gatewayId: str(values, 'gateway'), kind: 'db' };
    const gatewayId = str(values, 'gateway') ?? loc.gatewayId;
    const entries = readLogEntries(loc.db, gatewayId);
    const rep = buildMonthlyReport(entries, { meterId, system, month, ...(gatewayId !== undefined ? { gatewayId } : {}) });
    let bytes: Buffer;
    if (format === 'csv') bytes = Buffer.from(toCsv(rep), 'utf8');
    else if (format === 'html') bytes = Buffer.from(toHtml(rep), 'utf8');
    else bytes = await htmlToPdf(toHtml(rep));
    if (out !== undefined) {
      writeFileSync(out, bytes);
      io.err(`${out}: ${format}, ${rep.hoursInMonth} h, claim ${rep.claimPercent} % / снижение платы ${rep.claimPercent} %`);
    } else io.out(bytes.toString('utf8'));
    return 0;
  },
};
