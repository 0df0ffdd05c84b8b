#!/usr/bin/env node
// `npm start`: the desktop app where an Electron binary exists, otherwise web mode.
// (Initial version: until the app lands, it runs `oneiro doctor`.)
import { spawnSync } from 'node:child_process';
const bin = new URL('../bin/oneiro.mjs', import.meta.url).pathname;
const r = spawnSync(process.execPath, [bin, 'doctor'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
