import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32c } from '@aws-crypto/crc32c';
import protobuf from 'protobufjs';

/**
 * TensorBoard event files: TFRecord framing of `tensorboard.Event` protos. Each record is
 * `uint64 length, uint32 masked_crc32c(length), data, uint32 masked_crc32c(data)`, little-endian
 * (tensorflow/tensorflow tensorflow/core/lib/io/record_writer.cc). The protos are TensorBoard's
 * event.proto/summary.proto (the subset in assets/tensorboard/events.proto), encoded by protobufjs.
 */

export const EVENTS_PROTO = fileURLToPath(new URL('../../assets/tensorboard/events.proto', import.meta.url));
export const FILE_VERSION = 'brain.Event:2';

let root: protobuf.Root | null = null;
function eventType(): protobuf.Type {
  root ??= protobuf.loadSync(EVENTS_PROTO);
  return root.lookupType('tensorboard.Event');
}

/** Mask(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8 (tensorflow/core/lib/hash/crc32c.h). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.byteLength + 4);
  out.writeBigUInt64LE(BigInt(data.byteLength), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.byteLength);
  return out;
}

/** The records of an event file; a CRC mismatch throws, a torn last record (a kill mid-append) ends the list. */
export function readRecords(buf: Uint8Array): Uint8Array[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off + 12 <= b.length) {
    const n = Number(b.readBigUInt64LE(off));
    if (b.readUInt32LE(off + 8) !== maskedCrc32c(b.subarray(off, off + 8)))
      throw new Error(`event record at byte ${off}: length CRC mismatch`);
    if (off + 12 + n + 4 > b.length) break;
    const data = b.subarray(off + 12, off + 12 + n);
    if (b.readUInt32LE(off + 12 + n) !== maskedCrc32c(data))
      throw new Error(`event record at byte ${off}: data CRC mismatch`);
    out.push(data);
    off += 12 + n + 4;
  }
  return out;
}

export interface EventImage {
  height: number;
  width: number;
  /** Encoded PNG (or GIF) bytes. */
  encoded: Uint8Array;
}

export type EventPayload =
  | { fileVersion: string }
  | { scalars: Record<string, number> }
  | { image: { tag: string } & EventImage }
  | { sessionStart: true };

export function encodeEvent(wallTime: number, step: number, p: EventPayload): Uint8Array {
  const T = eventType();
  const obj: Record<string, unknown> = { wallTime, step };
  if ('fileVersion' in p) obj.fileVersion = p.fileVersion;
  else if ('scalars' in p)
    obj.summary = { value: Object.entries(p.scalars).map(([tag, simpleValue]) => ({ tag, simpleValue })) };
  else if ('image' in p) {
    const { tag, height, width, encoded } = p.image;
    obj.summary = { value: [{ tag, image: { height, width, colorspace: 3, encodedImageString: encoded } }] };
  } else obj.sessionLog = { status: 1 };
  return T.encode(T.fromObject(obj)).finish();
}

export function decodeEvent(data: Uint8Array): Record<string, unknown> {
  const T = eventType();
  return T.toObject(T.decode(data), { longs: Number, bytes: Buffer, oneofs: true }) as Record<string, unknown>;
}

/** One event file per writer (per trainer process), as TensorBoard's own writers do. */
export class EventFileWriter {
  readonly path: string;

  constructor(dir: string, now = Date.now()) {
    mkdirSync(dir, { recursive: true });
    const secs = Math.floor(now / 1000);
    this.path = join(dir, `events.out.tfevents.${secs}.${hostname()}.${process.pid}.oneiro`);
    this.write(now / 1000, 0, { fileVersion: FILE_VERSION });
  }

  /** One append per record: a kill can tear only the last record, which readers skip. */
  write(wallTime: number, step: number, p: EventPayload): void {
    appendFileSync(this.path, frameRecord(encodeEvent(wallTime, step, p)));
  }
}

export function readEventFile(path: string): Record<string, unknown>[] {
  return readRecords(readFileSync(path)).map(decodeEvent);
}
