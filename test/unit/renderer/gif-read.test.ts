import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { readGif } from '../../e2e/support/gif.ts';

/** A 1×1, n-frame looping GIF89a built byte by byte from the GIF89a specification. */
function handMadeGif(n: number): Uint8Array {
  const b: number[] = [];
  b.push(...Buffer.from('GIF89a'), 1, 0, 1, 0, 0x80, 0, 0); // LSD: 1×1, global table of 2 colours
  b.push(0, 0, 0, 255, 255, 255);
  b.push(0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0'), 3, 1, 0, 0, 0); // loop forever
  b.push(0x21, 0xfe, 3, 0x2c, 0x2c, 0x2c, 0); // a comment full of 0x2C bytes: not frames
  for (let i = 0; i < n; i++) {
    b.push(0x21, 0xf9, 4, 0, 10, 0, 0, 0); // graphic control: 0.1 s
    b.push(0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0); // image descriptor 1×1, no local table
    // LZW, min code size 2: codes clear(4), 0, end(5) as 3-bit codes, LSB first → 0x44 0x01
    b.push(2, 2, 0x44, 0x01, 0);
  }
  b.push(0x3b);
  return Uint8Array.from(b);
}

test('readGif counts image descriptors, not stray 0x2C bytes', async () => {
  const gif = handMadeGif(3);
  assert.deepEqual(readGif(gif), { version: 'GIF89a', width: 1, height: 1, frames: 3, loops: true });
  // libvips agrees on the frame count of the hand-made file
  const meta = await sharp(gif, { animated: true }).metadata();
  assert.equal(meta.pages, 3);
});

test('readGif rejects other files and truncated GIFs', () => {
  assert.throws(() => readGif(Uint8Array.from(Buffer.from('\x89PNG\r\n\x1a\n'))), /not a GIF/);
  const gif = handMadeGif(2);
  assert.throws(() => readGif(gif.subarray(0, gif.length - 6)), /truncated/);
});
