/**
 * The real editor in headless Chromium against the real gateway runtime (edge/gateway.ts with the driver
 * registry): log in, import the ТСРВ-034 flow from flows/ through the Import dialog (only the serial port
 * changed, as an installer would), Deploy, and check the gateway runs the flow's config, logged it as a
 * config.change entry, and polls the simulated ТСРВ-034 on the other end of a socat pty pair; its hourly
 * records reach the editor's Debug sidebar through gkh-readings. Then a broken flow: the gateway keeps its
 * config and the editor shows the problems.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../bus.js';
import { driverFactory } from '../../cli/cmd-run.js';
import { validateConfig } from '../config/index.js';
import { openTransport } from '../drivers/index.js';
import { loadProfile } from '../drivers/profiles/index.js';
import { RtuServer } from '../drivers/sim/rtu-server.js';
import { socatPair, type PtyPair } from '../drivers/transport/socat.js';
import { TsrvSimulator } from '../drivers/tsrv/sim.js';
import { configHash, Gateway, setTransportFactory } from '../gateway.js';
import { createLogger } from '../logger.js';
import { startNodeRed, type RunningNodeRed } from './index.js';

const nrRequire = createRequire(createRequire(import.meta.url).resolve('node-red'));
const bcrypt = nrRequire('bcryptjs') as { hashSync(pw: string, rounds: number): string };
const flowsDir = resolve(import.meta.dirname, '../../flows');
const PASSWORD = 'пароль-монтажника';

let dir: string;
let gateway: Gateway;
let editor: RunningNodeRed;
let browser: BrowserContext;
let page: Page;
let pty: PtyPair;
let sim: RtuServer;
const events: GatewayEvent[] = [];
const polls: { meterId: string; ok: boolean }[] = [];
let hourly = 0;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opengkh-editor-'));
  const log = createLogger('test', () => undefined);
  setTransportFactory((bus) => openTransport(bus));
  pty = await socatPair();
  sim = new RtuServer([new TsrvSimulator({ profile: loadProfile('vzljot-tsrv-034'), address: 1, timeZone: 'Asia/Yekaterinburg', depthHours: 1104 })]);
  await sim.listen({ serial: pty.b, baudRate: 9600 });
  const cfg = validateConfig({ gatewayId: 'gw-browser', timeZone: 'Asia/Yekaterinburg', dataDir: dir, buses: [], meters: [], nodeRed: { enabled: true, port: 0, adminAuth: { username: 'installer', passwordHash: bcrypt.hashSync(PASSWORD, 8) } } });
  // As `opengkh run` composes it: the driver registry, the hourly scheduler (first cycle at start/apply).
  gateway = await Gateway.start(cfg, { logger: log, drivers: driverFactory(log) });
  gateway.bus.on('event', (e) => events.push(e));
  gateway.bus.on('poll', (meterId, ok) => polls.push({ meterId, ok }));
  gateway.bus.on('hourly', () => hourly++);
  editor = await startNodeRed(gateway, { dataDir: dir, keysDir: join(dir, 'keys'), bind: '127.0.0.1', port: 0, adminAuth: cfg.nodeRed.adminAuth, log });
  browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
    locale: 'ru-RU',
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  // The simulator first: Gateway.stop waits for the poll cycle in progress (a 45-day backfill).
  await sim?.close();
  await pty?.close();
  await editor?.stop();
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function importFlow(text: string): Promise<void> {
  await page.click('#red-ui-header-button-sidemenu');
  await page.click('#menu-item-import');
  await page.fill('#red-ui-clipboard-dialog-import-text', text);
  // The dialog validates on keyup (a paste by hand fires one; fill() does not).
  await page.press('#red-ui-clipboard-dialog-import-text', 'End');
  await page.click('#red-ui-clipboard-dialog-ok:not(.ui-state-disabled)');
  await page.waitForSelector('#red-ui-clipboard-dialog', { state: 'hidden' });
  // Imported nodes follow the mouse until a click on the canvas places them.
  await page.mouse.move(600, 400);
  await page.mouse.click(600, 400);
}

async function deploy(confirmInvalid: boolean): Promise<void> {
  await page.click('#red-ui-header-button-deploy');
  if (confirmInvalid) await page.click('#red-ui-deploy-dialog-confirm-deploy-deploy');
}

describe('the embedded editor in headless Chromium', () => {
  it('asks for a login before anything else', async () => {
    await page.goto(editor.url);
    await page.waitForSelector('#node-dialog-login-username');
    expect(await page.locator('#red-ui-header-button-deploy').count()).toBe(0);
    await page.fill('#node-dialog-login-username', 'installer');
    await page.fill('#node-dialog-login-password', 'not-the-password');
    await page.click('#node-dialog-login-submit');
    await page.waitForSelector('#node-dialog-login-failed', { state: 'visible' });
    await page.fill('#node-dialog-login-password', PASSWORD);
    await page.click('#node-dialog-login-submit');
    await page.waitForSelector('#red-ui-header-button-deploy');
    // The gkh palette is there (its editor half loaded: the definitions register types in the browser).
    await page.waitForFunction(() => (globalThis as unknown as { RED: { nodes: { getType(t: string): unknown } } }).RED.nodes.getType('gkh-meter') !== undefined);
  }, 60_000);

  it('imports the ТСРВ-034 flow from flows/, deploys it; the gateway runs that config and polls the simulator', async () => {
    // The installer's one edit: the serial port the RS-485 adapter got (here the pty the simulator sits on).
    const flow = readFileSync(join(flowsDir, 'tsrv-034-two-systems.json'), 'utf8');
    expect(flow).toContain('"/dev/ttyUSB0"');
    await importFlow(flow.replace('"/dev/ttyUSB0"', JSON.stringify(pty.a)));
    await page.waitForSelector('#red-ui-header-button-deploy:not(.disabled)');
    await deploy(false);
    await page.waitForSelector('.opengkh-deploy-result');
    const end = Date.now() + 20_000;
    while (gateway.config.meters.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(gateway.config.meters.map((m) => ({ id: m.id, protocol: m.protocol, address: m.address, systems: m.heatSystems.map((h) => h.regimeMap) }))).toEqual([
      { id: 'tsrv-034', protocol: 'tsrv', address: 1, systems: ['heating-130-70', 'dhw-60'] },
    ]);
    expect(gateway.config.buses.map((b) => b.id)).toEqual(['rs485-1']);
    expect(gateway.config.destinations.map((d) => d.role)).toEqual(['УК', 'РСО']);
    // The gateway logged the new config in its evidence log, hash and all.
    const change = events.filter((e) => e.type === 'config.change').at(-1);
    expect(change?.data.hash).toBe(configHash(gateway.config));
    expect(gateway.status().meters.map((m) => m.id)).toEqual(['tsrv-034']);

    // The gateway polls the simulated ТСРВ-034 (identify + hourly archive of ТС1 and ТС2 over the pty).
    const pollEnd = Date.now() + 30_000;
    while (!(polls.some((p) => p.meterId === 'tsrv-034' && p.ok) && hourly > 0) && Date.now() < pollEnd) await new Promise((r) => setTimeout(r, 100));
    expect(polls.find((p) => p.meterId === 'tsrv-034')).toEqual({ meterId: 'tsrv-034', ok: true });
    expect(hourly).toBeGreaterThan(0);
    const m = gateway.status().meters[0]!;
    expect(m.link).toBe('ok');
    expect(m.systems.map((s) => s.system)).toEqual([1, 2]);
    expect(m.systems.every((s) => s.storedHours > 0)).toBe(true);
    // …and gkh-readings → debug shows those records in the editor's Debug sidebar.
    await page.click('#red-ui-tab-debug-link-button');
    await page.locator('.red-ui-debug-msg', { hasText: 'tsrv-034' }).first().waitFor();
  }, 60_000);

  it('the meter dialog shows its heat systems and flags an address the schema rejects', async () => {
    await page.evaluate(() => {
      const R = (globalThis as unknown as { RED: { nodes: { eachConfig(f: (n: { id: string; type: string; meterId?: string }) => void): void }; editor: { editConfig(name: string, type: string, id: string): void } } }).RED;
      let id = '';
      R.nodes.eachConfig((n) => {
        if (n.type === 'gkh-meter' && n.meterId === 'tsrv-034') id = n.id;
      });
      R.editor.editConfig('', 'gkh-meter', id);
    });
    await page.waitForSelector('#node-config-input-meterId');
    expect(await page.inputValue('#node-config-input-meterId')).toBe('tsrv-034');
    expect(await page.locator('#node-config-input-heatSystems-list .gkh-system').count()).toBe(2);
    const maps = await page.locator('.gkh-system-map').evaluateAll((sels) => sels.map((s) => (s as unknown as { selectedOptions: { text: string }[] }).selectedOptions[0]?.text));
    expect(maps).toEqual(['heating-130-70', 'dhw-60']);
    // Modbus addresses end at 247 and M-Bus at 250: the schema's limit for a primary address is 250.
    await page.fill('#node-config-input-address', '251');
    await page.press('#node-config-input-address', 'Tab');
    await page.waitForSelector('#node-config-input-address.input-error');
    await page.fill('#node-config-input-address', '7');
    await page.press('#node-config-input-address', 'Tab');
    await page.waitForSelector('#node-config-input-address:not(.input-error)');
    await page.click('#node-config-dialog-cancel');
    await page.waitForSelector('#node-config-input-meterId', { state: 'detached' });
  }, 60_000);

  it('a broken flow is deployed with a warning, rejected by the gateway, and the editor shows why', async () => {
    const broken = JSON.parse(readFileSync(join(flowsDir, 'mbus-heat-meter.json'), 'utf8')) as Record<string, unknown>[];
    broken.find((n) => n.type === 'gkh-meter')!.address = '300'; // M-Bus primary addresses end at 250
    const before = gateway.config;
    const changes = events.filter((e) => e.type === 'config.change').length;
    await importFlow(JSON.stringify(broken));
    // The dialog validation (the schema's own limits) already marks the meter invalid.
    await deploy(true);
    const problems = page.locator('.opengkh-deploy-problems');
    await problems.waitFor();
    const text = await problems.innerText();
    expect(text).toContain('/meters/1/address');
    expect(text).toContain('heat-1');
    expect(gateway.config).toBe(before);
    expect(events.filter((e) => e.type === 'config.change').length).toBe(changes);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
