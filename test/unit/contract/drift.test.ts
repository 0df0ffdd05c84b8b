import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import ts from 'typescript';

// The type-level drift test: compiles drift.check.ts (every method's request and reply written out
// by hand) and a mutant of it in which one expected signature is changed. The first must compile
// clean; the second must not — proving the check can fail, so a drifting schema fails this test.

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const checkFile = join(here, 'drift.check.ts');
const mutantFile = join(here, '__drift-mutant.ts');

function compile(): Map<string, string[]> {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const source = readFileSync(checkFile, 'utf8');
  // The contract says horizon is a number; the mutant claims a string.
  const mutant = source.replace(
    /(Req<'dreamOpenLoop'>[\s\S]*?start: number;\s*)horizon: number;/,
    '$1horizon: string;',
  );
  assert.notEqual(mutant, source, 'the mutation point was not found in drift.check.ts');
  const host = ts.createCompilerHost(parsed.options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => (f === mutantFile ? mutant : readFile(f));
  host.fileExists = (
    (orig) => (f: string) =>
      f === mutantFile || orig(f)
  )(host.fileExists.bind(host));
  host.getSourceFile = (f, lang, onError, create) =>
    f === mutantFile ? ts.createSourceFile(f, mutant, lang) : getSourceFile(f, lang, onError, create);
  const program = ts.createProgram({
    rootNames: [checkFile, mutantFile],
    options: { ...parsed.options, noEmit: true },
    host,
  });
  const out = new Map<string, string[]>([
    [checkFile, []],
    [mutantFile, []],
  ]);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName ?? '(global)';
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    const list = out.get(file) ?? [];
    list.push(`${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    out.set(file, list);
  }
  return out;
}

test('contract signatures match the pinned types, and a changed signature is caught', () => {
  const diags = compile();
  assert.deepEqual(
    diags.get(checkFile),
    [],
    `drift.check.ts must compile clean:\n${(diags.get(checkFile) ?? []).join('\n')}`,
  );
  const mutant = diags.get(mutantFile) ?? [];
  assert.equal(mutant.length, 1, `the mutant must fail exactly once, got:\n${mutant.join('\n')}`);
  assert.match(mutant[0], /does not satisfy the constraint 'true'/);
  for (const [file, list] of diags) {
    if (file !== checkFile && file !== mutantFile) assert.deepEqual(list, [], `unexpected diagnostics in ${file}`);
  }
});
