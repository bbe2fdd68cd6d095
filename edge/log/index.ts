/**
 * edge/log: the pure evidence-log core (no I/O). RFC 8785 canonical JSON, RFC 6962 Merkle tree and
 * proofs, C2SP tlog-checkpoint bodies, C2SP signed notes (Ed25519), verifier keys and C2SP
 * tlog-cosignature v1. Persistence lives in edge/store/evidence.ts.
 */
export { canonicalize, canonicalBytes } from './canonical.js';
export { leafHash, leafHashOfPrefixed, nodeHash, hashEqual, EMPTY_ROOT, HASH_SIZE } from './hash.js';
export { MerkleTree, perfectRoot, treeRoot, memorySource, type TreeState, type MerkleTreeOptions } from './tree.js';
export { inclusionProof, consistencyProof, rootFromInclusionProof, verifyInclusion, verifyConsistency, type HashSource } from './proof.js';
export { formatCheckpoint, parseCheckpoint, originFor, type Checkpoint } from './checkpoint.js';
export {
  signNote,
  verifyNote,
  parseNote,
  addSignatures,
  signatureLine,
  ed25519Signer,
  ed25519Verifier,
  ed25519PublicKey,
  ed25519PrivateKeyFromSeed,
  ed25519RawPublic,
  keyId,
  keyIdHex,
  isValidKeyName,
  SIG_ED25519,
  SIG_COSIGNATURE_V1,
  MAX_SIGNATURES,
  type NoteSigner,
  type NoteVerifier,
  type NoteSignature,
} from './note.js';
export { cosign, cosignatureMessage, cosignatureVerifier, cosignerKeyId, verifyCosignature, verifyCosignatureLine, type Cosigner } from './cosignature.js';
export { formatVkey, parseVkey, type Vkey } from './vkey.js';
export {
  makeEntry,
  hourlyEntry,
  encodeHourly,
  CanonicalEntry,
  encodeEntry,
  decodeEntry,
  validateEntry,
  ENTRY_TYPES,
  ENTRY_VERSION,
  type EntryType,
  type LogEntry,
  type HourlyBody,
  type HourlyRecordLike,
  type ConfigChangeBody,
  type KeyRotationBody,
  type CosignatureBody,
} from './entry.js';
export { isoUtc } from './iso.js';
export { entrySchemas } from './schemas.js';
export { makeRotationEntry, verifyRotation } from './rotation.js';
