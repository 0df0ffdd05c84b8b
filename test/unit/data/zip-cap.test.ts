import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpz, readNpz, decodeNpz } from '../../../core/data/npz.ts';
import { episodeToArrays, writeEpisode } from '../../../core/data/episode-file.ts';
import { importIntoDataset } from '../../../core/data/dataset-import.ts';
import { createDataset, addEpisode, episodeFrames, openDataset } from '../../../core/data/dataset.ts';
import { maxEpisodeBytes, DEFAULT_MAX_EPISODE_BYTES } from '../../../core/data/zip.ts';
import { codedEpisode } from './helpers.ts';

/** An episode whose frames are all zero: deflate shrinks it about a thousandfold (a small zip bomb). */
function zeroEpisode(rows: number, size: number) {
  const ep = codedEpisode(0, rows, size);
  ep.image.fill(0);
  return ep;
}

/** Rewrites the uncompressed size 'image.npy' declares (central directory and local header): a forged header. */
function forgeImageSize(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const v = new DataView(out.buffer);
  const name = new TextEncoder().encode('image.npy');
  const isName = (at: number) => name.every((b, k) => out[at + k] === b);
  for (let i = 0; i + 46 < out.byteLength; i++) {
    const sig = v.getUint32(i, true);
    if (sig === 0x02014b50 && isName(i + 46)) v.setUint32(i + 24, size, true);
    if (sig === 0x04034b50 && isName(i + 30)) v.setUint32(i + 22, size, true);
  }
  return out;
}

