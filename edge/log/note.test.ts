/**
 * C2SP signed note, vkeys, checkpoints and tlog-cosignature v1.
 *
 * Interop vectors:
 * - golang.org/x/mod/sumdb/note note_test.go / doc example: the PeterNeumann key and its signed
 *   note. Ed25519 is deterministic (RFC 8032), so signing the same text with the same seed must
 *   give the published note byte for byte.
 * - A real checkpoint of the arche2025h1.staging.ct.transparency.dev log with its Ed25519 note
 *   signature and the v1 cosignature of the remora.n621.de witness, as used in a public checkpoint
 *   verification test suite (vkeys `arche2025h1…+ba2f06c0+…` and `remora.n621.de+da77ade7+…`).
 *
 * `independentOpen` below is a second verifier written from the c2sp.org/signed-note text only
 * (byte-level parsing, its own key ID and SPKI construction), not sharing code with note.ts.
 */
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { formatCheckpoint, originFor, parseCheckpoint } from './checkpoint.js';
import { cosign, cosignatureVerifier, verifyCosignature, verifyCosignatureLine } from './cosignature.js';
import { addSignatures, ed25519PrivateKeyFromSeed, ed25519RawPublic, ed25519Signer, ed25519Verifier, parseNote, signNote, verifyNote, SIG_COSIGNATURE_V1, SIG_ED25519 } from './note.js';
import { formatVkey, parseVkey } from './vkey.js';

const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = GO_TEXT + '\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

const ARCHE_VKEY = 'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
const ARCHE_NOTE = [
  'arche2025h1.staging.ct.transparency.dev',
  '1432088532',
  'U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=',
  '',
  '\u2014 arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=',
  '\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=',
  '\u2014 transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==',
  '\u2014 witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==',
  '\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==',
  '\u2014 witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==',
  '',
].join('\n');

/** Independent signed-note verifier from the c2sp.org/signed-note text (different code path). */
function independentOpen(noteBytes: Buffer, vkey: string): string {
  // vkey: name "+" 8 hex "+" base64(0x01 || 32-byte key); the base64 may itself contain '+'.
  const p1 = vkey.indexOf('+');
  const p2 = vkey.indexOf('+', p1 + 1);
  const name = vkey.slice(0, p1);
  const material = Buffer.from(vkey.slice(p2 + 1), 'base64');
  if (material[0] !== 0x01 || material.length !== 33) throw new Error('not an Ed25519 vkey');
  const pub = material.subarray(1);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name), Buffer.from([0x0a]), material])).digest().subarray(0, 4);
  if (id.toString('hex') !== vkey.slice(p1 + 1, p2)) throw new Error('vkey id mismatch');
  const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
  // Text ends at the last "\n\n" (inclusive of the first \n); then lines "— name base64\n".
  let sep = -1;
  for (let i = noteBytes.length - 2; i >= 0; i--) if (noteBytes[i] === 0x0a && noteBytes[i + 1] === 0x0a) { sep = i; break; }
  if (sep < 0) throw new Error('no blank line');
  const text = noteBytes.subarray(0, sep + 1);
  const sigs = noteBytes.subarray(sep + 2).toString('utf8');
  if (!sigs.endsWith('\n')) throw new Error('unterminated signature block');
  let ok = false;
  for (const line of sigs.slice(0, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`malformed signature line ${line}`);
    const blob = Buffer.from(m[2]!, 'base64');
    if (m[1] !== name || !blob.subarray(0, 4).equals(id)) continue;
    if (!verify(null, text, spki, blob.subarray(4))) throw new Error('bad signature from known key');
    ok = true;
  }
  if (!ok) throw new Error('no signature from the key');
  return text.toString('utf8');
}

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return isGkhError(e) ? e.code : `non-GkhError: ${String(e)}`;
  }
}

