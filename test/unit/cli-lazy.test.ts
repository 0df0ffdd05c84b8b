/**
 * The CLI commands import their heavy modules (tfjs, the model families, the agents' evaluation, sharp, BullMQ,
 * the workbench service) only once their command line is checked: a refused one (tests spawn many) then costs the
 * CLI's floor, ≈ 0.5–0.9 CPU s, not 1.2–2.6 (sessions 19 and 20, measured side by side).
 *
 * One process runs every refused command line below through the CLI's main() in turn, with a module-load hook
 * and a look at require.cache after each: what each line loaded is attributed to it exactly (a line runs to the
 * end before the next starts), and nothing is timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const mainTs = pathToFileURL(join(root, 'core', 'cli', 'main.ts')).href;

/** Modules a refused command line must not load: each costs 0.15–1 CPU s to import. */
const HEAVY =
  /@tensorflow|\/node_modules\/(sharp|bullmq|ioredis)\/|\/core\/(models\/(world-models|rssm|object-graph)|service|host|trainer|bench)\/|\/core\/runs\/(trainer|load|load-agent|evaluate|goal-eval|probe|seed-from|pixel-view|run-steps)\.ts|\/core\/queue\/(jobs|worker|sweep)\.ts|\/core\/media\/(encode|background-frames)\.ts/;

test('refused command lines of the heavy commands load no tfjs, family, sharp, queue client or service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-lazy-'));
  try {
    const ws = join(dir, 'ws');
    const missing = join(dir, 'no-such-file.yaml');
    // [argv, the one line it prints]: each refused by a check that needs none of the heavy modules.
    const lines: [string[], RegExp][] = [
      [['train', '--bogus'], /^oneiro train: Unknown option '--bogus'/m],
      [['train', '--phase', 'rnn'], /^oneiro train: --phase goes with --from RUN/m],
      [['train', '--model', 'nope'], /^oneiro train: unknown model family 'nope'/m],
      [['train', '--resume', 'no-run', '--steps', '5'], /^oneiro train: no run 'no-run'/m],
      [['train', '--from', 'r', '--phase', 'rnn', '--config', missing], /^oneiro train: --config .*: no such file/m],
      [['dream', 'r', '--view', 'nope'], /^oneiro dream: --view must be one of auto, decoder, probe, retrieval/m],
      [['dream', 'r', '--out', join(dir, 'no', 'd.png')], /^oneiro dream: --out .*: folder .* does not exist/m],
      [['probe', 'no-run'], /^oneiro probe: no run 'no-run'/m],
      [['features', 'r', '--out', join(dir, 'f.npz'), '--split', 'nope'], /^oneiro features: --split must be one of/m],
      [['features', 'no-run', '--out', join(dir, 'f.npz')], /^oneiro features: no run 'no-run'/m],
      [['sweep', 'status'], /^oneiro sweep: sweep status: expected one sweep ID/m],
      [['sweep', 'a.yaml', 'b.yaml'], /^oneiro sweep: expected one sweep FILE/m],
      [['worker', '--queue', 'http://host'], /^oneiro worker: queue URL scheme 'http:' is not supported/m],
      [['serve', '--port', '70000'], /^oneiro serve: --port must be an integer/m],
      [['collect', '--env', 'nope', '--episodes', '1', '--dataset', 'd'], /^oneiro collect: .*nope/m],
      [['collect', '--policy', 'run:nope', '--episodes', '1', '--dataset', 'd'], /^oneiro collect: no run 'nope'/m],
      [['collect', '--policy', 'run:r', '--dataset', 'd'], /^oneiro collect: --episodes is required/m],
      [['bench', '--only', 'nope'], /^oneiro bench: --only: unknown suite 'nope'/m],
      [['eval', 'some-run', '--checkpoint=-1'], /^oneiro eval: --checkpoint/m],
    ];
    const log = join(dir, 'loaded.log');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      "import { appendFileSync } from 'node:fs';\n" +
        'let log;\n' +
        'export function initialize(data) { log = data.log; }\n' +
        'export async function load(url, ctx, next) { appendFileSync(log, `${url}\\n`); return next(url, ctx); }\n',
    );
    const runner = `
      import { register, createRequire } from 'node:module';
      import { appendFileSync } from 'node:fs';
      const log = ${JSON.stringify(log)};
      register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { log } });
      const cache = createRequire(import.meta.url).cache;
      const seen = new Set(Object.keys(cache));
      const { main } = await import(${JSON.stringify(mainTs)});
      const codes = [];
      for (const [i, argv] of ${JSON.stringify(lines.map(([argv]) => [...argv, '--workspace', ws]))}.entries()) {
        appendFileSync(log, '== ' + i + '\\n');
        codes.push(await main(argv));
        // CommonJS modules (tfjs's, sharp's, BullMQ's) required on the way, whoever required them.
        for (const k of Object.keys(cache)) if (!seen.has(k)) { seen.add(k); appendFileSync(log, k + '\\n'); }
      }
      console.log(JSON.stringify(codes));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', runner], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout.trim().split('\n').at(-1)!),
      lines.map(() => 2),
      r.stderr,
    );
    for (const [argv, message] of lines) assert.match(r.stderr, message, `${argv.join(' ')}:\n${r.stderr}`);
    // Loaded modules per command line: what follows its '== i' marker up to the next one.
    const loaded: string[][] = lines.map(() => []);
    let at = -1;
    for (const l of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
      if (l.startsWith('== ')) at = Number(l.slice(3));
      else if (at >= 0) loaded[at].push(l);
    }
    const all = loaded.flat();
    for (const name of new Set(lines.map(([argv]) => argv[0])))
      assert.ok(
        all.some((l) => l.endsWith(`/core/cli/commands/${name}.ts`)),
        `the hook sees the ${name} command load`,
      );
    assert.ok(
      all.some((l) => l.includes('/node_modules/yaml/')),
      'require.cache or the hook sees packages load',
    );
    const heavy = lines
      .map(([argv], i) => ({ line: argv.join(' '), heavy: loaded[i].filter((l) => HEAVY.test(l)) }))
      .filter((x) => x.heavy.length);
    assert.deepEqual(heavy, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