function withDir(f: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-zip-'));
  return Promise.resolve(f(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('the cap: an .npz whose members declare more than the limit is refused before inflating, naming the limit', () => {
  const bomb = encodeNpz(episodeToArrays(zeroEpisode(64, 64))); // 64·64·64·3 = 786 KB of image, a few KB on disk
  assert.ok(bomb.byteLength < 20_000, `bomb is ${bomb.byteLength} bytes`);
  assert.throws(
    () => decodeNpz(bomb, 'bomb.npz', { maxBytes: 100_000 }),
    /^UserError: bomb\.npz: members declare \d+ bytes uncompressed, over the limit of 100000 bytes per episode file \(raise it with ONEIRO_MAX_EPISODE_BYTES=<bytes>\)$/,
  );
  // Under a cap it fits in, the same file reads.
  assert.equal(decodeNpz(bomb, 'bomb.npz', { maxBytes: 1_000_000 }).image.shape[0], 64);
});

test('a forged header: inflation stops at the size a member declares, whatever the data holds', () => {
  const bomb = encodeNpz(episodeToArrays(zeroEpisode(64, 64)));
  const forged = forgeImageSize(bomb, 1000);
  assert.throws(
    () => decodeNpz(forged, 'forged.npz', { maxBytes: 100_000 }),
    /^UserError: forged\.npz:image\.npy: inflates past the 1000 bytes its header declares \(corrupt or hostile\)$/,
  );
  // A header declaring more than the data holds is an error too, not a zero-padded array.
  const long = forgeImageSize(bomb, 786_600);
  assert.throws(() => decodeNpz(long, 'long.npz'), /inflates to 786560 bytes but its header declares 786600/);
});

test('ONEIRO_MAX_EPISODE_BYTES sets the cap; a bad value is a one-line error', () => {
  assert.equal(maxEpisodeBytes({}), DEFAULT_MAX_EPISODE_BYTES);
  assert.equal(maxEpisodeBytes({ ONEIRO_MAX_EPISODE_BYTES: '5000' }), 5000);
  assert.throws(
    () => maxEpisodeBytes({ ONEIRO_MAX_EPISODE_BYTES: '2GB' }),
    /ONEIRO_MAX_EPISODE_BYTES='2GB' is not valid: expected a positive whole number of bytes/,
  );
});

test('import: a zip bomb over the cap is a named bad file; the rest of the folder imports', () =>
  withDir((root) => {
    const src = join(root, 'src');
    const ws = join(root, 'ws');
    mkdirSync(src);
    writeEpisode(join(src, 'a-good.npz'), codedEpisode(1, 4, 64));
    writeFileSync(join(src, 'b-bomb.npz'), encodeNpz(episodeToArrays(zeroEpisode(200, 64))));
    const prev = process.env.ONEIRO_MAX_EPISODE_BYTES;
    process.env.ONEIRO_MAX_EPISODE_BYTES = '1000000';
    try {
      const { report, dataset } = importIntoDataset(ws, 'capped', src);
      assert.equal(report.episodes, 1);
      assert.deepEqual(
        report.bad.map((b) => b.file),
        ['b-bomb.npz'],
      );
      assert.match(report.bad[0].reason, /over the limit of 1000000 bytes .*ONEIRO_MAX_EPISODE_BYTES/);
      assert.equal(dataset?.meta.counts.episodes, 1);
    } finally {
      if (prev === undefined) delete process.env.ONEIRO_MAX_EPISODE_BYTES;
      else process.env.ONEIRO_MAX_EPISODE_BYTES = prev;
    }
  }));

test('frames of a deflated episode: only the requested range is inflated, and the event loop keeps running', () =>
  withDir(async (ws) => {
    const ds = createDataset(ws, 'big', {
      env: null,
      observationShape: [64, 64, 3],
      actionSpace: { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] },
      source: {},
    });
    const ep = codedEpisode(0, 300, 64); // frame t is filled with t mod 256
    for (let i = 0; i < ep.image.length; i++) ep.image[i] = (ep.image[i] + ((i * 7919) >> 5)) & 0xff; // defeat deflate
    const entry = addEpisode(ds, ep);
    const path = join(ds.dir, entry.file);
    const F = 64 * 64 * 3;

    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const { frames, shape } = await episodeFrames(openDataset(ws, 'big'), 0, 5, 8);
    clearInterval(timer);
    assert.deepEqual(shape, [3, 64, 64, 3]);
    assert.deepEqual(frames, ep.image.subarray(5 * F, 8 * F));
    assert.ok(ticks > 0, 'timers ran while the frames were read (inflation did not hold the event loop)');

    // Damage the image data from 60% to 80% of the file: frames near the start still read, which they could not
    // if the whole member were inflated first; frames past the damage are a one-line error naming the file.
    const bytes = readFileSync(path);
    for (let i = Math.floor(bytes.byteLength * 0.6); i < bytes.byteLength * 0.8; i++) bytes[i] ^= 0x5a;
    writeFileSync(path, bytes);
    const early = await episodeFrames(openDataset(ws, 'big'), 0, 0, 2);
    assert.deepEqual(early.frames, ep.image.subarray(0, 2 * F));
    await assert.rejects(episodeFrames(openDataset(ws, 'big'), 0, 290, 300), new RegExp(`${entry.file}`));

    // A member declaring more than the cap is refused before any frame is inflated.
    const prev = process.env.ONEIRO_MAX_EPISODE_BYTES;
    process.env.ONEIRO_MAX_EPISODE_BYTES = '100000';
    try {
      await assert.rejects(
        episodeFrames(openDataset(ws, 'big'), 0, 0, 1),
        /image\.npy: declares \d+ bytes uncompressed, over the limit of 100000 bytes per episode file/,
      );
    } finally {
      if (prev === undefined) delete process.env.ONEIRO_MAX_EPISODE_BYTES;
      else process.env.ONEIRO_MAX_EPISODE_BYTES = prev;
    }
  }));

test('frames of a stored episode are read by offset and equal the written ones', () =>
  withDir(async (ws) => {
    const ds = createDataset(ws, 'stored', {
      env: null,
      observationShape: [8, 8, 3],
      actionSpace: { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] },
      source: {},
    });
    const ep = codedEpisode(3, 20, 8);
    const file = '20240101T000000-stored-19.npz';
    writeEpisode(join(ds.dir, file), ep, { compress: false });
    ds.meta.episodes.push({ file, length: 20, return: 0 });
    const { frames } = await episodeFrames(ds, 0, 17, 20);
    assert.deepEqual(frames, ep.image.subarray(17 * 192, 20 * 192));
    assert.equal(readNpz(join(ds.dir, file)).image.shape[0], 20);
  }));
