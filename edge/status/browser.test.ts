/**
 * The status page in a real browser against a real gateway: `opengkh run` (child, scaled clock) polling
 * simulated ТСРВ-034 / Карат-307 / M-Bus meters, syncing to two mosquitto brokers with a receiver behind
 * each; headless Chromium (playwright-core, /usr/bin/chromium) at a phone viewport with basic auth.
 * Needs `npx tsc -p .` first (the gateway and receivers run from dist/).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from './html.js';
import { startStand, type Stand } from './stand.js';
import { VERSION } from '../version.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let dir = '';
let stand: Stand | undefined;
let ctx: BrowserContext | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opengkh-status-browser-'));
  stand = await startStand({ dir: join(dir, 'stand'), hourSeconds: 4 });
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  await stand?.stop();
  if (dir && !process.env.KEEP_BROWSER_TEST_DIR) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('status page against a running gateway', () => {
  it('reaches a state with meters read, hours stored and both destinations acknowledging', async () => {
    const s = await stand!.waitFor(
      (x) =>
        x.meters.length === 3 &&
        x.meters.every((m) => m.link === 'ok') &&
        x.meters.find((m) => m.id === 'tsrv-1')!.systems.every((h) => h.storedHours > 0) &&
        x.destinations.length === 2 &&
        x.destinations.every((d) => d.connected && d.ackedSize > 0),
      40_000,
    );
    expect(s.gateway.id).toBe('ekb-lenina-12');
    expect(s.destinations.map((d) => d.role).sort()).toEqual(['РСО', 'УК']);
  }, 45_000);

  it('/healthz answers without credentials; everything else asks for them', async () => {
    const h = await fetch(`${stand!.base}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: 'ok', version: VERSION });
    for (const p of ['/', '/api/status', '/metrics']) expect((await fetch(`${stand!.base}${p}`)).status, p).toBe(401);
    expect((await fetch(`${stand!.base}/`, { headers: { authorization: `Basic ${Buffer.from('tech:wrong').toString('base64')}` } })).status).toBe(401);
  });

  it('/metrics of the running gateway parses with the Prometheus reference parser', async () => {
    const r = await fetch(`${stand!.base}/metrics`, { headers: stand!.authHeader });
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const py = `
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.setdefault(s.name, []).append([s.labels, s.value])
print(json.dumps(out))`;
    const parsed = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: await r.text(), encoding: 'utf8' })) as Record<string, [Record<string, string>, number][]>;
    const polls = parsed.opengkh_polls_total ?? [];
    expect(polls.map(([l]) => l.meter).sort()).toEqual(['karat-1', 'mbus-1', 'tsrv-1']);
    for (const [, v] of polls) expect(v).toBeGreaterThan(0);
    expect((parsed.opengkh_destination_connected ?? []).map(([l, v]) => `${l.destination}=${v}`).sort()).toEqual(['rso=1', 'uk=1']);
    expect(parsed.opengkh_log_size?.[0]?.[1]).toBeGreaterThan(0);
    const lastHour = (parsed.opengkh_meter_last_hour_timestamp_seconds ?? []).find(([l]) => l.meter === 'tsrv-1' && l.system === '2');
    expect(lastHour?.[1]).toBeGreaterThan(0);
  });

  it('renders on a phone in headless Chromium: meters, destinations, events, no overflow, no key material', async () => {
    ctx = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'ru-RU',
      javaScriptEnabled: false,
      httpCredentials: { username: stand!.username, password: stand!.password },
    });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const resp = await page.goto(`${stand!.base}/`, { waitUntil: 'load', timeout: 20_000 });
    expect(resp?.status()).toBe(200);

    await expect.poll(() => page.title()).toContain('ekb-lenina-12');
    for (const id of ['tsrv-1', 'karat-1', 'mbus-1']) expect(await page.locator(`[data-meter="${id}"]`).count(), id).toBe(1);
    const tsrv = page.locator('[data-meter="tsrv-1"]');
    expect(await tsrv.innerText()).toMatch(/связь есть/);
    expect(await tsrv.innerText()).toMatch(/ГВС/);
    for (const id of ['uk', 'rso']) {
      const d = page.locator(`[data-destination="${id}"]`);
      expect(await d.count(), id).toBe(1);
      expect(await d.innerText()).toMatch(/подключено/);
    }
    const text = await page.locator('body').innerText();
    for (const s of ['Приборы учёта', 'Meters', 'Получатели', 'Destinations', 'События', 'Recent events', 'запуск шлюза']) expect(text).toContain(s);
    expect(await page.locator('[data-type="gateway.boot"]').count()).toBeGreaterThan(0);

    // The inline style applies under the page's CSP (no scripts, inline style only).
    expect(resp?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    expect(await page.evaluate(`getComputedStyle(document.querySelector('header')).backgroundColor`)).toBe('rgb(20, 83, 45)');

    // Nothing wider than the phone: no horizontal scrolling.
    const widths = await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
    const [scrollW, clientW] = widths as [number, number];
    expect(scrollW).toBeLessThanOrEqual(clientW);
    // Readable: no text below 11 CSS px, nothing cut off inside a card.
    const smallest = (await page.evaluate(
      `Math.min(...[...document.querySelectorAll('body *')].filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())).map((e) => parseFloat(getComputedStyle(e).fontSize)))`,
    )) as number;
    expect(smallest).toBeGreaterThanOrEqual(11);
    expect(smallest).toBeLessThan(14); // the measurement saw the small print (the English labels)
    const clipped = (await page.evaluate(`[...document.querySelectorAll('.card *')].filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible').length`)) as number;
    expect(clipped).toBe(0);

    // No key material or password hash anywhere in the page.
    const html = await page.content();
    const pem = readFileSync(stand!.keyFile, 'utf8');
    const keyBody = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    expect(keyBody.length).toBeGreaterThan(40);
    expect(html).not.toContain(keyBody.slice(0, 32));
    expect(html).not.toMatch(/PRIVATE KEY|scrypt\$/);
    expect(html).not.toMatch(/<script/i);

    // A bad day rendered from the live snapshot: every alarm state and long strings still fit the phone.
    const bad = await stand!.snapshot();
    bad.gateway.ntpSynchronized = false;
    bad.gateway.disk = { freeBytes: 1e8, totalBytes: 3.2e10 };
    for (const m of bad.meters) {
      m.link = 'lost';
      m.lastError = { code: 'TRANSPORT_TIMEOUT', message: `tcp 127.0.0.1:65535: no reply within 1000 ms / нет ответа (3 tries; ${'x'.repeat(80)})`, at: bad.gateway.now };
      for (const x of m.systems) x.verdicts = { t1: 'below', t2: 'above', P1: 'no-data' };
    }
    for (const d of bad.destinations) Object.assign(d, { connected: false, backlogEntries: 123456, backlogHours: 720 });
    bad.events.unshift({ at: bad.gateway.now, type: 'comm.lost', meterId: 'tsrv-1', summary: 'E'.repeat(300) });
    const alarm = await ctx.newPage();
    await alarm.setContent(renderHtml(bad), { waitUntil: 'load' });
    expect(await alarm.locator('.card.alarm').count()).toBe(bad.meters.length + bad.destinations.length);
    const [badScroll, badClient] = (await alarm.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as [number, number];
    expect(badScroll).toBeLessThanOrEqual(badClient);
    await alarm.screenshot({ path: join(dir, 'status-phone-alarm.png'), fullPage: true });
    await alarm.close();

    const shot = join(dir, 'status-phone.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 40_000);
});
