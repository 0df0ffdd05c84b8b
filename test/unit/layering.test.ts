/**
 * Every import in core/ runs down the layers of DESIGN.md ("Imports go down the layers"):
 *
 *   util, contract · tensor, envs, data, media · models · agents · runs · trainer · queue · service · host · bench · cli
 *
 * A module may import its own layer and any layer below, never one above. The desktop host (electron/) is
 * checked as the `host` layer: it may not reach up into the CLI either. eslint's no-restricted-imports
 * sees only literal paths, so this test reads every core/ file with the TypeScript parser and checks
 * static imports and re-exports (type-only ones too: a type is a dependency on a concept), literal
 * `import('…')` calls, `new URL('…', import.meta.url)` module references (with `${…}` parts as wildcards:
 * a file or folder of modules loaded by path), and refuses any other computed `import(expr)` unless it is
 * listed in COMPUTED_IMPORTS with where its targets are checked.
 *
 * Where `queue`, `bench` and the CLI sit: the job queue (core/queue) runs the trainer entry for jobs and is a
 * WorkerLauncher the service can use, so it sits between trainer and service; `bench` measures every layer,
 * including the host's event-loop probe, so it sits above the host, and the CLI above both (`oneiro serve`
 * starts the host, `oneiro bench` loads the suites).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const LAYERS: string[][] = [
  ['util', 'contract'],
  ['tensor', 'envs', 'data', 'media'],
  ['models'],
  ['agents'],
  ['runs'],
  ['trainer'],
  ['queue'],
  ['service'],
  ['host'],
  ['bench'],
  ['cli'],
];

/** Files placed by where they belong rather than by their folder (none today). */
const FILE_LAYER: Record<string, string> = {};

/**
 * Computed `import(expr)` calls the parser cannot follow, each with where its targets are checked instead.
 * Any other computed import fails the test: use a literal path, or add it here with the reason.
 */
const COMPUTED_IMPORTS: Record<string, string> = {
  'core/cli/main.ts': 'its commands, through its new URL(`./commands/${name}.ts`) reference (checked)',
  'core/cli/commands/bench.ts': 'the bench suites, through its new URL(../../bench/suites/) reference (checked)',
  'core/tensor/backend.ts': 'npm packages only: the optional native backends @tensorflow/tfjs-node(-gpu)',
};

/**
 * Upward imports that remain only because another change has not landed yet. Each entry must still be a
 * real violation: the test fails on a stale entry, so the list empties as the moves land.
 */
const PENDING: { from: string; to: string; why: string }[] = [];

export function layerOf(file: string): string {
  if (FILE_LAYER[file]) return FILE_LAYER[file];
  if (file.startsWith('electron/')) return 'host';
  const m = /^core\/([^/]+)\//.exec(file);
  if (!m) throw new Error(`${file} is not a core/ module in a layer folder`);
  return m[1];
}

export function rankOf(layer: string): number {
  const r = LAYERS.findIndex((l) => l.includes(layer));
  if (r < 0) throw new Error(`core/${layer}/ is in no layer: add it to LAYERS (and DESIGN.md)`);
  return r;
}

export interface Reference {
  /** Repo-relative target: a module file, or a glob / folder (ending in `/`) loaded by path. */
  target: string;
  kind: 'import' | 'dynamic import' | 'new URL' | 'computed import';
  line: number;
}

const MODULE_EXT = /\.(ts|mts|mjs|js)$/;

/** Every module reference in one source file (relative specifiers only; packages are lint's concern). */
export function referencesOf(file: string, source: string): Reference[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out: Reference[] = [];
  const dir = dirname(file);
  const line = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (spec: string, kind: Reference['kind'], n: ts.Node) => {
    if (!spec.startsWith('.')) return;
    const target = relative(ROOT, resolve(ROOT, dir, spec)) + (spec.endsWith('/') ? '/' : '');
    out.push({ target, kind, line: line(n) });
  };
  const literal = (n: ts.Node): string | null =>
    ts.isStringLiteralLike(n)
      ? n.text
      : ts.isTemplateExpression(n)
        ? n.head.text + n.templateSpans.map((s) => `*${s.literal.text}`).join('')
        : null;
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      add((n.moduleSpecifier as ts.StringLiteral).text, 'import', n);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const spec = n.arguments[0] && ts.isStringLiteralLike(n.arguments[0]) ? n.arguments[0].text : null;
      if (spec !== null) add(spec, 'dynamic import', n);
      else out.push({ target: '?', kind: 'computed import', line: line(n) });
    } else if (
      ts.isNewExpression(n) &&
      ts.isIdentifier(n.expression) &&
      n.expression.text === 'URL' &&
      n.arguments?.length === 2 &&
      n.arguments[1].getText(sf) === 'import.meta.url'
    ) {
      const spec = literal(n.arguments[0]);
      if (spec !== null) add(spec, 'new URL', n);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((e) => {
    const p = `${dir}/${e}`;
    return statSync(join(ROOT, p)).isDirectory() ? walk(p) : MODULE_EXT.test(e) ? [p] : [];
  });
}

