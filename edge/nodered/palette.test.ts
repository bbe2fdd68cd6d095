/**
 * The package as a plain Node-RED 4.x palette module: a separate `node-red` process whose userDir has the
 * package under node_modules (what `npm install <this folder>` makes: a symlink). Its package.json
 * `node-red` section names the CommonJS entry; no gateway runs there, so a deploy is validated only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing.js';
import { packageRoot } from './index.js';

const redJs = join(resolve(createRequire(import.meta.url).resolve('node-red/package.json'), '..'), 'red.js');
let dir: string;
let proc: ChildProcess;
let base: string;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opengkh-palette-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(packageRoot(), join(dir, 'node_modules', 'opengkh-edge'), 'dir');
  writeFileSync(join(dir, 'settings.js'), `module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false, telemetry: { enabled: false, updateNotification: false }, diagnostics: { enabled: false }, logging: { console: { level: 'info' } } };\n`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}/`;
  proc = spawn(process.execPath, [redJs, '--userDir', dir, '--settings', join(dir, 'settings.js'), '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const end = Date.now() + 45_000;
  while (!output.includes('Server now running') && Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`node-red exited ${proc.exitCode}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!output.includes('Server now running')) throw new Error(`node-red did not start:\n${output}`);
}, 60_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('opengkh-edge in a plain Node-RED 4.x', () => {
  it('loads every gkh node from the package.json node-red section, with the editor half and help', async () => {
    const list = (await (await fetch(`${base}nodes`, { headers: { accept: 'application/json' } })).json()) as { module: string; types: string[]; enabled: boolean; loaded?: boolean; err?: string }[];
    const set = list.find((n) => n.module === 'opengkh-edge');
    expect(set, output).toMatchObject({ enabled: true, types: ['gkh-bus', 'gkh-meter', 'gkh-regime', 'gkh-destination', 'gkh-readings', 'gkh-read', 'gkh-outdoor', 'gkh-status'] });
    expect(set?.err).toBeUndefined();
    const html = await (await fetch(`${base}nodes`, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('data-template-name="gkh-meter"');
    expect(html).toContain('data-help-name="gkh-readings"');
  });

  it('validates a deployed flow with the gateway schema and says no gateway runs here', async () => {
    const before = ((await (await fetch(`${base}opengkh/deploy`)).json()) as { seq?: number } | null)?.seq ?? 0;
    const flow = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../flows/two-meters-rs485-optical.json'), 'utf8')) as unknown[];
    const r = await fetch(`${base}flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flow) });
    expect(r.status).toBe(204);
    const end = Date.now() + 15_000;
    let result: { state?: string; seq?: number } | null = null;
    while (Date.now() < end) {
      result = (await (await fetch(`${base}opengkh/deploy`)).json()) as { state?: string; seq?: number } | null;
      if ((result?.seq ?? 0) > before) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(result?.state).toBe('valid');
    expect(output).toContain('config valid; no gateway runs in this Node-RED');
  });
});
