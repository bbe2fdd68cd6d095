/**
 * Node-RED entry of the opengkh-edge nodes (gkh-bus, gkh-meter, gkh-regime, gkh-destination,
 * gkh-readings, gkh-read, gkh-outdoor, gkh-status).
 *
 * Node-RED 4.x loads node files with require() (@node-red/registry/lib/loader.js loadNodeSet) and
 * accepts `.js` and `.cjs` (the editor template is the same name with `.html`). This package is
 * "type": "module", so this entry is `.cjs`; it returns a Promise, which the loader awaits, and the
 * Promise imports the compiled ESM implementation (dist/edge/nodered/register.js, built by `npm run
 * build` / `prepare`). A dynamic import() works on every Node version Node-RED 4 supports (>= 18),
 * unlike require() of ESM (Node >= 20.19 only).
 */
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

module.exports = async function opengkhNodes(RED) {
  const impl = path.join(__dirname, '..', '..', '..', 'dist', 'edge', 'nodered', 'register.js');
  const mod = await import(pathToFileURL(impl).href);
  mod.default(RED);
};
