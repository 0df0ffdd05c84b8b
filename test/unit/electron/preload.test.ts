import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { CHANNEL_METHODS, EVENT_NAMES } from '../../../core/contract/names.ts';

// Bundles electron/preload.ts exactly as scripts/build-electron.mjs does and runs it in a sandbox-like
// VM context with a fake `electron`: the page gets exactly the contract's methods and onX, and
// nothing that reaches ipcRenderer or the IPC event.

const root = fileURLToPath(new URL('../../..', import.meta.url));

async function loadPreload() {
  const out = await build({
    entryPoints: [join(root, 'electron', 'preload.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const code = out.outputFiles[0].text;
  const exposed: Record<string, unknown> = {};
  const invoked: [string, unknown][] = [];
  const listeners = new Map<string, (e: unknown, p: unknown) => void>();
  const ipcRenderer = {
    invoke: async (ch: string, p: unknown) => {
      invoked.push([ch, p]);
      return { ok: true, result: `reply of ${ch}` };
    },
    on: (ch: string, l: (e: unknown, p: unknown) => void) => listeners.set(ch, l),
    removeListener: (ch: string, l: unknown) => {
      if (listeners.get(ch) === l) listeners.delete(ch);
    },
    send: () => assert.fail('the preload must not use ipcRenderer.send'),
  };
  const electron = {
    contextBridge: {
      exposeInMainWorld: (k: string, v: unknown) => {
        exposed[k] = v;
      },
    },
    ipcRenderer,
  };
  const required: string[] = [];
  const sandboxRequire = (m: string) => {
    required.push(m);
    if (m === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require '${m}'`);
  };
  const module = { exports: {} };
  vm.runInNewContext(code, { require: sandboxRequire, module, exports: module.exports, console });
  return { exposed, invoked, listeners, required, size: code.length };
}

test('window.oneiro has exactly the contract methods and onX subscriptions, and no ipcRenderer', async () => {
  const p = await loadPreload();
  assert.deepEqual(Object.keys(p.exposed), ['oneiro'], 'only window.oneiro is exposed');
  const api = p.exposed.oneiro as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(api).sort(),
    [...Object.values(CHANNEL_METHODS), ...EVENT_NAMES, 'chooseFolder'].sort(),
    'the contract, plus the desktop folder dialog',
  );
  for (const [k, v] of Object.entries(api)) assert.equal(typeof v, 'function', k);
  assert.deepEqual(
    p.required,
    ['electron'],
    'the bundle needs nothing but electron (sandboxed preloads have no require)',
  );
  assert.ok(p.size < 20_000, `preload bundle is small (${p.size} bytes): no zod, no core beyond the contract names`);
  for (const key of ['ipcRenderer', 'invoke', 'send', 'on', 'require']) assert.ok(!(key in api), key);
});

test('methods invoke their own channel; events strip the Electron event object; unsubscribe removes the listener', async () => {
  const p = await loadPreload();
  const api = p.exposed.oneiro as Record<string, (...a: unknown[]) => unknown>;
  // (Objects made inside the VM have its prototypes: compare as JSON.)
  const json = (v: unknown) => JSON.stringify(v);
  assert.equal(
    json(await api.createRun({ family: 'world-models', dataset: 'd' })),
    json({ ok: true, result: 'reply of runs:create' }),
  );
  await api.listRuns();
  await api.chooseFolder('/etc/passwd'); // a page's argument never reaches the dialog channel
  assert.equal(
    json(p.invoked),
    json([
      ['runs:create', { family: 'world-models', dataset: 'd' }],
      ['runs:list', {}],
      ['dialog:choose-folder', undefined],
    ]),
  );
  const got: unknown[][] = [];
  const off = api.onMetrics((...args: unknown[]) => got.push(args)) as () => void;
  p.listeners.get('onMetrics')!({ sender: 'the IPC event' }, { runId: 'r', points: [] });
  assert.equal(json(got), json([[{ runId: 'r', points: [] }]]), 'the listener receives the payload only');
  off();
  assert.equal(p.listeners.has('onMetrics'), false);
  assert.throws(() => api.onRunStatus('not a function'), /expects a listener function/);
});
