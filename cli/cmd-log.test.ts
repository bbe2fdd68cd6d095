/** `opengkh log …` through the real binary (build first: npx tsc -p .). */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateKey } from '../edge/keys/index.js';
import { hourlyEntry, leafHash, parseCheckpoint, parseVkey, verifyConsistency, verifyInclusion, verifyNote } from '../edge/log/index.js';
import { EvidenceLog, openDb } from '../edge/store/index.js';

const root = new URL('../', import.meta.url).pathname;
const bin = join(root, 'bin/opengkh.js');
const dir = mkdtempSync(join(tmpdir(), 'gkh-cli-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const entry = (i: number) =>
  hourlyEntry(
    'ekb-lenina-12',
    { meterId: 'heat-1', system: 1, hourStart: 1767225600 + i * 3600, values: { Q: { value: Number(`${1000 + i}e-5`), unit: 'Gcal' }, t1: { value: 70.12, unit: '°C' } }, flags: [], source: 'archive', rawFrames: ['68 16'], readAt: (1767225600 + i * 3600 + 3665) * 1000 },
    'Asia/Yekaterinburg',
    (1767225600 + i * 3600 + 3670) * 1000,
  );

let cfgFile = '';
let vkey = '';
/** Makes a fresh gateway data dir with a 50-entry log (5 batches, a checkpoint each); returns the db path. */
function makeGateway(name: string): string {
  const dataDir = join(dir, name);
  const { key } = loadOrCreateKey(join(dataDir, 'keys/gateway.key'));
  const file = join(dataDir, 'gateway.db');
  const db = openDb(file);
  const log = EvidenceLog.open(db, { gatewayId: 'ekb-lenina-12', privateKey: key.privateKey });
  for (let b = 0; b < 5; b++) {
    log.append(Array.from({ length: 10 }, (_, i) => entry(b * 10 + i)));
    log.checkpoint();
  }
  vkey = log.vkey;
  db.close();
  return file;
}

beforeAll(() => {
  const dbFile = makeGateway('gw');
  const cfg = JSON.parse(readFileSync(join(root, 'examples/mbus-single.json'), 'utf8')) as Record<string, unknown>;
  cfg.dataDir = join(dir, 'gw');
  delete cfg.$schema;
  cfgFile = join(dir, 'gateway.json');
  writeFileSync(cfgFile, JSON.stringify(cfg));
  void dbFile;
});

describe('opengkh log', () => {
  it('vkey from the config and from the database agree; checkpoint prints a note that verifies with it', () => {
    const a = cli('log', 'vkey', '--config', cfgFile);
    expect(a.code, a.err).toBe(0);
    expect(a.out.trim()).toBe(vkey);
    expect(a.out.trim()).toMatch(/^opengkh\.org\/gw\/ekb-lenina-12\+[0-9a-f]{8}\+A/);
    expect(cli('log', 'vkey', '--db', join(dir, 'gw/gateway.db')).out.trim()).toBe(vkey);
    const c = cli('log', 'checkpoint', '--config', cfgFile);
    expect(c.code, c.err).toBe(0);
    const body = parseCheckpoint(verifyNote(c.out, [parseVkey(vkey).verifier]).text);
    expect(body).toMatchObject({ origin: 'opengkh.org/gw/ekb-lenina-12', size: 50 });
  });

  it('verify passes an intact log (config key, pinned key, key from the db)', () => {
    const a = cli('log', 'verify', '--config', cfgFile);
    expect(a.code, a.out + a.err).toBe(0);
    expect(a.out).toMatch(/log OK .*50 entries, 5 checkpoints verified/);
    expect(cli('log', 'verify', '--db', join(dir, 'gw/gateway.db'), '--vkey', vkey).code).toBe(0);
    const c = cli('log', 'verify', '--db', join(dir, 'gw/gateway.db'));
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/not pinned/);
  });

  it('prove: inclusion proof JSON checks against the signed checkpoint', () => {
    const r = cli('log', 'prove', '--index', '23', '--config', cfgFile);
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out) as { index: number; size: number; entry: string; leafHash: string; proof: string[]; root: string; checkpoint: string };
    expect(p).toMatchObject({ index: 23, size: 50 });
    const cp = parseCheckpoint(verifyNote(p.checkpoint, [parseVkey(vkey).verifier]).text);
    expect(leafHash(Buffer.from(p.entry, 'utf8')).toString('hex')).toBe(p.leafHash);
    verifyInclusion(23, 50, Buffer.from(p.leafHash, 'hex'), p.proof.map((h) => Buffer.from(h, 'hex')), cp.root);
    expect(JSON.parse(p.entry)).toMatchObject({ type: 'hourly', body: { hourStart: '2026-01-01T23:00:00.000Z' } });
    expect(cli('log', 'prove', '--index', '50', '--config', cfgFile).code).toBe(1);
    expect(cli('log', 'prove', '--config', cfgFile).code).toBe(2);
  });

  it('consistency between two stored checkpoints, and from a saved checkpoint note', () => {
    const r = cli('log', 'consistency', '10', '50', '--config', cfgFile);
    expect(r.code, r.err).toBe(0);
    const c = JSON.parse(r.out) as { size1: number; size2: number; root1: string; root2: string; proof: string[] };
    verifyConsistency(10, 50, Buffer.from(c.root1, 'hex'), Buffer.from(c.root2, 'hex'), c.proof.map((h) => Buffer.from(h, 'hex')));
    const note = join(dir, 'cp20.note');
    expect(cli('log', 'checkpoint', '--config', cfgFile, '--size', '20', '--out', note).code).toBe(0);
    const r2 = cli('log', 'consistency', note, '50', '--config', cfgFile);
    expect(r2.code, r2.err).toBe(0);
    expect(JSON.parse(r2.out)).toMatchObject({ size1: 20, size2: 50, consistent: true });
    // A note whose signature fails is refused.
    writeFileSync(note, readFileSync(note, 'utf8').replace('\n20\n', '\n21\n'));
    expect(cli('log', 'consistency', note, '50', '--config', cfgFile).code).toBe(1);
  });

  it('export, then verify the export elsewhere; a changed export line fails naming the index', () => {
    const out = join(dir, 'export.jsonl');
    const e = cli('log', 'export', '--config', cfgFile, '--out', out);
    expect(e.code, e.err).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBe(1 + 5 + 50);
    expect(cli('log', 'verify', '--export', out, '--vkey', vkey).code).toBe(0);
    lines[1 + 5 + 7] = lines[1 + 5 + 7]!.replace('70.12', '70.13');
    writeFileSync(out, lines.join('\n') + '\n');
    const v = cli('log', 'verify', '--export', out, '--vkey', vkey);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/first bad index 7\b/);
  });

  describe('verify names the first bad index of a database tampered through the sqlite3 CLI', () => {
    const tampered = (name: string, sql: string) => {
      const file = makeGateway(name);
      execFileSync('sqlite3', [file, sql]);
      return cli('log', 'verify', '--db', file, '--vkey', vkey);
    };

    it('one byte changed in entry 23', () => {
      const r = tampered('t1', `DROP TRIGGER log_entries_no_update; UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), '"hourStart":"2026-01-01T23:', '"hourStart":"2026-01-01T22:') AS BLOB) WHERE idx = 23;`);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/log FAILED .*first bad index 23\n/);
      expect(r.out).toMatch(/entry 23 does not match its stored leaf hash/);
    });

    it('entry 17 deleted', () => {
      const r = tampered('t2', 'DROP TRIGGER log_entries_no_delete; DELETE FROM log_entries WHERE idx = 17;');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/first bad index 17\n/);
      expect(r.out).toMatch(/entry 17 is missing/);
    });

    it('entries 31 and 38 swapped', () => {
      const r = tampered(
        't3',
        `DROP TRIGGER log_entries_no_update;
         UPDATE log_entries SET entry = CASE idx WHEN 31 THEN (SELECT entry FROM log_entries WHERE idx = 38) ELSE (SELECT entry FROM log_entries WHERE idx = 31) END WHERE idx IN (31, 38);`,
      );
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/first bad index 31\n/);
    });

    it('a checkpoint note altered', () => {
      const r = tampered('t4', `DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = replace(note, 'ekb-lenina-12', 'ekb-lenina-13') WHERE size = 30;`);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/somewhere in \[20, 30\)/);
    });
  });
});
