/**
 * The local status server: `/` HTML, `/api/status` JSON, `/metrics` Prometheus, `/healthz` for the
 * updater's health gate. Read-only (GET/HEAD only), bind address configurable, optional basic auth
 * (scrypt hash in the config; `/healthz` stays open so the health gate needs no credentials).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderHtml } from './html.js';
import { renderMetrics } from './metrics.js';
import type { StatusSnapshot } from './types.js';

export interface StatusServerOptions {
  bind: string;
  port: number;
  basicAuth?: { username: string; passwordHash: string };
  /** Snapshot source, called per request. */
  snapshot: () => StatusSnapshot;
  /** Version reported by /healthz. */
  version: string;
  /** Health: null when healthy, else the reason (503). */
  health: () => string | null;
  refreshSeconds?: number;
}

/**
 * `scrypt$<salt b64>$<hash b64>` of a password (what `opengkh passwd` prints): scrypt N=16384, r=8, p=1
 * (node defaults), 16-byte random salt from the CSPRNG, 32-byte key.
 */
export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, 32).toString('base64')}`;
}

/** Checks a password against a `scrypt$…` hash in constant time. */
export function checkPassword(password: string, hash: string): boolean {
  const [kind, salt, h] = hash.split('$');
  if (kind !== 'scrypt' || !salt || !h) return false;
  const want = Buffer.from(h, 'base64');
  const got = scryptSync(password, Buffer.from(salt, 'base64'), want.length);
  return want.length > 0 && timingSafeEqual(want, got);
}

function authorized(req: IncomingMessage, auth: StatusServerOptions['basicAuth']): boolean {
  if (!auth) return true;
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return false;
  const [user, ...rest] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
  return user === auth.username && checkPassword(rest.join(':'), auth.passwordHash);
}

/**
 * The page needs nothing but its own inline style: a CSP without scripts means a flaw in escaping cannot
 * run code; no framing (clickjacking), no referrer to other sites.
 */
const HTML_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function send(res: ServerResponse, code: number, type: string, body: string, head = false): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body), ...(type.startsWith('text/html') ? HTML_HEADERS : {}) });
  res.end(head ? undefined : body);
}

export class StatusServer {
  private server: Server | undefined;

  constructor(private readonly o: StatusServerOptions) {}

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.bind, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'read-only / только чтение\n');
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      if (path === '/healthz') {
        // JSON with the running version: the updater's health gate checks it is the release it just installed.
        const why = this.o.health();
        const body = `${JSON.stringify(why === null ? { status: 'ok', version: this.o.version } : { status: 'unhealthy', version: this.o.version, reason: why })}\n`;
        return send(res, why === null ? 200 : 503, 'application/json; charset=utf-8', body, head);
      }
      if (!authorized(req, this.o.basicAuth)) {
        res.setHeader('www-authenticate', 'Basic realm="opengkh", charset="UTF-8"');
        return send(res, 401, 'text/plain; charset=utf-8', 'authentication required / требуется вход\n');
      }
      if (path === '/') return send(res, 200, 'text/html; charset=utf-8', renderHtml(this.o.snapshot(), this.o.refreshSeconds), head);
      if (path === '/api/status') return send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(this.o.snapshot(), null, 1)}\n`, head);
      if (path === '/metrics') return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(this.o.snapshot()), head);
      return send(res, 404, 'text/plain; charset=utf-8', 'not found / не найдено\n', head);
    } catch (e) {
      return send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(e as Error).message}\n`, head);
    }
  }
}
