export { generateKeyFile, loadKeyFile, loadOrCreateKey, fingerprint, rawPublicKey, type GatewayKey } from './keys.js';
