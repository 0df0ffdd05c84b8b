import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

// electron-builder cannot package here (it downloads Electron and tools), so the config is checked
// with electron-builder's own loader and schema validation, plus what the schema cannot know.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const configPath = join(root, 'build', 'electron-builder.yml');

async function load() {
  const { getConfig, validateConfiguration } = await import('app-builder-lib/out/util/config/config.js' as string);
  const { DebugLogger, log } = await import('builder-util' as string);
  // Its logger writes one line in three stdout writes, which can interleave with the test runner's
  // TAP stream and corrupt it: keep it quiet.
  log.stream = { write: () => true };
  const config = await getConfig(root, configPath, null);
  return { config, validate: () => validateConfiguration(config, new DebugLogger(false)) };
}

test('the config passes electron-builder validation', async () => {
  const { validate } = await load();
  await validate();
});

test('a broken config is refused by the same validation (the check has teeth)', async () => {
  const { config } = await load();
  const { validateConfiguration } = await import('app-builder-lib/out/util/config/config.js' as string);
  const { DebugLogger } = await import('builder-util' as string);
  for (const bad of [
    { ...config, notAnOption: true },
    { ...config, nsis: { ...config.nsis, oneClick: 'yes' } },
    { ...config, linux: { ...config.linux, unknownKey: 1 } },
    { ...config, electronFuses: { ...config.electronFuses, runAsNodeTypo: false } },
    { ...config, electronFuses: { ...config.electronFuses, runAsNode: 'off' } },
  ]) {
    await assert.rejects(validateConfiguration(bad, new DebugLogger(false)), /does not match the API schema/);
  }
});

test('targets: Linux AppImage + deb, macOS dmg, Windows nsis; icons exist and are big enough', async () => {
  const { config } = await load();
  const names = (t: unknown) =>
    (t as (string | { target: string })[]).map((x) => (typeof x === 'string' ? x : x.target));
  assert.deepEqual(names(config.linux.target), ['AppImage', 'deb']);
  assert.deepEqual(names(config.mac.target), ['dmg']);
  assert.deepEqual(names(config.win.target), ['nsis']);
  for (const platform of ['linux', 'mac', 'win']) {
    const icon = join(root, config[platform].icon);
    assert.ok(existsSync(icon), `${platform} icon ${icon}`);
    const meta = await sharp(icon).metadata();
    // electron-builder converts a PNG to .icns (needs >= 512) and .ico (>= 256).
    assert.ok(
      meta.format === 'png' && meta.width! >= 512 && meta.height === meta.width,
      `${platform} icon is a square PNG >= 512 px`,
    );
  }
});

test('the packed app starts from the bundled main and carries what it needs at run time', async () => {
  const { config } = await load();
  assert.equal(config.extraMetadata.main, 'electron/dist/main.mjs');
  // getConfig normalises `files` to [{ filter: [...] }].
  const files: string[] = config.files.flatMap((f: string | { filter: string[] }) =>
    typeof f === 'string' ? [f] : f.filter,
  );
  for (const needed of ['electron/dist/**', 'renderer/dist/**', 'core/**/*.ts', 'core/**/*.mjs'])
    assert.ok(files.includes(needed), needed);
  assert.ok(files.includes('!test/**'));
  // The build script writes exactly what extraMetadata.main and the preload path name.
  const script = readFileSync(join(root, 'scripts', 'build-electron.mjs'), 'utf8');
  assert.match(script, /main\.mjs/);
  assert.match(script, /preload\.cjs/);
  const main = readFileSync(join(root, 'electron', 'main.ts'), 'utf8');
  assert.match(main, /'preload\.cjs'/);
  assert.match(main, /'core', 'trainer', 'entry\.mjs'/);
  // The dependencies the unpacked app loads at run time are production dependencies (packed).
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const dep of ['tsx', 'zod', 'ws', 'sharp', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'])
    assert.ok(pkg.dependencies[dep], dep);
  assert.equal(pkg.scripts.dist.includes('electron-builder --config build/electron-builder.yml'), true);
});

test('Electron Fuses: no run-as-node, NODE_OPTIONS or inspect flags; encrypted cookies; asar fuses match asar', async () => {
  const { config } = await load();
  const f = config.electronFuses;
  assert.equal(f.runAsNode, false);
  assert.equal(f.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(f.enableNodeCliInspectArguments, false);
  assert.equal(f.enableCookieEncryption, true);
  // OnlyLoadAppFromAsar / asar integrity without an archive would stop the app from starting; with one,
  // they must be on. Either way the three settings agree.
  const asar = config.asar !== false;
  assert.equal(f.onlyLoadAppFromAsar, asar);
  assert.equal(f.enableEmbeddedAsarIntegrityValidation, asar);
  if (!asar) {
    // Why not yet is written down where a packager looks.
    const yml = readFileSync(configPath, 'utf8');
    const readme = readFileSync(join(root, 'build', 'README.md'), 'utf8');
    for (const text of [yml, readme])
      for (const why of ['esbuild', 'sharp', 'wasm']) assert.match(text, new RegExp(why));
    assert.match(readme, /## Why no asar yet/);
  }
  // Nothing in the app relies on what the fuses turn off.
  for (const f of ['electron/main.ts', 'core/trainer/launcher.ts', 'scripts/start.mjs'])
    assert.doesNotMatch(readFileSync(join(root, f), 'utf8'), /ELECTRON_RUN_AS_NODE|NODE_OPTIONS/, f);
});
