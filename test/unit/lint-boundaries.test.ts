import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

// The import boundaries are lint rules (eslint.config.js); these checks fail if a rule is lost or loosened.
const root = new URL('../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function messages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test('core/ may not import electron', async () => {
  const m = await messages("import { app } from 'electron';\nexport const x = app;\n", `${root}core/bad-electron.ts`);
  assert.ok(
    m.some((s) => s.startsWith('no-restricted-imports') && /Electron/.test(s)),
    m.join('\n'),
  );
});

test('core/ may not import svelte or the renderer', async () => {
  const m1 = await messages("import { mount } from 'svelte';\nexport const x = mount;\n", `${root}core/bad-svelte.ts`);
  assert.ok(
    m1.some((s) => s.startsWith('no-restricted-imports')),
    m1.join('\n'),
  );
  const m2 = await messages(
    "import x from '../renderer/src/App.svelte';\nexport const y = x;\n",
    `${root}core/bad-renderer.ts`,
  );
  assert.ok(
    m2.some((s) => s.startsWith('no-restricted-imports')),
    m2.join('\n'),
  );
});

test('core/ may not use DOM globals', async () => {
  const m = await messages('export const w = window.innerWidth;\n', `${root}core/bad-dom.ts`);
  assert.ok(
    m.some((s) => s.startsWith('no-restricted-globals')),
    m.join('\n'),
  );
});

test('renderer/ may import the contract but no other part of core', async () => {
  const ok = await messages(
    "import type { X } from '../../core/contract/index.ts';\nexport type Y = X;\n",
    `${root}renderer/src/ok.ts`,
  );
  assert.ok(!ok.some((s) => s.startsWith('no-restricted-imports')), ok.join('\n'));
  const bad = await messages(
    "import { makeEnv } from '../../core/envs/registry.ts';\nexport const y = makeEnv;\n",
    `${root}renderer/src/bad.ts`,
  );
  assert.ok(
    bad.some((s) => s.startsWith('no-restricted-imports') && /contract/.test(s)),
    bad.join('\n'),
  );
});

test('renderer/ may not import Node modules', async () => {
  const m = await messages(
    "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    `${root}renderer/src/bad-node.ts`,
  );
  assert.ok(
    m.some((s) => s.startsWith('no-restricted-imports')),
    m.join('\n'),
  );
});
