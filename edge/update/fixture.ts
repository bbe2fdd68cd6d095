/**
 * Test releases for the updater tests (not shipped in bundles: scripts/release.ts drops it).
 * A release's `bin/opengkh.js` is a tiny Node service that behaves the way its `mode` says: serves
 * GET /healthz on $HEALTH_PORT with its version and sends READY=1 to $NOTIFY_SOCKET (an AF_UNIX
 * datagram, sent with /usr/bin/python3 as Node has no datagram unix sockets), or fails to.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a test release behaves after start. */
export type FixtureMode = 'good' | 'unhealthy' | 'no-ready' | 'crash' | 'dies-later';

/** Writes a release tree for `version` into `dir` (created). */
export function writeFixtureRelease(dir: string, version: string, mode: FixtureMode = 'good'): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', 'fixture-dep', 'bin'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'opengkh-edge', version, type: 'module' }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'dist', 'cli', 'version.txt'), `${version}\n`);
  writeFileSync(
    join(dir, 'node_modules', 'fixture-dep', 'bin', 'tool.js'),
    '#!/usr/bin/env node\nconsole.log("tool");\n',
    { mode: 0o755 },
  );
  symlinkSync('../fixture-dep/bin/tool.js', join(dir, 'node_modules', '.bin', 'tool'));
  writeFileSync(
    join(dir, 'bin', 'opengkh.js'),
    `#!/usr/bin/env node
// Test release ${version}, mode ${mode}.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
const VERSION = ${JSON.stringify(version)};
const MODE = ${JSON.stringify(mode)};
if (MODE === 'crash') { console.error('fixture: crashing on start'); process.exit(3); }
function notify(state) {
  const py = 'import os, socket, sys\\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\\ns.sendto(sys.argv[1].encode(), os.environ["NOTIFY_SOCKET"])';
  spawnSync('/usr/bin/python3', ['-c', py, state], { stdio: 'inherit' });
}
const srv = createServer((req, res) => {
  if (req.url !== '/healthz') { res.writeHead(404); res.end(); return; }
  const ok = MODE !== 'unhealthy';
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: ok ? 'ok' : 'failing', version: VERSION }));
});
srv.listen(Number(process.env.HEALTH_PORT), '127.0.0.1', () => {
  if (MODE !== 'no-ready') notify('STATUS=serving\\nREADY=1');
  if (MODE === 'dies-later') setTimeout(() => { console.error('fixture: dying after start'); process.exit(4); }, 1500);
});
process.on('SIGTERM', () => { srv.closeAllConnections(); srv.close(() => process.exit(0)); });
`,
    { mode: 0o755 },
  );
}