describe('signed note (C2SP) interop', () => {
  it('reproduces the Go sumdb/note example byte for byte from the same seed', () => {
    const skey = GO_SKEY.split('+');
    const seed = Buffer.from(skey.slice(4).join('+'), 'base64').subarray(1);
    const key = ed25519PrivateKeyFromSeed(seed);
    const signer = ed25519Signer('PeterNeumann', key);
    expect(signNote(GO_TEXT, signer)).toBe(GO_NOTE);
    expect(formatVkey('PeterNeumann', SIG_ED25519, ed25519RawPublic(createPublicKey(key)))).toBe(GO_VKEY);
  });

  it('opens the Go note with our verifier and with the independent one', () => {
    const v = parseVkey(GO_VKEY);
    expect(v.keyId).toBe(0xc74f20a3);
    expect(verifyNote(GO_NOTE, [v.verifier]).text).toBe(GO_TEXT);
    expect(independentOpen(Buffer.from(GO_NOTE), GO_VKEY)).toBe(GO_TEXT);
    expect(code(() => verifyNote(GO_NOTE.replace('cryptography', 'cryptographY'), [v.verifier]))).toBe('LOG_NOTE_SIGNATURE');
  });

  it('verifies a real CT log checkpoint signature and a real witness cosignature', () => {
    const log = parseVkey(ARCHE_VKEY);
    const witness = parseVkey(REMORA_VKEY);
    expect(witness.type).toBe(SIG_COSIGNATURE_V1);
    const r = verifyNote(ARCHE_NOTE, [log.verifier, witness.verifier]);
    expect(r.verified.map((s) => s.name)).toEqual(['arche2025h1.staging.ct.transparency.dev', 'remora.n621.de']);
    expect(r.unknown.length).toBe(4); // the ECDSA-typed RFC 6962 sig and other witnesses: ignored
    const cp = parseCheckpoint(r.text);
    expect(cp.size).toBe(1432088532);
    const { time } = verifyCosignature(ARCHE_NOTE, witness.verifier);
    expect(time).toBe(0x6a122120);
    expect(code(() => verifyCosignature(ARCHE_NOTE.replace('1432088532', '42'), witness.verifier))).toBe('LOG_COSIGNATURE');
  });
});

