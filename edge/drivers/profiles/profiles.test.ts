import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listProfiles, loadProfile, profilesDir, validateProfile } from './index.js';

const read = (name: string) => JSON.parse(readFileSync(join(profilesDir(), `${name}.json`), 'utf8')) as Record<string, unknown>;

describe('device profiles', () => {
  it('every profile file passes the schema and the lint, and names its sources', () => {
    const names = listProfiles();
    expect(names).toEqual(expect.arrayContaining(['karat-307', 'landis-uh50', 'vzljot-tsrv-034']));
    for (const n of names) {
      const p = loadProfile(n);
      expect(p.name).toBe(n);
      expect(p.sources.length).toBeGreaterThan(0);
    }
  });

  it('fills schema defaults (register word/byte order, role)', () => {
    const r = loadProfile('vzljot-tsrv-034').registers![0]!;
    expect(r).toMatchObject({ wordOrder: 'BE', byteOrder: 'BE', role: 'serial', system: 1 });
  });

  const bad: [string, (p: Record<string, unknown>) => void, RegExp][] = [
    ['unknown key', (p) => (p.colour = 'red'), /\/colour/],
    ['file name mismatch', (p) => (p.name = 'other'), /must equal the file name/],
    ['field beyond the record', (p) => ((p.tsrvArchive as { fields: { offset: number }[] }).fields[0]!.offset = 42), /beyond recordLength 44/],
    ['source not cited', (p) => ((p.tsrvArchive as { source: string }).source = 'somewhere'), /names no source id/],
    ['too many records per frame', (p) => ((p.tsrvArchive as { maxRecordsPerRequest: number }).maxRecordsPerRequest = 6), /would not fit one RTU frame/],
    ['missing protocol block', (p) => delete p.tsrvArchive, /\/tsrvArchive: required for protocol "tsrv"/],
    ['bad register type', (p) => ((p.registers as { type: string }[])[0]!.type = 'int24'), /\/registers\/0\/type/],
  ];
  for (const [what, change, msg] of bad)
    it(`rejects: ${what} (PROFILE_INVALID naming the path)`, () => {
      const p = read('vzljot-tsrv-034');
      change(p);
      expect(() => validateProfile(p, 'vzljot-tsrv-034.json')).toThrow(expect.objectContaining({ code: 'PROFILE_INVALID', message: expect.stringMatching(msg) }));
    });

  it('an unknown profile name lists the known ones', () => {
    expect(() => loadProfile('no-such-meter')).toThrow(expect.objectContaining({ code: 'PROFILE_NOT_FOUND', message: expect.stringContaining('karat-307') }));
  });
});
