/**
 * `opengkh log …`: check, prove and export the evidence log. Every subcommand takes the gateway
 * config (`--config`: database and key from it) or a database file (`--db`); the database is opened
 * read-only. Verifier keys: `--vkey` (repeatable) pins them; otherwise the gateway key from the
 * config, otherwise the key recorded in the database itself (said so in the output: a pinned key
 * is the real check).
 */
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { dataPath, dbPath, loadConfig, type GatewayConfig } from '../edge/config/index.js';
import { GkhError } from '../edge/errors.js';
import { loadKeyFile } from '../edge/keys/index.js';
import {
  formatVkey,
  leafHash,
  originFor,
  parseCheckpoint,
  parseVkey,
  SIG_ED25519,
  verifyConsistency,
  verifyInclusion,
  verifyNote,
} from '../edge/log/index.js';
import { EvidenceLog, openDb, storedVkeys, verifyLogData, type Db } from '../edge/store/index.js';
import { int, str, UsageError, type Command, type Options, type Values } from './command.js';

const common: Options = {
  config: { type: 'string', short: 'c' },
  db: { type: 'string' },
  vkey: { type: 'string', multiple: true },
};

const TARGET_HELP = `  --config <file>   gateway config: database <dataDir>/gateway.db, key keys.signingKey
  --db <file>       a gateway.db directly (e.g. a copy taken from site)
  --vkey <key>      verifier key to trust (repeatable), e.g. from \`opengkh log vkey\` on site;
                    default: the config's key, else the key recorded in the database`;

interface Target {
  dbFile: string;
  cfg?: GatewayConfig;
  vkeys: string[];
  /** Where the verifier keys came from, for the output. */
  keySource: string;
}

const GW_PREFIX = 'opengkh.org/gw/';

function vkeysOf(v: Values): string[] {
  const x = v.vkey;
  const list = Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : typeof x === 'string' ? [x] : [];
  for (const k of list) parseVkey(k);
  return list;
}

/** Resolves --config / --db and the verifier keys. */
function target(v: Values, needDb = true): Target {
  const cfgFile = str(v, 'config');
  const dbFile = str(v, 'db');
  if ((cfgFile === undefined) === (dbFile === undefined)) throw new UsageError('give exactly one of --config or --db');
  const pinned = vkeysOf(v);
  if (cfgFile !== undefined) {
    const cfg = loadConfig(cfgFile);
    const file = dbPath(cfg);
    if (needDb && !existsSync(file)) throw new GkhError('STORE_OPEN', `no database at ${file} / база данных не найдена`, { file });
    if (pinned.length > 0) return { dbFile: file, cfg, vkeys: pinned, keySource: '--vkey' };
    const key = loadKeyFile(dataPath(cfg, cfg.keys.signingKey));
    return { dbFile: file, cfg, vkeys: [formatVkey(originFor(cfg.gatewayId), SIG_ED25519, key.publicRaw)], keySource: 'the gateway key of the config' };
  }
  if (!existsSync(dbFile!)) throw new GkhError('STORE_OPEN', `no database at ${dbFile} / база данных не найдена`, { file: dbFile });
  if (pinned.length > 0) return { dbFile: dbFile!, vkeys: pinned, keySource: '--vkey' };
  const db = openDb(dbFile!, { readonly: true });
  try {
    const stored = storedVkeys(db);
    if (stored.length === 0) throw new GkhError('LOG_VKEY', 'the database records no verifier key; pass --vkey / в базе нет ключа проверки, укажите --vkey');
    return { dbFile: dbFile!, vkeys: stored, keySource: 'the key recorded in the database (not pinned: pass --vkey to check against a known key)' };
  } finally {
    db.close();
  }
}

function gatewayIdOf(t: Target): string {
  if (t.cfg) return t.cfg.gatewayId;
  const name = parseVkey(t.vkeys[0]!).name;
  if (!name.startsWith(GW_PREFIX)) throw new GkhError('LOG_VKEY', `verifier key name ${name} is not a gateway log origin (${GW_PREFIX}<gatewayId>)`);
  return name.slice(GW_PREFIX.length);
}

