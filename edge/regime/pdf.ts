/**
 * HTML → PDF through headless Chromium (playwright-core drives the system's /usr/bin/chromium; no browser
 * download). Where no Chromium is installed the caller gets REPORT_PDF_UNAVAILABLE, never a silent HTML.
 */
import { existsSync } from 'node:fs';
import { GkhError } from '../errors.js';

/** Chromium executables tried in order ($OPENGKH_CHROMIUM first). */
export function chromiumPath(): string | undefined {
  const cands = [process.env.OPENGKH_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((x): x is string => !!x);
  return cands.find((p) => existsSync(p));
}

/** Prints `html` to an A4 landscape PDF (the page's own @page rules apply). */
export async function htmlToPdf(html: string): Promise<Buffer> {
  const exe = chromiumPath();
  if (!exe) throw new GkhError('REPORT_PDF_UNAVAILABLE', 'PDF needs headless Chromium (/usr/bin/chromium or $OPENGKH_CHROMIUM); none found — use --format html and print it / Chromium не найден, используйте --format html', {});
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new GkhError('REPORT_PDF_UNAVAILABLE', 'PDF needs the playwright-core package, which is not installed', {}, { cause: e });
  }
  const browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ preferCSSPageSize: true, printBackground: true });
  } finally {
    await browser.close();
  }
}