/** The core/ modules a reference names: one file, or every module matching a glob or inside a folder. */
function expand(target: string, files: string[]): string[] {
  if (target.endsWith('/')) return files.filter((f) => f.startsWith(target));
  if (target.includes('*')) {
    const re = new RegExp(`^${target.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    return files.filter((f) => re.test(f));
  }
  if (existsSync(join(ROOT, target)) && statSync(join(ROOT, target)).isDirectory())
    return files.filter((f) => f.startsWith(`${target}/`));
  return [target];
}

/** Upward (or out-of-core) references among the given sources, as `from:line → to (kind, layers)` lines. */
export function violations(sources: Record<string, string>, allFiles = Object.keys(sources)): string[] {
  const bad: string[] = [];
  for (const [file, src] of Object.entries(sources)) {
    const from = layerOf(file);
    for (const ref of referencesOf(file, src)) {
      if (ref.kind === 'computed import') {
        if (!COMPUTED_IMPORTS[file])
          bad.push(`${file}:${ref.line} computed import(…): a path the layering cannot check; use a literal path`);
        continue;
      }
      for (const target of expand(ref.target, allFiles)) {
        if (!target.startsWith('core/') && !(from === 'host' && target.startsWith('electron/'))) {
          // new URL('../..') style references to the project root are paths, not modules.
          if (ref.kind === 'new URL' && !MODULE_EXT.test(target)) continue;
          bad.push(`${file}:${ref.line} → ${target} (${ref.kind}): core/ imports only core/`);
          continue;
        }
        const to = layerOf(target);
        if (rankOf(to) > rankOf(from))
          bad.push(`${file}:${ref.line} → ${target} (${ref.kind}): ${from} may not import ${to}, a higher layer`);
      }
    }
  }
  return bad;
}

const coreFiles = walk('core');
// electron/dist is the bundle of electron/*.ts, not a source.
const electronFiles = walk('electron').filter((f) => !f.startsWith('electron/dist/'));

test('every import in core/ and electron/ runs down the layers of DESIGN.md (static, dynamic and new URL references)', () => {
  const files = [...coreFiles, ...electronFiles];
  const sources = Object.fromEntries(files.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
  const found = violations(sources, files);
  const pending = (v: string) => PENDING.some((p) => v.startsWith(`${p.from}:`) && v.includes(`→ ${p.to} `));
  assert.deepEqual(
    found.filter((v) => !pending(v)),
    [],
    'upward imports (move the code down, or the importer up)',
  );
  for (const p of PENDING)
    assert.ok(
      found.some((v) => v.startsWith(`${p.from}:`) && v.includes(`→ ${p.to} `)),
      `PENDING entry ${p.from} → ${p.to} is no longer a violation: remove it`,
    );
});

test('every core/ folder has a layer, and every computed import listed still exists', () => {
  for (const f of coreFiles) rankOf(layerOf(f));
  for (const [file, why] of Object.entries(COMPUTED_IMPORTS)) {
    assert.ok(existsSync(join(ROOT, file)), `${file} (${why}) no longer exists: remove it from COMPUTED_IMPORTS`);
    const refs = referencesOf(file, readFileSync(join(ROOT, file), 'utf8'));
    assert.ok(
      refs.some((r) => r.kind === 'computed import'),
      `${file} has no computed import any more: remove it`,
    );
  }
});

test('the check catches an upward import in each form it claims to see', () => {
  const files = [...coreFiles, 'core/tensor/probe.ts'];
  const bad = (src: string) => violations({ 'core/tensor/probe.ts': src }, files);
  // The forms this test exists for, each from tensor (layer 1) up to models (layer 2).
  assert.equal(bad("import { initVae } from '../models/world-models/vae.ts';\nexport const v = initVae;\n").length, 1);
  assert.equal(bad("import type { Params } from '../models/nn.ts';\nexport type P = Params;\n").length, 1);
  assert.equal(bad("export { initVae } from '../models/world-models/vae.ts';\n").length, 1);
  assert.equal(bad("export const m = () => import('../models/world-models/vae.ts');\n").length, 1);
  // core/tensor/vae-step.ts did this: the product VAE through a path lint could not see.
  assert.equal(
    bad(
      "const f = new URL('../models/world-models/vae.ts', import.meta.url).pathname;\nexport const m = () => import(f);\n",
    ).length,
    2, // the URL reference, and the computed import itself
  );
  assert.equal(bad('const d = `../models/${"rssm"}/`;\nexport const m = (n: string) => import(d + n);\n').length, 1);
  assert.ok(
    bad("export const u = new URL(`../models/${'x'}/config.ts`, import.meta.url);\n").length >= 2,
    'a template URL matches every module it can name',
  );
  assert.equal(bad("export const u = new URL('../models/', import.meta.url);\n").length > 0, true);
  // Down and sideways are fine.
  assert.deepEqual(bad("import { Rng } from '../util/rng.ts';\nimport { npy } from '../data/npy.ts';\n"), []);
  // Comments and strings that merely mention an import are not imports.
  assert.deepEqual(bad("// import x from '../models/nn.ts'\nexport const s = \"import('../service/x.ts')\";\n"), []);
});
