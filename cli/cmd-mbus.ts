/**
 * `opengkh mbus scan` — find M-Bus meters on a serial line or behind a TCP converter (primary sweep or
 * secondary wildcard search); `opengkh mbus decode` — decode a captured telegram given as hex.
 */
import { readFileSync } from 'node:fs';
import { isGkhError } from '../edge/errors.js';
import { decodeTelegram, MbusSession, parseHex, parseSecondary, scanPrimary, scanSecondary, type MbusRecord, type Telegram } from '../edge/drivers/mbus/index.js';
import { SerialTransport, TcpTransport } from '../edge/drivers/transport/index.js';
import type { Transport } from '../edge/drivers/types.js';
import { int, str, UsageError, type Command, type Io, type Values } from './command.js';

/** Transport from `--port/--baud/--parity` or `--tcp host:port`. */
export function transportFromFlags(v: Values): Transport {
  const port = str(v, 'port');
  const tcp = str(v, 'tcp');
  if ((port === undefined) === (tcp === undefined)) throw new UsageError('give exactly one of --port <device> or --tcp <host:port>');
  if (tcp !== undefined) {
    const m = /^(.+):(\d{1,5})$/.exec(tcp);
    if (!m) throw new UsageError(`--tcp: expected host:port, found "${tcp}"`);
    return new TcpTransport({ host: m[1]!, port: Number(m[2]) });
  }
  const parity = str(v, 'parity') ?? 'even';
  if (parity !== 'even' && parity !== 'none' && parity !== 'odd') throw new UsageError(`--parity: expected even, odd or none, found "${parity}"`);
  return new SerialTransport({ path: port!, baudRate: int(v, 'baud') ?? 2400, parity });
}

