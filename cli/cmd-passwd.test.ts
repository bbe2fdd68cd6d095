/** `opengkh passwd` as a child process: the password comes from stdin, never from argv. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPassword } from '../edge/status/index.js';

const root = new URL('../', import.meta.url).pathname;
const bin = join(root, 'bin/opengkh.js');
const passwd = (input: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, 'passwd', ...args], { input, encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('opengkh passwd', () => {
  it('prints a scrypt hash of the first stdin line that checks against it, with a fresh salt each time', () => {
    const a = passwd('тепло узел 12\nignored second line\n');
    expect(a.code, a.err).toBe(0);
    const hash = a.out.trim();
    expect(hash).toMatch(/^scrypt\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(checkPassword('тепло узел 12', hash)).toBe(true);
    expect(checkPassword('ignored second line', hash)).toBe(false);
    expect(passwd('тепло узел 12\n').out.trim()).not.toBe(hash);
  });

  it('prints the basicAuth object with --user', () => {
    const r = passwd('correct horse\r\n', '--user', 'tech');
    expect(r.code, r.err).toBe(0);
    const o = JSON.parse(r.out) as { username: string; passwordHash: string };
    expect(o.username).toBe('tech');
    expect(checkPassword('correct horse', o.passwordHash)).toBe(true);
  });

  it('refuses a password on the command line (exit 2) and a short one (exit 1)', () => {
    const argv = passwd('', 'secret-password');
    expect(argv.code).toBe(2);
    expect(argv.out).toBe('');
    const short = passwd('short\n');
    expect(short.code).toBe(1);
    expect(short.err).toMatch(/shorter than 8/);
    expect(short.out).toBe('');
  });
});
