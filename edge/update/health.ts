/**
 * The HTTP half of the health gate: GET /healthz until 200 or the deadline. When the body is JSON
 * with a `version` field it must equal the version just installed (so an old process still holding
 * the port cannot pass the gate for the new one).
 */
import { get } from 'node:http';

/** Result of the last /healthz attempt. */
export interface HealthResult {
  ok: boolean;
  /** HTTP status of the last answer, or the connection error code. */
  last: string;
  attempts: number;
}

function once(url: string, timeoutMs: number): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body.length < 65536 ? (body += d) : undefined));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

/** Polls `url` every `intervalMs` (default 250) until a healthy answer or `deadline` (ms since epoch). */
export async function waitHealthy(
  url: string,
  version: string,
  deadline: number,
  intervalMs = 250,
): Promise<HealthResult> {
  let last = 'no attempt';
  let attempts = 0;
  while (Date.now() < deadline) {
    attempts++;
    const r = await once(url, Math.max(200, Math.min(2000, deadline - Date.now())));
    if ('error' in r) last = r.error;
    else {
      last = `HTTP ${r.status}`;
      if (r.status === 200) {
        let v: unknown;
        try {
          v = (JSON.parse(r.body) as { version?: unknown }).version;
        } catch {
          v = undefined;
        }
        if (v === undefined || v === version) return { ok: true, last, attempts };
        last = `HTTP 200 from version ${String(v)}, expected ${version}`;
      }
    }
    await new Promise((res) => setTimeout(res, intervalMs));
  }
  return { ok: false, last, attempts };
}