describe('our notes, checked by the independent verifier', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const origin = originFor('tp-17');
  const vkey = formatVkey(origin, SIG_ED25519, ed25519RawPublic(publicKey));
  const text = formatCheckpoint({ origin, size: 12345, root: createHash('sha256').update('x').digest() });
  const note = signNote(text, ed25519Signer(origin, privateKey));

  it('checkpoint note verifies independently; vkey form is name+8hex+base64', () => {
    expect(origin).toBe('opengkh.org/gw/tp-17');
    expect(vkey).toMatch(/^opengkh\.org\/gw\/tp-17\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    expect(independentOpen(Buffer.from(note), vkey)).toBe(text);
    expect(parseCheckpoint(verifyNote(note, [parseVkey(vkey).verifier]).text)).toMatchObject({ origin, size: 12345 });
  });

  it('independent verifier rejects a changed body; ours names the failure', () => {
    const forged = note.replace('12345', '12346');
    expect(() => independentOpen(Buffer.from(forged), vkey)).toThrow(/bad signature/);
    expect(code(() => verifyNote(forged, [parseVkey(vkey).verifier]))).toBe('LOG_NOTE_SIGNATURE');
  });

  it('unknown keys are ignored; no known key means unverified', () => {
    const other = generateKeyPairSync('ed25519');
    expect(code(() => verifyNote(note, [ed25519Verifier(origin, ed25519RawPublic(other.publicKey))]))).toBe('LOG_NOTE_UNVERIFIED');
    // same name, different key: the other key's signature is ignored by a verifier of ours
    const both = addSignatures(note, signNote(text, ed25519Signer(origin, other.privateKey)).slice(text.length + 1));
    expect(verifyNote(both, [parseVkey(vkey).verifier]).verified.length).toBe(1);
    expect(independentOpen(Buffer.from(both), vkey)).toBe(text);
  });

  it.each([
    ['no blank line', 'a\nb\n'],
    ['control char', 'a\tb\n\n\u2014 x AAAAAAA=\n'],
    ['no em dash', 'a\n\n- x AAAAAAAA\n'],
    ['short signature', 'a\n\n\u2014 x AAAA\n'],
    ['unterminated', 'a\n\n\u2014 x AAAAAAAA'],
    ['plus in name', 'a\n\n\u2014 x+y AAAAAAAA\n'],
  ])('malformed note: %s', (_d, n) => {
    expect(code(() => parseNote(n))).toBe('LOG_NOTE');
  });

  it('vkey parsing checks id, type and length', () => {
    expect(code(() => parseVkey(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')))).toBe('LOG_VKEY');
    expect(code(() => parseVkey('nameonly'))).toBe('LOG_VKEY');
    expect(code(() => parseVkey(`x+12345678+${Buffer.concat([Buffer.from([2]), Buffer.alloc(32)]).toString('base64')}`))).toBe('LOG_VKEY');
  });
});

describe('tlog-cosignature v1', () => {
  const log = generateKeyPairSync('ed25519');
  const origin = originFor('gw1');
  const note = signNote(formatCheckpoint({ origin, size: 7, root: createHash('sha256').update('r').digest() }), ed25519Signer(origin, log.privateKey));
  const rso = generateKeyPairSync('ed25519');
  const rsoName = 'rso.example.ru/receiver';

  it('cosign → line with key type 0x04 and u64 time; message per spec; verifies', () => {
    const line = cosign(note, { name: rsoName, privateKey: rso.privateKey }, 1679315147);
    const blob = Buffer.from(line.trim().split(' ')[2]!, 'base64');
    expect(blob.length).toBe(4 + 8 + 64);
    const pub = ed25519RawPublic(rso.publicKey);
    const id = createHash('sha256').update(Buffer.concat([Buffer.from(rsoName), Buffer.from([0x0a, 0x04]), pub])).digest().subarray(0, 4);
    expect(blob.subarray(0, 4)).toEqual(id);
    expect(blob.readBigUInt64BE(4)).toBe(1679315147n);
    // Spec message, built here by hand: "cosignature/v1\ntime 1679315147\n" || checkpoint body.
    const msg = Buffer.from(`cosignature/v1\ntime 1679315147\n${parseNote(note).text}`);
    expect(verify(null, msg, rso.publicKey, blob.subarray(12))).toBe(true);
    const cosigned = addSignatures(note, line);
    const v = parseVkey(formatVkey(rsoName, SIG_COSIGNATURE_V1, pub));
    expect(verifyCosignature(cosigned, v.verifier)).toEqual({ time: 1679315147 });
    expect(verifyCosignatureLine(note, line, cosignatureVerifier(rsoName, pub))).toEqual({ time: 1679315147 });
    // the log key still verifies the cosigned note; the cosignature is unknown to a log-only verifier
    expect(verifyNote(cosigned, [ed25519Verifier(origin, ed25519RawPublic(log.publicKey))]).unknown.length).toBe(1);
  });

  it('cosignature over another checkpoint or time fails', () => {
    const pub = ed25519RawPublic(rso.publicKey);
    const line = cosign(note, { name: rsoName, privateKey: rso.privateKey }, 1700000000);
    const other = signNote(formatCheckpoint({ origin, size: 8, root: createHash('sha256').update('r').digest() }), ed25519Signer(origin, log.privateKey));
    expect(code(() => verifyCosignatureLine(other, line, cosignatureVerifier(rsoName, pub)))).toBe('LOG_COSIGNATURE');
    const blob = Buffer.from(line.trim().split(' ')[2]!, 'base64');
    blob.writeBigUInt64BE(1700000001n, 4);
    const tampered = `\u2014 ${rsoName} ${blob.toString('base64')}\n`;
    expect(code(() => verifyCosignatureLine(note, tampered, cosignatureVerifier(rsoName, pub)))).toBe('LOG_COSIGNATURE');
  });
});

describe('checkpoint body', () => {
  it('round-trips and names bad lines', () => {
    const root = createHash('sha256').update('a').digest();
    const text = formatCheckpoint({ origin: 'opengkh.org/gw/a', size: 0, root });
    expect(text).toBe(`opengkh.org/gw/a\n0\n${root.toString('base64')}\n`);
    expect(parseCheckpoint(text)).toEqual({ origin: 'opengkh.org/gw/a', size: 0, root });
    expect(() => parseCheckpoint(text.replace('\n0\n', '\n01\n'))).toThrow(/line 2/);
    expect(() => parseCheckpoint('o\n1\nAAAA\n')).toThrow(/line 3/);
    expect(() => parseCheckpoint('o\n1\n')).toThrow(/expected origin, size and root/);
    expect(code(() => originFor('bad id'))).toBe('LOG_CHECKPOINT');
  });
});
