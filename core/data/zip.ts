import { closeSync, fstatSync, openSync, read, readSync, constants as fsc } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import { UserError } from '../util/errors.ts';

/**
 * A zip reader for .npz archives that never trusts the archive: the central directory (with numpy's zip64
 * extra fields) gives each member's method and sizes, and inflation stops at the size a member declares and
 * at a per-file cap, whatever the header claims (a 2 MB file can otherwise inflate to gigabytes).
 * Members can also be read by byte range, so a few frames of a long episode cost a few frames of memory.
 */

/** Default cap on the bytes one episode file may inflate to (all members together): 1 GiB. */
export const DEFAULT_MAX_EPISODE_BYTES = 1 << 30;
const readAsync = promisify(read);

export const MAX_BYTES_ENV = 'ONEIRO_MAX_EPISODE_BYTES';

/** The cap from ONEIRO_MAX_EPISODE_BYTES (bytes), else the default. */
export function maxEpisodeBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MAX_BYTES_ENV];
  if (raw === undefined || raw === '') return DEFAULT_MAX_EPISODE_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UserError(`${MAX_BYTES_ENV}='${raw}' is not valid: expected a positive whole number of bytes`);
  return n;
}

export function overCapMessage(source: string, what: string, cap: number): string {
  return `${source}: ${what}, over the limit of ${cap} bytes per episode file (raise it with ${MAX_BYTES_ENV}=<bytes>)`;
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** Reads `length` bytes at `offset` (fewer at the end of the source). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

export function bytesReader(bytes: Uint8Array): ReadAt {
  return (offset, length) => bytes.subarray(offset, Math.min(bytes.byteLength, offset + length));
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 0x100000000;

/** The member list from the central directory (end-of-central-directory record, zip64 when numpy wrote it). */
export function readZipDirectory(readAt: ReadAt, fileSize: number, source: string): ZipEntry[] {
  const bad = (why: string): never => {
    throw new UserError(
      `${source}: not a readable .npz (zip) archive: ${why}${fileSize < 22 ? ' (file too short)' : ' (truncated or corrupt?)'}`,
    );
  };
  const tailLen = Math.min(fileSize, 22 + 0xffff);
  const tail = readAt(fileSize - tailLen, tailLen);
  let e = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50) {
      e = i;
      break;
    }
  }
  if (e < 0) return bad('no end-of-central-directory record');
  let count = u16(tail, e + 10);
  let cdSize = u32(tail, e + 12);
  let cdOffset = u32(tail, e + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = fileSize - tailLen + e - 20;
    const loc = locAt >= 0 ? readAt(locAt, 20) : new Uint8Array(0);
    if (loc.byteLength < 20 || u32(loc, 0) !== 0x07064b50) return bad('zip64 locator missing');
    const rec = readAt(u64(loc, 8), 56);
    if (rec.byteLength < 56 || u32(rec, 0) !== 0x06064b50) return bad('zip64 end record missing');
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  if (cdOffset + cdSize > fileSize) return bad('central directory lies past the end of the file');
  const cd = readAt(cdOffset, cdSize);
  const out: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.byteLength || u32(cd, p) !== 0x02014b50) return bad(`central directory entry ${k} is damaged`);
    const flags = u16(cd, p + 8);
    const method = u16(cd, p + 10);
    let compressedSize = u32(cd, p + 20);
    let size = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    let localOffset = u32(cd, p + 42);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field (0x0001): the 64-bit values, in this order, for each field saturated at 0xffffffff.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = u16(cd, x);
      const len = u16(cd, x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        if (size === 0xffffffff) {
          size = u64(cd, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(cd, q);
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = u64(cd, q);
      }
      x += 4 + len;
    }
    if (flags & 1) return bad(`member '${name}' is encrypted`);
    if (method !== 0 && method !== 8)
      return bad(`member '${name}' uses compression method ${method} (expected stored or deflate)`);
    out.push({ name, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Where a member's data starts (after its local header, whose name and extra lengths may differ). */
export function memberDataOffset(readAt: ReadAt, entry: ZipEntry, source: string): number {
  const h = readAt(entry.localOffset, 30);
  if (h.byteLength < 30 || u32(h, 0) !== 0x04034b50)
    throw new UserError(`${source}: not a readable .npz (zip) archive: no local header for '${entry.name}' (corrupt?)`);
  return entry.localOffset + 30 + u16(h, 26) + u16(h, 28);
}

/**
 * Inflates one whole member, refusing a declared size over `cap` and stopping inflation at the declared
 * size (and so at the cap): output past either is an error, never an allocation.
 */
export function inflateMember(readAt: ReadAt, entry: ZipEntry, source: string, cap: number): Uint8Array {
  const where = `${source}:${entry.name}`;
  if (entry.size > cap) throw new UserError(overCapMessage(where, `declares ${entry.size} bytes uncompressed`, cap));
  const at = memberDataOffset(readAt, entry, source);
  const packed = readAt(at, entry.compressedSize);
  if (packed.byteLength < entry.compressedSize)
    throw new UserError(`${where}: truncated: ${entry.compressedSize} compressed bytes declared, file ends early`);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size)
      throw new UserError(`${where}: stored member declares ${entry.size} bytes but holds ${entry.compressedSize}`);
    return packed;
  }
  let out: Uint8Array;
  try {
    out = inflateRawSync(packed, { maxOutputLength: Math.max(1, entry.size) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new UserError(`${where}: inflates past the ${entry.size} bytes its header declares (corrupt or hostile)`);
    throw new UserError(`${where}: deflate data is corrupt (${(e as Error).message})`);
  }
  if (out.byteLength !== entry.size)
    throw new UserError(`${where}: inflates to ${out.byteLength} bytes but its header declares ${entry.size}`);
  return out;
}

/**
 * An episode file opened for range reads: only the directory is read at open. A FIFO, device or socket is
 * refused before any read (opened non-blocking, so a FIFO cannot hang the caller).
 */
export class ZipFile {
  readonly entries: ZipEntry[];
  readonly readAt: ReadAt;
  readonly size: number;
  private readonly fd: number;

  constructor(
    readonly path: string,
    readonly cap = maxEpisodeBytes(),
  ) {
    this.fd = openRegularFile(path);
    try {
      const size = (this.size = fstatSync(this.fd).size);
      this.readAt = (offset, length) => {
        const n = Math.max(0, Math.min(length, size - offset));
        const buf = new Uint8Array(n);
        let got = 0;
        while (got < n) {
          const r = readSync(this.fd, buf, got, n - got, offset + got);
          if (r === 0) break;
          got += r;
        }
        return buf.subarray(0, got);
      };
      this.entries = readZipDirectory(this.readAt, size, path);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /**
   * Bytes [from, to) of a member's uncompressed data. Stored members are read by offset; deflated ones are
   * stream-inflated off the event loop, keeping only the range and stopping once it is complete.
   */
  async readRange(entry: ZipEntry, from: number, to: number): Promise<Uint8Array> {
    const where = `${this.path}:${entry.name}`;
    if (entry.size > this.cap)
      throw new UserError(overCapMessage(where, `declares ${entry.size} bytes uncompressed`, this.cap));
    if (from < 0 || to > entry.size || from > to)
      throw new UserError(`${where}: byte range [${from}, ${to}) is outside the member (${entry.size} bytes)`);
    const at = memberDataOffset(this.readAt, entry, this.path);
    if (entry.method === 0) return this.readAt(at + from, to - from).slice();
    const out = new Uint8Array(to - from);
    if (to === from) return out;
    const fd = this.fd;
    const last = at + entry.compressedSize;
    // Compressed bytes in 64 KiB reads; each await lets the event loop run between chunks.
    const stream = Readable.from(
      (async function* () {
        for (let p = at; p < last;) {
          const buf = Buffer.alloc(Math.min(1 << 16, last - p));
          const { bytesRead } = await readAsync(fd, buf, 0, buf.byteLength, p);
          if (bytesRead === 0) return;
          p += bytesRead;
          yield buf.subarray(0, bytesRead);
        }
      })(),
    );
    const inflate = createInflateRaw({ chunkSize: 1 << 18 });
    stream.pipe(inflate);
    let pos = 0;
    try {
      for await (const chunk of inflate as AsyncIterable<Buffer>) {
        const lo = Math.max(from, pos);
        const hi = Math.min(to, pos + chunk.byteLength);
        if (hi > lo) out.set(chunk.subarray(lo - pos, hi - pos), lo - from);
        pos += chunk.byteLength;
        if (pos > entry.size)
          throw new UserError(
            `${where}: inflates past the ${entry.size} bytes its header declares (corrupt or hostile)`,
          );
        if (pos >= to) break;
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`${where}: deflate data is corrupt (${(e as Error).message})`);
    } finally {
      stream.unpipe(inflate);
      stream.destroy();
      inflate.destroy();
    }
    if (pos < to) throw new UserError(`${where}: inflates to ${pos} bytes but its header declares ${entry.size}`);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Opens a path for reading only if it is a regular file (after symlinks); names what it is otherwise. */
export function openRegularFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new UserError(`${path}: not a regular file (${fileKind(st)}); only regular files are read`);
  }
  return fd;
}

function fileKind(st: import('node:fs').Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a folder';
  return 'not a file';
}
