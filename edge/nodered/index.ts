/**
 * The embedded Node-RED editor: Node-RED 4.x in-process on its own http server, editor under `/admin`,
 * no public http-in routes (httpNodeRoot off), palette installs off, telemetry off. adminAuth is required:
 * without it the editor is never started. The credential secret (encrypts flow credentials such as
 * destination passwords) is generated once and kept with the gateway's keys (file mode 0600); the flows
 * file lives in the data dir.
 *
 * The gkh-* nodes are loaded as the Node-RED module this package is (package.json `node-red` section,
 * found through `nodesDir`), exactly as a palette install would load them; the gateway reaches them as
 * `RED.settings.opengkhGateway`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataPath } from '../config/index.js';
import { GkhError } from '../errors.js';
import type { GatewayHandle } from '../handle.js';
import type { Logger } from '../logger.js';

export { compileFlow, originOf, CONFIG_NODE_TYPES, type FlowNode, type Compiled } from './compile.js';
export { lastDeployResult, nextDeployResult, DEPLOY_TOPIC, type DeployResult } from './register.js';

/** Options of `startNodeRed`. */
export interface NodeRedOptions {
  /** Gateway data dir: Node-RED's userDir is `<dataDir>/node-red/`, with the flows file `flows.json` and `flows_cred.json` (encrypted). */
  dataDir: string;
  /** The gateway's keys dir: `node-red-credential-secret` (0600) is kept here. */
  keysDir: string;
  /** Listen address, default 127.0.0.1 (config nodeRed.bind). */
  bind: string;
  /** Listen port; 0 picks a free one (config nodeRed.port, default 1880). */
  port: number;
  /** Editor login; bcrypt hash as Node-RED's adminAuth expects (`node-red admin hash-pw`). Required. */
  adminAuth: { username: string; passwordHash: string } | undefined;
  log: Logger;
}

export interface RunningNodeRed {
  /** Editor URL, e.g. `http://127.0.0.1:1880/admin/`. */
  url: string;
  stop(): Promise<void>;
}

/** bcrypt modular-crypt form ($2a$/$2b$/$2y$, cost, 22+31 chars), the only form Node-RED's adminAuth checks. */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** The package root (where package.json names opengkh-edge), from sources or dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'opengkh-edge') return dir;
    const up = dirname(dir);
    if (up === dir) throw new GkhError('NODERED_START', 'package root of opengkh-edge not found');
    dir = up;
  }
}

/** Reads the credential secret, creating it (32 random bytes, hex, mode 0600) on first use. */
export function credentialSecret(keysDir: string): string {
  const file = join(keysDir, 'node-red-credential-secret');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const secret = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(secret)) throw new GkhError('NODERED_SECRET', `${file} does not hold a 64-hex-digit secret / файл секрета повреждён`, { file });
  return secret;
}

interface RedRuntime {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: (req: unknown, res: unknown, next: () => void) => void;
}

let running = false;

/**
 * Starts the editor. Throws `NODERED_NO_AUTH` without adminAuth (the editor is never open without
 * credentials), `NODERED_AUTH_INVALID` when the hash is not bcrypt, `NODERED_RUNNING` when this process
 * already runs one (Node-RED is a process-wide singleton).
 */
