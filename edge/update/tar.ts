/**
 * A small POSIX tar (ustar + pax extended headers) writer and streaming reader, enough for release
 * bundles: regular files, directories and relative symlinks. Written here rather than shelling out
 * to tar(1) so the updater can hash every entry while reading, before it writes anything to disk.
 *
 * Format: POSIX.1-2001 (IEEE Std 1003.1-2001, "pax" interchange format): 512-byte header blocks,
 * data padded to 512, two zero blocks at the end; names longer than ustar's 100+155 bytes go into
 * a preceding `x` header record `"<len> path=<name>\n"`.
 */
import { GkhError } from '../errors.js';

export const BLOCK = 512;

/** What a tar entry is; other tar types (devices, fifos, hard links) are refused. */
export type TarType = 'file' | 'dir' | 'symlink';

export interface TarEntry {
  /** Relative POSIX path without a leading `./` or trailing `/`. */
  path: string;
  type: TarType;
  /** Permission bits (e.g. 0o644). */
  mode: number;
  /** Bytes of data (0 for dirs and symlinks). */
  size: number;
  /** Symlink target (symlinks only). */
  linkname?: string;
  /** The entry's data (files only; empty otherwise). */
  data: Buffer;
}

/** Largest single entry the reader accepts (bytes). Release files are far smaller. */
export const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'ascii');
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  // The length field counts itself: find the fixed point.
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, 'utf8');
}

function header(
  name: string,
  typeflag: string,
  size: number,
  mode: number,
  mtime: number,
  linkname = '',
): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, mode & 0o7777);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum computed with the field as spaces
  h.write(typeflag, 156, 1, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'binary');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function pad(n: number): Buffer {
  const r = n % BLOCK;
  return Buffer.alloc(r === 0 ? 0 : BLOCK - r);
}

/**
 * Encodes entries as one tar archive (ends with the two zero blocks).
 * `mtime` (seconds since epoch, default 0) is the same for every entry so archives are reproducible.
 */
export function writeTar(entries: Iterable<Omit<TarEntry, 'size'>>, mtime = 0): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const name = e.type === 'dir' ? `${e.path}/` : e.path;
    const link = e.linkname ?? '';
    const typeflag = e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2';
    const size = e.type === 'file' ? e.data.length : 0;
    if (Buffer.byteLength(name) > 99 || Buffer.byteLength(link) > 99) {
      const pax = Buffer.concat([paxRecord('path', name), ...(link ? [paxRecord('linkpath', link)] : [])]);
      parts.push(header('././@PaxHeader', 'x', pax.length, 0o644, mtime), pax, pad(pax.length));
    }
    parts.push(header(name.slice(0, 99), typeflag, size, e.mode, mtime, link.slice(0, 99)));
    if (size > 0) parts.push(e.data, pad(size));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? len : z).toString('utf8');
}

function readOctal(b: Buffer, off: number, len: number, field: string, at: number): number {
  const s = cstr(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s))
    throw new GkhError('UPDATE_TAR', `tar header at byte ${at}: field ${field} is not octal ("${s}")`, {
      byte: at + off,
      field,
      found: s,
    });
  return parseInt(s, 8);
}

function parsePax(data: Buffer, at: number): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const len = Number(data.subarray(i, sp).toString('ascii'));
    if (sp < 0 || !Number.isInteger(len) || len <= 0 || i + len > data.length)
      throw new GkhError('UPDATE_TAR', `pax header at byte ${at}: bad record at offset ${i}`, {
        byte: at + i,
      });
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Buffered byte source over an async iterable of chunks. */
class Reader {
  private chunks: Buffer[] = [];
  private have = 0;
  private done = false;
  /** Bytes consumed so far (for error positions). */
  offset = 0;
  private readonly it: AsyncIterator<Buffer | string>;
  constructor(src: AsyncIterable<Buffer | string> | Iterable<Buffer>) {
    if (Symbol.asyncIterator in src) this.it = src[Symbol.asyncIterator]();
    else {
      const sync = src[Symbol.iterator]();
      this.it = { next: () => Promise.resolve(sync.next()) };
    }
  }
  /** Exactly n bytes, or fewer only at end of input. */
  async take(n: number): Promise<Buffer> {
    while (this.have < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        this.chunks.push(b);
        this.have += b.length;
      }
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, Math.min(n, all.length));
    const rest = all.subarray(out.length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.have = rest.length;
    this.offset += out.length;
    return out;
  }
}

/**
 * Reads a tar archive entry by entry (each entry's data is held in memory, at most
 * MAX_ENTRY_BYTES). Checks every header checksum; refuses truncated archives and entry types other
 * than file, directory and symlink. Throws GkhError `UPDATE_TAR` naming the byte offset.
 */
export async function* readTar(
  src: AsyncIterable<Buffer | string> | Iterable<Buffer>,
): AsyncGenerator<TarEntry> {
  const r = new Reader(src);
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const at = r.offset;
    const h = await r.take(BLOCK);
    if (h.length < BLOCK)
      throw new GkhError(
        'UPDATE_TAR',
        `tar truncated at byte ${at}: expected a 512-byte header, got ${h.length} bytes`,
        { byte: at },
      );
    if (h.every((b) => b === 0)) return; // end-of-archive marker (a second zero block may follow)
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    const stored = readOctal(h, 148, 8, 'chksum', at);
    if (stored !== sum)
      throw new GkhError('UPDATE_TAR', `tar header at byte ${at}: checksum ${stored}, calculated ${sum}`, {
        byte: at,
        expected: stored,
        calculated: sum,
      });
    const type = String.fromCharCode(h[156]!);
    const size = readOctal(h, 124, 12, 'size', at);
    if (size > MAX_ENTRY_BYTES)
      throw new GkhError(
        'UPDATE_TAR',
        `tar entry at byte ${at} is ${size} bytes, above the ${MAX_ENTRY_BYTES} limit`,
        { byte: at, size },
      );
    const dataAt = r.offset;
    const data = await r.take(size);
    if (data.length < size)
      throw new GkhError(
        'UPDATE_TAR',
        `tar truncated at byte ${dataAt + data.length}: entry needs ${size} bytes`,
        { byte: dataAt + data.length },
      );
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if ((await r.take(padding)).length < padding)
      throw new GkhError('UPDATE_TAR', `tar truncated in padding after byte ${dataAt + size}`, {
        byte: dataAt + size,
      });
    if (type === 'x') {
      pax = parsePax(data, dataAt);
      continue;
    }
    if (type === 'g') continue; // global pax header: nothing we use
    if (type === 'L' || type === 'K') {
      const s = data.toString('utf8').replace(/\0+$/, '');
      if (type === 'L') longName = s;
      else longLink = s;
      continue;
    }
    const prefix = h.subarray(257, 262).toString('ascii') === 'ustar' ? cstr(h, 345, 155) : '';
    let path = pax.path ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    const linkname = pax.linkpath ?? longLink ?? cstr(h, 157, 100);
    pax = {};
    longName = longLink = undefined;
    path = path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    const mode = readOctal(h, 100, 8, 'mode', at) & 0o7777;
    if (type === '0' || type === '\0' || type === '7') yield { path, type: 'file', mode, size, data };
    else if (type === '5') yield { path, type: 'dir', mode, size: 0, data: Buffer.alloc(0) };
    else if (type === '2') yield { path, type: 'symlink', mode, size: 0, linkname, data: Buffer.alloc(0) };
    else
      throw new GkhError(
        'UPDATE_TAR',
        `tar entry "${path}" at byte ${at} has type "${type}"; only files, directories and symlinks are allowed`,
        { byte: at, path, type },
      );
  }
}
