/**
 * The embedded editor over HTTP: it never starts without credentials, the admin API needs a login, the
 * credential secret is made once (0600) in the keys dir, the flows file lands in the data dir, and a flow
 * deployed through the admin API reaches the gateway. Real Node-RED in this process, real sockets.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { freePort } from '../testing.js';
import { credentialSecret, startNodeRed, type RunningNodeRed } from './index.js';
import { TestGateway } from './test-gateway.js';

const nrRequire = createRequire(createRequire(import.meta.url).resolve('node-red'));
const bcrypt = nrRequire('bcryptjs') as { hashSync(pw: string, rounds: number): string };
const log = createLogger('test:nodered', () => undefined);
const dirs: string[] = [];
let running: RunningNodeRed | undefined;

afterAll(async () => {
  await running?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'opengkh-nr-'));
  dirs.push(d);
  return d;
}

function refused(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), res(false)));
    s.once('error', () => res(true));
  });
}

describe('startNodeRed', () => {
  it('refuses to start the editor without credentials or with a hash that is not bcrypt, and opens no port', async () => {
    const dir = tmp();
    const gw = new TestGateway({ gatewayId: 'gw', timeZone: 'UTC', dataDir: dir, buses: [], meters: [] });
    const port = await freePort();
    const base = { dataDir: dir, keysDir: join(dir, 'keys'), bind: '127.0.0.1', port, log };
    await expect(startNodeRed(gw, { ...base, adminAuth: undefined })).rejects.toMatchObject({ code: 'NODERED_NO_AUTH' });
    await expect(startNodeRed(gw, { ...base, adminAuth: { username: 'admin', passwordHash: '' } })).rejects.toMatchObject({ code: 'NODERED_NO_AUTH' });
    await expect(startNodeRed(gw, { ...base, adminAuth: { username: 'admin', passwordHash: 'scrypt$abc$def' } })).rejects.toMatchObject({ code: 'NODERED_AUTH_INVALID' });
    expect(await refused(port)).toBe(true);
    expect(existsSync(join(dir, 'keys', 'node-red-credential-secret'))).toBe(false);
  });

  it('keeps one credential secret per gateway, mode 0600', () => {
    const keys = join(tmp(), 'keys');
    const a = credentialSecret(keys);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(credentialSecret(keys)).toBe(a);
    expect(statSync(join(keys, 'node-red-credential-secret')).mode & 0o777).toBe(0o600);
  });

  it('serves the editor only after login; a flow deployed through the admin API configures the gateway', async () => {
    const dir = tmp();
    const gw = new TestGateway({ gatewayId: 'gw-edit', timeZone: 'Europe/Moscow', dataDir: dir, buses: [], meters: [] });
    const passwordHash = bcrypt.hashSync('монтажник-2026', 8);
    running = await startNodeRed(gw, { dataDir: dir, keysDir: join(dir, 'keys'), bind: '127.0.0.1', port: 0, adminAuth: { username: 'installer', passwordHash }, log });
    const url = running.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/admin\/$/);
    for (const path of ['flows', 'nodes', 'settings/user', 'opengkh/deploy', 'opengkh/schema']) expect((await fetch(url + path, { headers: { 'Node-RED-API-Version': 'v2' } })).status, path).toBe(401);
    // No public http-in routes, nothing outside /admin but a redirect to it.
    expect((await fetch(url.replace('/admin/', '/anything'))).status).toBe(404);

    const login = (password: string) =>
      fetch(`${url}auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username: 'installer', password }) });
    expect((await login('wrong')).status).toBe(403); // oauth2orize: invalid_grant
    const tokenRes = await login('монтажник-2026');
    expect(tokenRes.status).toBe(200);
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${token}`, 'Node-RED-API-Version': 'v2' };

    const nodes = (await (await fetch(`${url}nodes`, { headers: { ...auth, accept: 'application/json' } })).json()) as { module: string; types: string[] }[];
    expect(nodes.find((n) => n.module === 'opengkh-edge')?.types).toEqual(['gkh-bus', 'gkh-meter', 'gkh-regime', 'gkh-destination', 'gkh-readings', 'gkh-read', 'gkh-outdoor', 'gkh-status']);
    // Help in both languages.
    for (const lang of ['en-US', 'ru']) {
      const html = await (await fetch(`${url}nodes`, { headers: { ...auth, accept: 'text/html', 'accept-language': lang } })).text();
      expect(html).toContain('data-help-name="gkh-meter"');
      expect(html).toContain(lang === 'ru' ? 'Тепловычислитель на линии' : 'A heat meter (тепловычислитель) on a bus');
    }

    const flow = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../flows/tsrv-034-two-systems.json'), 'utf8')) as Record<string, unknown>[];
    const dest = flow.find((n) => n.id === 'b2f0000000000040')!;
    dest.credentials = { password: 'uk-broker-password' };
    const deploy = await fetch(`${url}flows`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify({ flows: flow }) });
    expect(deploy.status).toBe(200);
    const end = Date.now() + 15_000;
    while (gw.applied.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(gw.applied).toHaveLength(1);
    expect(gw.config.meters.map((m) => [m.id, m.heatSystems.length])).toEqual([['tsrv-034', 2]]);
    expect(gw.config.destinations[0]!.password).toBe('uk-broker-password');
    const result = (await (await fetch(`${url}opengkh/deploy`, { headers: auth })).json()) as { state: string };
    expect(result.state).toBe('applied');
    // The gateway handle is a runtime setting only: the editor's settings and the flows API never carry it or its secrets.
    for (const path of ['settings', 'flows']) {
      const text = await (await fetch(url + path, { headers: auth })).text();
      expect(text, path).not.toContain('opengkhGateway');
      expect(text, path).not.toContain('uk-broker-password');
      expect(text, path).not.toContain(passwordHash);
    }

    // Flows in the data dir; credentials there encrypted with the secret from the keys dir.
    expect(existsSync(join(dir, 'node-red', 'flows.json'))).toBe(true);
    const cred = readFileSync(join(dir, 'node-red', 'flows_cred.json'), 'utf8');
    expect(cred).not.toContain('uk-broker-password');
    expect(JSON.parse(cred)).toHaveProperty('$');
  });
});
