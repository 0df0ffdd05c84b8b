#!/usr/bin/env node
// Bundles the Electron shell with esbuild: electron/main.ts → electron/dist/main.mjs (ESM, Node
// packages stay external in node_modules) and electron/preload.ts → electron/dist/preload.cjs (a
// sandboxed preload must be a single CommonJS file; it bundles only core/contract's names and bridge).
// Trainers are not bundled: utilityProcess runs core/trainer/entry.mjs, which loads core/ through tsx.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'electron', 'dist');
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
};

await build({
  ...common,
  entryPoints: [join(root, 'electron', 'main.ts')],
  outfile: join(out, 'main.mjs'),
  format: 'esm',
  packages: 'external',
  // Bundled ESM still needs `require` for the few CommonJS paths Node packages take.
  banner: {
    js: "import { createRequire as __oneiroCreateRequire } from 'node:module'; const require = __oneiroCreateRequire(import.meta.url);",
  },
});

await build({
  ...common,
  entryPoints: [join(root, 'electron', 'preload.ts')],
  outfile: join(out, 'preload.cjs'),
  format: 'cjs',
  external: ['electron'],
});

// package.json "main" points here; a small file so electron-builder and `electron .` agree.
writeFileSync(
  join(out, 'README.txt'),
  'Built by scripts/build-electron.mjs; do not edit. Entry: main.mjs, preload: preload.cjs.\n',
);
console.log(`built ${join('electron', 'dist', 'main.mjs')} and ${join('electron', 'dist', 'preload.cjs')}`);