function withLog<T>(t: Target, f: (log: EvidenceLog, db: Db) => T): T {
  const db = openDb(t.dbFile, { readonly: true });
  try {
    return f(EvidenceLog.open(db, { gatewayId: gatewayIdOf(t), previousVkeys: t.vkeys }), db);
  } finally {
    db.close();
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export const logVerify: Command = {
  name: 'log verify',
  summary: 'recompute the evidence log and check every checkpoint / проверить журнал',
  help: `Usage: opengkh log verify (--config <file> | --db <file> | --export <file>) [--vkey <key>...] [--json]

Recomputes every leaf hash from the stored entry bytes, checks that indices are contiguous and
entries are canonical JSON, rebuilds the RFC 6962 tree and checks each signed checkpoint
(signature, origin, size, root). Stops at the first problem and names the first bad index.
Exit 0: the log is intact; 1: it is not.

${TARGET_HELP}
  --export <file>   check an export made by \`opengkh log export\` (needs --vkey)
  --json            print the report as JSON

Пересчитывает журнал и проверяет все контрольные точки; называет первую испорченную запись.`,
  options: { ...common, export: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, _pos, io) {
    const exportFile = str(values, 'export');
    let report;
    let keySource: string;
    if (exportFile !== undefined) {
      if (str(values, 'config') !== undefined || str(values, 'db') !== undefined) throw new UsageError('--export goes without --config/--db');
      const vkeys = vkeysOf(values);
      if (vkeys.length === 0) throw new UsageError('--export needs --vkey (the gateway key you trust)');
      const data = await readExport(exportFile);
      if (data.from !== 0) throw new GkhError('LOG_STATE', `export starts at index ${data.from}; verification needs a full export (--from 0)`);
      report = verifyLogData(data.rows, data.checkpoints, vkeys);
      keySource = '--vkey';
    } else {
      const t = target(values);
      keySource = t.keySource;
      const db = openDb(t.dbFile, { readonly: true });
      try {
        const cps = db.prepare('SELECT size, root, note FROM checkpoints ORDER BY size').all() as { size: number; root: Buffer; note: string }[];
        const rows = db.prepare('SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx').iterate() as IterableIterator<{ idx: number; entry: Buffer; leaf_hash: Buffer }>;
        report = verifyLogData(rows, cps, t.vkeys);
      } finally {
        db.close();
      }
    }
    if (values.json === true) io.out(JSON.stringify({ ...report, keySource }, null, 2));
    else if (report.ok) {
      io.out(`log OK / журнал в порядке: ${report.size} entries, ${report.checkpoints} checkpoints verified, root ${report.root}`);
      if (report.uncovered > 0) io.out(`note: ${report.uncovered} entries after the latest checkpoint are not yet covered by a signature`);
      io.out(`keys: ${keySource}`);
    } else {
      const fb = report.firstBad!;
      const where = fb.rangeEnd !== undefined ? `somewhere in [${fb.index}, ${fb.rangeEnd}) (entries and leaf hashes rewritten together; only the checkpoint shows it)` : `${fb.index}`;
      io.out(`log FAILED / журнал повреждён: first bad index ${where}`);
      io.out(`reason: ${fb.reason}`);
      io.out(`checked before it: ${report.size} entries, ${report.checkpoints} checkpoints; keys: ${keySource}`);
    }
    return report.ok ? 0 : 1;
  },
};

export const logProve: Command = {
  name: 'log prove',
  summary: 'inclusion proof of one entry as JSON / доказательство включения записи',
  help: `Usage: opengkh log prove --index <n> (--config <file> | --db <file>) [--size <s>] [--vkey <key>...]

Prints, as JSON, entry <n> (its canonical JSON text), its leaf hash, the RFC 6962 inclusion proof
(hashes bottom-up, hex) for the tree of <s> entries and that tree's root, with the signed checkpoint
note of that size when there is one. Default size: the latest checkpoint's (if it covers the entry),
else the current size. The proof is checked before it is printed.

${TARGET_HELP}

Печатает запись, её хеш и доказательство включения в дерево с подписанной контрольной точкой.`,
  options: { ...common, index: { type: 'string', short: 'i' }, size: { type: 'string' } },
  async run(values, _pos, io) {
    const index = int(values, 'index');
    if (index === undefined) throw new UsageError('--index is required');
    const t = target(values);
    const out = withLog(t, (log) => {
      if (index < 0 || index >= log.size) throw new GkhError('LOG_PROOF', `index ${index} is outside the log of ${log.size} entries`, { index, size: log.size });
      const latest = log.latestCheckpoint();
      const size = int(values, 'size') ?? (latest && latest.size > index ? latest.size : log.size);
      if (size <= index || size > log.size) throw new UsageError(`--size must be above ${index} and at most ${log.size}`);
      const entry = log.entriesRange(index, index + 1)[0]!;
      const lh = leafHash(entry);
      const proof = log.inclusionProof(index, size);
      const root = log.rootAt(size);
      verifyInclusion(index, size, lh, proof, root);
      const cp = log.checkpointAt(size);
      return { origin: log.origin, index, size, entry: entry.toString('utf8'), leafHash: hex(lh), proof: proof.map(hex), root: hex(root), checkpoint: cp?.note ?? null };
    });
    io.out(JSON.stringify(out, null, 2));
    return 0;
  },
};

export const logExport: Command = {
  name: 'log export',
  summary: 'entries and checkpoints as JSON Lines / выгрузка журнала',
  help: `Usage: opengkh log export (--config <file> | --db <file>) [--from <n>] [--to <m>] [--out <file>]

Writes JSON Lines: a header {"format":"opengkh-log-export/1","origin","vkeys","size","from","to"},
then each checkpoint {"checkpoint":{"size","root","note"}} with size ≤ <m>, then each entry
{"index","leafHash","entry"} for indices [<n>, <m>) where "entry" is the canonical JSON text (its
UTF-8 bytes are what was hashed). Check it elsewhere with \`opengkh log verify --export <file> --vkey …\`.

${TARGET_HELP}
  --out <file>      write there instead of stdout

Выгружает записи и контрольные точки для проверки в другом месте.`,
  options: { ...common, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string', short: 'o' } },
  async run(values, _pos, io) {
    const t = target(values);
    const outFile = str(values, 'out');
    const db = openDb(t.dbFile, { readonly: true });
    try {
      const size = ((db.prepare('SELECT MAX(idx) AS m FROM log_entries').get() as { m: number | null }).m ?? -1) + 1;
      const from = int(values, 'from') ?? 0;
      const to = int(values, 'to') ?? size;
      if (from < 0 || to < from || to > size) throw new UsageError(`need 0 ≤ --from ≤ --to ≤ ${size}`);
      const origin = parseVkey(t.vkeys[0]!).name;
      const lines: string[] = [];
      const stream = outFile ? createWriteStream(outFile) : undefined;
      const emit = (o: unknown) => {
        const s = JSON.stringify(o);
        if (stream) stream.write(s + '\n');
        else lines.push(s);
      };
      emit({ format: 'opengkh-log-export/1', origin, vkeys: t.vkeys, size, from, to });
      for (const c of db.prepare('SELECT size, root, note FROM checkpoints WHERE size <= ? ORDER BY size').iterate(to) as IterableIterator<{ size: number; root: Buffer; note: string }>) {
        emit({ checkpoint: { size: c.size, root: hex(c.root), note: c.note } });
      }
      for (const r of db.prepare('SELECT idx, entry, leaf_hash FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx').iterate(from, to) as IterableIterator<{ idx: number; entry: Buffer; leaf_hash: Buffer }>) {
        emit({ index: r.idx, leafHash: hex(r.leaf_hash), entry: r.entry.toString('utf8') });
      }
      if (stream) await new Promise<void>((res, rej) => stream.end((e?: Error | null) => (e ? rej(e) : res())));
      else if (lines.length > 0) io.out(lines.join('\n'));
      if (outFile) io.err(`exported entries [${from}, ${to}) of ${size} to ${outFile}`);
    } finally {
      db.close();
    }
    return 0;
  },
};

/** Reads an export file back (for `log verify --export`). */
async function readExport(file: string): Promise<{ from: number; rows: { idx: number; entry: Buffer; leaf_hash: Buffer }[]; checkpoints: { size: number; root: Buffer; note: string }[] }> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let header: { format?: string; from?: number } | undefined;
  const rows: { idx: number; entry: Buffer; leaf_hash: Buffer }[] = [];
  const checkpoints: { size: number; root: Buffer; note: string }[] = [];
  let line = 0;
  for await (const l of rl) {
    line++;
    if (l.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(l) as Record<string, unknown>;
    } catch (e) {
      throw new GkhError('LOG_ENTRY_INVALID', `${file}:${line}: not JSON: ${(e as Error).message}`, { line });
    }
    if (!header) {
      if (o.format !== 'opengkh-log-export/1') throw new GkhError('LOG_ENTRY_INVALID', `${file}:1: not an opengkh log export (format ${JSON.stringify(o.format)})`, { line });
      header = o as { format?: string; from?: number };
    } else if (o.checkpoint) {
      const c = o.checkpoint as { size: number; root: string; note: string };
      checkpoints.push({ size: c.size, root: Buffer.from(c.root, 'hex'), note: c.note });
    } else {
      rows.push({ idx: o.index as number, entry: Buffer.from(o.entry as string, 'utf8'), leaf_hash: Buffer.from(o.leafHash as string, 'hex') });
    }
  }
  if (!header) throw new GkhError('LOG_ENTRY_INVALID', `${file}: empty export`);
  return { from: header.from ?? 0, rows, checkpoints };
}

/** A checkpoint argument: a size (looked up in the database) or a file with a signed note. */
function checkpointArg(arg: string, log: EvidenceLog, vkeys: string[]): { size: number; root: Buffer; note?: string } {
  if (/^\d+$/.test(arg)) {
    const size = Number(arg);
    const cp = log.checkpointAt(size);
    if (cp) return { size, root: cp.root, note: cp.note };
    if (size > log.size) throw new GkhError('LOG_PROOF', `size ${size} is beyond the log of ${log.size}`, { size });
    return { size, root: log.rootAt(size) };
  }
  if (!existsSync(arg)) throw new UsageError(`"${arg}" is neither a tree size nor a checkpoint file`);
  const note = readFileSync(arg, 'utf8');
  const body = parseCheckpoint(verifyNote(note, vkeys.map((k) => parseVkey(k).verifier)).text);
  return { size: body.size, root: body.root, note };
}

export const logConsistency: Command = {
  name: 'log consistency',
  summary: 'consistency proof between two checkpoints / доказательство согласованности',
  help: `Usage: opengkh log consistency <old> <new> (--config <file> | --db <file>) [--vkey <key>...]

<old> and <new> are tree sizes (checkpoints stored in the database) or files holding signed
checkpoint notes (e.g. ones a receiver kept); notes are checked against the verifier keys. Prints
the RFC 6962 consistency proof (hex, bottom-up) with both roots as JSON after checking it: the
newer log contains the older one unchanged. Exit 1 when it does not.

${TARGET_HELP}

Доказывает, что новая версия журнала продолжает старую без изменений.`,
  options: { ...common },
  positionals: { min: 2, max: 2, names: ['old', 'new'] },
  async run(values, pos, io) {
    const t = target(values);
    const out = withLog(t, (log) => {
      const a = checkpointArg(pos[0]!, log, t.vkeys);
      const b = checkpointArg(pos[1]!, log, t.vkeys);
      if (b.size > log.size) throw new GkhError('LOG_PROOF', `checkpoint of ${b.size} entries is beyond this log of ${log.size}: it is not from this database`, { size: b.size });
      if (a.size > b.size) throw new UsageError('<old> must not be larger than <new>');
      const here = log.rootAt(b.size);
      if (!here.equals(b.root)) throw new GkhError('LOG_PROOF', `the log's root at size ${b.size} is ${hex(here)}, the checkpoint says ${hex(b.root)}`, { expected: hex(b.root), calculated: hex(here) });
      const proof = log.consistencyProof(a.size, b.size);
      verifyConsistency(a.size, b.size, a.root, b.root, proof);
      return { origin: log.origin, size1: a.size, size2: b.size, root1: hex(a.root), root2: hex(b.root), proof: proof.map(hex), consistent: true };
    });
    io.out(JSON.stringify(out, null, 2));
    return 0;
  },
};

export const logCheckpoint: Command = {
  name: 'log checkpoint',
  summary: 'print the latest signed checkpoint / последняя контрольная точка',
  help: `Usage: opengkh log checkpoint (--config <file> | --db <file>) [--size <s>] [--out <file>]

Prints the latest signed checkpoint note (C2SP tlog-checkpoint in signed-note form), or the one
of <s> entries. Verify it with \`opengkh log vkey\` output in any C2SP note tool.

${TARGET_HELP}

Печатает последнюю подписанную контрольную точку.`,
  options: { ...common, size: { type: 'string' }, out: { type: 'string', short: 'o' } },
  async run(values, _pos, io) {
    const t = target(values);
    const size = int(values, 'size');
    const db = openDb(t.dbFile, { readonly: true });
    let note: string | undefined;
    try {
      const r = (size === undefined ? db.prepare('SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1').get() : db.prepare('SELECT note FROM checkpoints WHERE size = ?').get(size)) as { note: string } | undefined;
      note = r?.note;
    } finally {
      db.close();
    }
    if (note === undefined) {
      io.err(size === undefined ? 'no checkpoint yet / контрольных точек ещё нет' : `no checkpoint of size ${size}`);
      return 1;
    }
    verifyNote(note, t.vkeys.map((k) => parseVkey(k).verifier));
    const outFile = str(values, 'out');
    if (outFile) writeFileSync(outFile, note);
    else io.out(note.replace(/\n$/, ''));
    return 0;
  },
};

export const logVkey: Command = {
  name: 'log vkey',
  summary: "print the gateway's verifier key / ключ проверки шлюза",
  help: `Usage: opengkh log vkey (--config <file> | --db <file>)

Prints the gateway's verifier key in signed-note form, <name>+<key id>+<base64(0x01 || key)>,
e.g. opengkh.org/gw/ekb-lenina-12+1a2b3c4d+AX…; give it to the УК and РСО so they can check
checkpoints with any C2SP note tool. With --db: the key recorded in the database (with rotations,
all keys, newest last).

Печатает ключ проверки шлюза в формате signed-note.`,
  options: { config: common.config!, db: common.db! },
  async run(values, _pos, io) {
    const t = target(values, false);
    for (const k of t.vkeys) io.out(k);
    return 0;
  },
};

export const logCommands: Command[] = [logVerify, logProve, logExport, logConsistency, logCheckpoint, logVkey];