export async function startNodeRed(handle: GatewayHandle, opts: NodeRedOptions): Promise<RunningNodeRed> {
  const auth = opts.adminAuth;
  if (!auth || !auth.username || !auth.passwordHash)
    throw new GkhError('NODERED_NO_AUTH', 'the Node-RED editor needs nodeRed.adminAuth (username, bcrypt passwordHash); not started / редактор Node-RED не запущен: не заданы учётные данные nodeRed.adminAuth');
  if (!BCRYPT.test(auth.passwordHash))
    throw new GkhError('NODERED_AUTH_INVALID', 'nodeRed.adminAuth.passwordHash is not a bcrypt hash ($2b$…); make one with `node-red admin hash-pw` / passwordHash не является bcrypt-хешем', { found: auth.passwordHash.slice(0, 7) });
  if (running) throw new GkhError('NODERED_RUNNING', 'Node-RED already runs in this process');
  running = true;
  try {
    const nrRequire = createRequire(createRequire(import.meta.url).resolve('node-red'));
    const RED = nrRequire('node-red') as RedRuntime;
    // express is Node-RED's own dependency; the editor app must be mounted, not just prefixed (it builds URLs from req.baseUrl).
    const express = nrRequire('express') as () => { use(path: string, h: unknown): void; get(path: string, h: (req: unknown, res: { redirect(u: string): void }) => void): void } & ((req: unknown, res: unknown) => void);
    const log = opts.log;
    const userDir = resolve(opts.dataDir, 'node-red');
    mkdirSync(userDir, { recursive: true });
    const app = express();
    const server = createServer(app);
    const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = { 10: 'error', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'debug' };
    const settings: Record<string, unknown> = {
      userDir,
      // Node-RED keeps the credentials file beside its userDir, so flows and credentials both live in <dataDir>/node-red/.
      flowFile: join(userDir, 'flows.json'),
      credentialSecret: credentialSecret(opts.keysDir),
      httpAdminRoot: '/admin',
      httpNodeRoot: false,
      uiHost: opts.bind,
      uiPort: opts.port,
      adminAuth: { type: 'credentials', sessionExpiryTime: 8 * 3600, users: [{ username: auth.username, password: auth.passwordHash, permissions: '*' }] },
      nodesDir: [packageRoot()],
      functionExternalModules: false,
      externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false, allowUpdate: false }, modules: { allowInstall: false } },
      editorTheme: {
        page: { title: `opengkh-edge ${handle.config.gatewayId}` },
        header: { title: `opengkh-edge · ${handle.config.gatewayId}` },
        projects: { enabled: false },
        tours: false,
      },
      diagnostics: { enabled: false, ui: false },
      runtimeState: { enabled: false, ui: false },
      telemetry: { enabled: false, updateNotification: false },
      logging: {
        console: { level: 'off' },
        opengkh: {
          level: 'info',
          metrics: false,
          audit: false,
          handler: () => (m: { level: number; msg: unknown; type?: string; id?: string }) => {
            const level = levels[m.level] ?? 'info';
            const text = typeof m.msg === 'string' ? m.msg : m.msg instanceof Error ? m.msg.message : JSON.stringify(m.msg);
            log[level](text, m.type ? { node: m.type, id: m.id } : undefined);
          },
        },
      },
      opengkhGateway: handle,
    };
    RED.init(server, settings);
    app.use('/admin', RED.httpAdmin);
    app.get('/', (_req, res) => res.redirect('/admin/'));
    await RED.start();
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(opts.port, opts.bind, () => res());
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    const host = opts.bind.includes(':') ? `[${opts.bind}]` : opts.bind === '0.0.0.0' ? '127.0.0.1' : opts.bind;
    const url = `http://${host}:${port}/admin/`;
    log.info('Node-RED editor started', { url, user: auth.username });
    let stopped = false;
    return {
      url,
      async stop() {
        if (stopped) return;
        stopped = true;
        await RED.stop();
        await new Promise<void>((res) => {
          server.close(() => res());
          server.closeAllConnections();
        });
        running = false;
      },
    };
  } catch (e) {
    running = false;
    throw e;
  }
}

/**
 * Starts the editor as the running config's `nodeRed` section says; undefined when `enabled` is false.
 * The credential secret goes beside the gateway's signing key (the directory of `keys.signingKey`).
 */
export async function startNodeRedFromConfig(handle: GatewayHandle, log: Logger): Promise<RunningNodeRed | undefined> {
  const cfg = handle.config;
  if (!cfg.nodeRed.enabled) return undefined;
  return startNodeRed(handle, { dataDir: cfg.dataDir, keysDir: dirname(dataPath(cfg, cfg.keys.signingKey)), bind: cfg.nodeRed.bind, port: cfg.nodeRed.port, adminAuth: cfg.nodeRed.adminAuth, log });
}