export const mbusScan: Command = {
  name: 'mbus scan',
  summary: 'find M-Bus meters on a line / поиск счётчиков M-Bus на линии',
  help: `Usage: opengkh mbus scan (--port <device> [--baud 2400] [--parity even] | --tcp <host:port>)
                         [--secondary [--mask FFFFFFFF]] [--from 0] [--to 250] [--timeout 300] [--echo] [--json]

Primary sweep (default): SND_NKE to each address --from…--to, then REQ_UD2 to each that answers.
--secondary: wildcard search by secondary address (EN 13757-3 §7.3), resolving collisions digit by digit.
Each meter found is confirmed by selecting its exact secondary address. Problems (two meters on one
primary address, collisions that do not resolve) are listed after the meters.
--echo: the converter echoes the master's bytes (some USB M-Bus masters); skip the echo.

Первичный обход адресов 0…250 или (--secondary) поиск по вторичным адресам с разрешением коллизий.`,
  options: {
    port: { type: 'string' },
    tcp: { type: 'string' },
    baud: { type: 'string' },
    parity: { type: 'string' },
    secondary: { type: 'boolean' },
    mask: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    timeout: { type: 'string' },
    echo: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(v, _p, io) {
    const from = int(v, 'from') ?? 0;
    const to = int(v, 'to') ?? 250;
    if (from < 0 || to > 250 || from > to) throw new UsageError('--from/--to: expected 0 <= from <= to <= 250');
    const mask = str(v, 'mask');
    if (mask !== undefined && !v.secondary) throw new UsageError('--mask needs --secondary');
    const maskAddr = mask === undefined ? undefined : (() => {
      try {
        return parseSecondary(mask);
      } catch (e) {
        throw new UsageError(`--mask: ${(e as Error).message}`);
      }
    })();
    const t = transportFromFlags(v);
    await t.open();
    try {
      const s = new MbusSession(t, { timeoutMs: int(v, 'timeout') ?? 300, interByteTimeoutMs: 100, retries: 0, echo: v.echo === true });
      const res = v.secondary ? await scanSecondary(s, maskAddr ? { mask: maskAddr } : {}) : await scanPrimary(s, { from, to });
      if (v.json) io.out(JSON.stringify({ meters: res.meters.map(({ raw: _raw, ...m }) => m), problems: res.problems, requests: res.requests }, null, 2));
      else {
        io.out(`${t.description}: ${res.meters.length} meter(s) found / найдено счётчиков, ${res.requests} requests`);
        for (const m of res.meters) io.out(`  primary ${String(m.address).padStart(3)}  id ${m.id ?? '?'}  ${m.manufacturer ?? '?'}  v${m.version ?? '?'}  ${m.mediumName ?? ''}`);
        for (const p of res.problems) io.out(`  ! ${p.where}: ${p.problem}`);
      }
      return 0;
    } finally {
      await t.close();
    }
  },
};

function readInput(arg: string): string {
  if (arg === '-') return readFileSync(0, 'utf8');
  return readFileSync(arg, 'utf8');
}

/** The JSON shape of a decoded telegram (header + records), as `mbus decode --json` prints it. */
export function telegramJson(t: Telegram): Record<string, unknown> {
  const rec = (r: MbusRecord): Record<string, unknown> => ({
    quantity: r.quantity,
    unit: r.unit,
    value: r.value,
    storage: r.storage,
    tariff: r.tariff,
    subunit: r.subunit,
    function: r.function,
    ...(r.notes.length ? { notes: r.notes } : {}),
  });
  const frame = { c: t.c, a: t.a, ci: t.ci };
  if (t.type === 'error') return { frame, error: t.error };
  if (t.type === 'alarm') return { frame, alarm: t.alarm };
  if (t.type === 'command') return { frame, records: t.records.map(rec) };
  const h = t.header;
  return {
    frame,
    header: { id: h.id, manufacturer: h.manufacturer, version: h.version, medium: h.mediumName, accessNumber: h.accessNumber, status: h.status, signature: h.signature },
    records: t.records.map(rec),
    ...(t.type === 'variable' && t.moreRecordsFollow ? { moreRecordsFollow: true } : {}),
  };
}

function printTable(t: Telegram, io: Io): void {
  const j = telegramJson(t);
  io.out(`C ${t.c.toString(16).padStart(2, '0')}  A ${t.a}  CI ${t.ci.toString(16).padStart(2, '0')}  (${t.type})`);
  if (t.type === 'error') {
    io.out(`application error ${t.error.code}: ${t.error.text} / ошибка прикладного уровня`);
    return;
  }
  if (t.type === 'alarm') {
    io.out(`alarm status ${t.alarm}`);
    return;
  }
  if (j.header) for (const [k, val] of Object.entries(j.header as Record<string, unknown>)) if (val !== undefined) io.out(`${k.padEnd(13)} ${String(val)}`);
  const bytes = (t.records as MbusRecord[]).filter((r) => r.dataType === 'bytes');
  const cell = (r: MbusRecord): string => (r.value === null ? '—' : r.dataType === 'bytes' ? `${String(r.value).split(' ').length} bytes ↓` : String(r.value));
  const rows = (t.records as MbusRecord[]).map((r, i) => [String(i), r.function.replace(' value', ''), String(r.storage), String(r.tariff), String(r.subunit), r.quantity, cell(r), r.unit, r.notes.join('; ')]);
  const head = ['#', 'function', 'st', 'ta', 'su', 'quantity', 'value', 'unit', 'notes'];
  const w = head.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (r: string[]): string => r.map((c, i) => (i === 6 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  io.out(line(head));
  for (const r of rows) io.out(line(r));
  for (const r of bytes) io.out(`${r.function} data / данные производителя: ${String(r.value)}`);
  if (t.type === 'variable' && t.moreRecordsFollow) io.out('(more records follow in the next telegram / продолжение в следующей телеграмме)');
}

export const mbusDecode: Command = {
  name: 'mbus decode',
  summary: 'decode a captured M-Bus telegram / разбор телеграммы M-Bus',
  help: `Usage: opengkh mbus decode <file|-> [--json | --table]

Decodes one M-Bus frame given as hex bytes (spaces and newlines allowed) from a file or stdin (-).
--table (default) prints header and records for people; --json prints
{"header": {"id", "manufacturer", …}, "records": [{"quantity", "unit", "value", "storage", "tariff", "subunit", "function"}, …]}.
A frame that does not decode exits 1 with the error code and the byte that is wrong.

Разбор телеграммы M-Bus из файла или stdin; при ошибке — код ошибки и номер байта, выход 1.`,
  options: { json: { type: 'boolean' }, table: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: ['file|-'] },
  async run(v, pos, io) {
    if (v.json && v.table) throw new UsageError('give only one of --json or --table');
    let text: string;
    try {
      text = readInput(pos[0]!);
    } catch (e) {
      io.err(`opengkh mbus decode: cannot read ${pos[0]}: ${(e as Error).message}`);
      return 1;
    }
    let t: Telegram;
    try {
      t = decodeTelegram(parseHex(text));
    } catch (e) {
      if (isGkhError(e)) {
        io.err(`opengkh mbus decode: ${e.code}: ${e.message}`);
        return 1;
      }
      throw e;
    }
    if (v.json) io.out(JSON.stringify(telegramJson(t), null, 2));
    else printTable(t, io);
    return 0;
  },
};
