/** The real `opengkh` binary as a child process: exit codes, help, config check, keygen. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;
const bin = join(root, 'bin/opengkh.js');
const dir = mkdtempSync(join(tmpdir(), 'gkh-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('opengkh CLI', () => {
  it('lists commands with --help and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('config check');
    expect(r.out).toContain('keygen');
  });

  it('gives each subcommand a --help', () => {
    for (const c of ['config check', 'keygen', 'run', 'demo']) {
      const r = cli(...c.split(' '), '--help');
      expect(r.code, c).toBe(0);
      expect(r.out, c).toMatch(/Usage: opengkh/);
    }
  });

  it('answers unknown commands and bad flags with one line and exit 2', () => {
    const a = cli('frobnicate');
    expect(a.code).toBe(2);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    const b = cli('config', 'check', '--nope', 'x');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--nope/);
    expect(b.err.trim().split('\n')).toHaveLength(1);
    const c = cli('config', 'check');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/missing argument <file>/);
  });

  it('config check passes an example and names the JSON path of a misspelled key', () => {
    const ok = cli('config', 'check', 'examples/mbus-single.json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ gatewayId: 'ekb-lenina-12' });
    const text = readFileSync(join(root, 'examples/mbus-single.json'), 'utf8').replace('"timeZone"', '"timezone"');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, text);
    const r = cli('config', 'check', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('/timezone: expected a known key (did you mean "timeZone"?), found unknown key "timezone"');
  });

  it('config check names line and column of a JSON syntax error', () => {
    const bad = join(dir, 'syntax.json');
    writeFileSync(bad, '{\n  "gatewayId": "x",\n  oops\n}');
    const r = cli('config', 'check', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 3, column 3/);
  });

  it('keygen writes a 0600 key, prints the fingerprint and refuses to overwrite', () => {
    const key = join(dir, 'keys/gw.key');
    const out = execFileSync(process.execPath, [bin, 'keygen', '--out', key], { encoding: 'utf8' });
    expect(out).toMatch(/fingerprint: ([0-9a-f]{4} ){15}[0-9a-f]{4}/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const again = cli('keygen', '--out', key);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/refusing to overwrite/);
  });
});
