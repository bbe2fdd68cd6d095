/** Signed release bundles and the updater with health gate and rollback (see image/README.md). */
export {
  createBundle,
  openBundle,
  verifyBundle,
  treeEntries,
  type OpenedBundle,
  type CreateBundleOptions,
  type Platform,
} from './bundle.js';
export {
  compareVersions,
  isVersion,
  parseManifest,
  parsePublicKey,
  signManifest,
  verifyManifestSignature,
  sha256,
  MANIFEST_FORMAT,
  type Manifest,
  type ManifestFile,
  type ManifestSignature,
} from './manifest.js';
export {
  applyUpdate,
  recover,
  recoverOffline,
  readState,
  currentVersion,
  switchCurrent,
  pruneReleases,
  KEEP_RELEASES,
  type UpdateOptions,
  type UpdateOutcome,
  type UpdateState,
  type UpdatePhase,
} from './updater.js';
export {
  SystemdController,
  SupervisorController,
  controllerFromSpec,
  supervisorRequest,
  type ServiceController,
  type SupervisorStatus,
} from './service.js';
export { Supervisor, type SupervisorOptions } from './supervisor.js';
export { waitHealthy, type HealthResult } from './health.js';
export { readTar, writeTar, type TarEntry, type TarType } from './tar.js';
