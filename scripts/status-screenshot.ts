/**
 * Makes docs/status-page.png: a demo-like stand (edge/status/stand.ts: three simulated meters, four with --optical, two
 * mosquitto brokers with receivers, the real gateway on a scaled clock), a short story (the ТСРВ goes
 * silent for a few simulated hours and is backfilled; hot water runs cold at night), then the status page
 * in headless Chromium at a phone viewport.
 *
 *   npx tsc -p . && node dist/scripts/status-screenshot.js [--out docs/status-page.png] [--scale 1]
 *     [--optical]                     add the IEC 62056-21 meter (slow: 2.2 s wake-up per read)
 *     [--snapshot-out snap.json]      also save the /api/status snapshot that was rendered
 *   node dist/scripts/status-screenshot.js --from-snapshot snap.json --out x.png
 *                                     render a saved snapshot (no gateway; for work on html.ts)
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { renderHtml } from '../edge/status/html.js';
import { startStand } from '../edge/status/stand.js';
import type { StatusSnapshot } from '../edge/status/types.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Opens `url` at a 390×844 phone viewport and saves a full-page PNG. */
export async function shoot(url: string, out: string, o: { scale: number; credentials?: { username: string; password: string } }): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'opengkh-shot-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: o.scale,
    isMobile: true,
    locale: 'ru-RU',
    javaScriptEnabled: false,
    ...(o.credentials ? { httpCredentials: o.credentials } : {}),
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(url, { waitUntil: 'load' });
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, scale: { type: 'string' }, optical: { type: 'boolean' }, 'snapshot-out': { type: 'string' }, 'from-snapshot': { type: 'string' } } });
  const out = resolve(values.out ?? 'docs/status-page.png');
  const scale = Number(values.scale ?? 1);
  if (values['from-snapshot']) {
    const snap = JSON.parse(readFileSync(values['from-snapshot'], 'utf8')) as StatusSnapshot;
    const html = renderHtml(snap);
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    try {
      await shoot(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`, out, { scale });
    } finally {
      server.close();
    }
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'opengkh-status-shot-'));
    const hourSeconds = 3;
    const stand = await startStand({ dir, hourSeconds, optical: values.optical === true });
    try {
      await stand.waitFor((s) => s.meters.every((m) => m.link === 'ok') && s.destinations.every((d) => d.connected && d.ackedSize > 0), 60_000);
      // The ТСРВ line is cut for ~3 simulated hours, then answers again (backfilled from its archive).
      stand.tsrvServer.faults.rules = [{ kind: 'silent', every: 1 }];
      await stand.waitFor((s) => s.meters.find((m) => m.id === 'tsrv-1')?.link === 'lost', 60_000);
      await new Promise((r) => setTimeout(r, 3 * hourSeconds * 1000));
      stand.tsrvServer.faults.rules = [];
      const restoredAt = stand.clock.now();
      // Settled again: the gap is backfilled, both destinations have caught up.
      const snap = await stand.waitFor((s) => {
        const t = s.meters.find((m) => m.id === 'tsrv-1');
        return s.meters.every((m) => m.link === 'ok') && !!t?.systems.every((h) => h.lastHour !== undefined && Date.parse(h.lastHour) >= restoredAt - 3_600_000) && s.destinations.every((d) => d.connected && d.backlogEntries < 5);
      }, 90_000);
      if (values['snapshot-out']) writeFileSync(values['snapshot-out'], `${JSON.stringify(snap, null, 1)}\n`);
      await shoot(`${stand.base}/`, out, { scale, credentials: { username: stand.username, password: stand.password } });
    } finally {
      await stand.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${out}: ${statSync(out).size} bytes\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
