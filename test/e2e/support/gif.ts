/**
 * Reads a GIF's block structure (GIF89a spec, sections 17–27) to count its frames: one per image
 * descriptor, skipping extensions and image data by their sub-block lengths, so a 0x2C byte inside pixel
 * data or a comment is never mistaken for a frame.
 */
export interface GifInfo {
  version: 'GIF87a' | 'GIF89a';
  width: number;
  height: number;
  frames: number;
  /** Application extension NETSCAPE2.0 present (animation loops). */
  loops: boolean;
}

export function readGif(bytes: Uint8Array): GifInfo {
  const sig = String.fromCharCode(...bytes.subarray(0, 6));
  if (sig !== 'GIF89a' && sig !== 'GIF87a')
    throw new Error(`not a GIF: header is ${JSON.stringify(sig)}, expected "GIF89a"`);
  const u16 = (o: number) => bytes[o] | (bytes[o + 1] << 8);
  const need = (o: number) => {
    if (o >= bytes.length) throw new Error(`GIF truncated at byte ${o} of ${bytes.length}`);
  };
  const width = u16(6);
  const height = u16(8);
  const packed = bytes[10];
  let p = 13;
  if (packed & 0x80) p += 3 * (1 << ((packed & 0x07) + 1)); // global colour table
  const skipSubBlocks = () => {
    for (;;) {
      need(p);
      const n = bytes[p++];
      if (n === 0) return;
      p += n;
    }
  };
  let frames = 0;
  let loops = false;
  for (;;) {
    need(p);
    const b = bytes[p++];
    if (b === 0x3b) break; // trailer
    if (b === 0x21) {
      need(p);
      const label = bytes[p++];
      if (label === 0xff && bytes[p] === 11 && String.fromCharCode(...bytes.subarray(p + 1, p + 12)) === 'NETSCAPE2.0')
        loops = true;
      skipSubBlocks();
    } else if (b === 0x2c) {
      frames++;
      need(p + 8);
      const flags = bytes[p + 8];
      p += 9;
      if (flags & 0x80) p += 3 * (1 << ((flags & 0x07) + 1)); // local colour table
      p++; // LZW minimum code size
      skipSubBlocks();
    } else {
      throw new Error(`unexpected GIF block 0x${b.toString(16)} at byte ${p - 1}`);
    }
  }
  return { version: sig, width, height, frames, loops };
}
