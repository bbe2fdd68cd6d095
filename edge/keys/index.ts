export { generateKeyFile, loadKeyFile, loadOrCreateKey, fingerprint, rawPublicKey, type GatewayKey } from './keys.js';
export { rotateKey, resolvePendingRotation, nextKeyPath } from './rotation.js';
