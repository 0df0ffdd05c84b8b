import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The threaded SIMD build of tfjs-backend-wasm under Node (the default on 2+ cores; ONEIRO_WASM_THREADS=N overrides, wasm.ts).
 *
 * tfjs-backend-wasm 4.22 never uses its threaded build in Node (WASM_HAS_MULTITHREAD_SUPPORT is
 * hard-wired false there, tensorflow/tfjs#3830) because Emscripten's pthread workers are given
 * blob: URLs, which Node's worker_threads cannot load. We load a copy of the package's Node
 * bundle with two patches: the worker script and the "main script" the workers import are
 * written to files and passed as paths. The copy is evaluated with the real package's
 * `require`, so it shares @tensorflow/tfjs-core with everything else. It must be the only
 * copy of tfjs-backend-wasm loaded in the process (it registers the 'wasm' backend).
 */
export interface WasmModuleApi {
  setWasmPaths(prefix: string): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

const require = createRequire(import.meta.url);

function writeOnce(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** `poolSize`: workers Emscripten starts up front (its build says 8); pthreads beyond it are started on demand. */
export function loadThreadedWasmModule(poolSize: number): WasmModuleApi {
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
  const bundlePath = join(pkgDir, 'dist', 'tf-backend-wasm.node.js');
  let code = readFileSync(bundlePath, 'utf8');
  const dir = join(tmpdir(), `oneiro-wasm-threads-${version}-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  const workerPath = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  const mainPath = join(dir, 'tfjs-backend-wasm-threaded-simd.main.cjs');

  const workerHook = 'return URL.createObjectURL(blob);';
  const mainHook =
    /factoryConfig\.mainScriptUrlOrBlob = new Blob\(\["var WasmBackendModuleThreadedSimd = " \+\s*wasmFactoryThreadedSimd\.toString\(\)\], \{ type: 'text\/javascript' \}\);/;
  if (code.split(workerHook).length !== 2 || !mainHook.test(code)) {
    throw new Error(`tfjs-backend-wasm ${version}: its Node bundle no longer has the code the threads patch expects`);
  }
  code = code.replace(workerHook, () => 'return __oneiroWorkerFile(response);');
  // XNNPACK's pool is capped at logical cores / 2 (1 on a 2-core machine); report twice the
  // cores so the cap becomes the core count. The thread count itself is setThreadsCount's.
  const coresHook = 'return require$$4.cpus().length;';
  if (code.split(coresHook).length !== 2)
    throw new Error(`tfjs-backend-wasm ${version}: core-count code not found for the threads patch`);
  code = code.replace(coresHook, () => 'return 2 * require$$4.cpus().length;');
  // A worker running a pthread is ref()'d, and XNNPACK's pool threads never end, so Node would
  // never exit (seen as a hung `node --test`). The main thread drives every kernel
  // synchronously, so idle pool threads need not keep the process alive.
  const refHook = 'worker.ref();';
  if (code.split(refHook).length !== 2)
    throw new Error(`tfjs-backend-wasm ${version}: worker.ref() not found for the threads patch`);
  code = code.replace(refHook, () => '/* oneiro: no worker.ref() */');
  // Emscripten's pool starts 8 workers, which inherit the process's execArgv (`--import tsx` in trainers, tests and
  // the CLI): each then loaded tsx and its hooks for nothing (the worker script is plain CommonJS).
  const workerNew = 'worker = new Worker(pthreadMainJs);';
  if (code.split(workerNew).length !== 2)
    throw new Error(`tfjs-backend-wasm ${version}: the pool's new Worker() not found for the threads patch`);
  code = code.replace(workerNew, () => 'worker = new Worker(pthreadMainJs, { execArgv: [] });');
  // Each pooled worker is a Node thread to boot (≈ 0.1 CPU s); XNNPACK asks for at most the thread count we set,
  // so starting 8 where 2 are used was spent on every process that used wasm.
  const poolHook = 'var pthreadPoolSize = 8;';
  if (code.split(poolHook).length !== 2)
    throw new Error(`tfjs-backend-wasm ${version}: the pthread pool size not found for the threads patch`);
  code = code.replace(poolHook, () => `var pthreadPoolSize = ${Math.max(1, Math.floor(poolSize))};`);
  code = code.replace(
    mainHook,
    () => 'factoryConfig.mainScriptUrlOrBlob = __oneiroMainFile(wasmFactoryThreadedSimd.toString());',
  );

  const hooks = {
    __oneiroWorkerFile: (text: string) => {
      writeOnce(workerPath, text);
      return workerPath;
    },
    // The factory's source refers to the bundle's module-level names; give the worker the same.
    __oneiroMainFile: (factorySource: string) => {
      const preamble = [
        "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');",
        'var commonjsGlobal = globalThis;',
        // Evaluated by the worker's importScripts at global scope, where Node's module-local
        // __filename/__dirname do not exist; the worker sets location.href to its own path.
        "var __filename = location.href, __dirname = require('path').dirname(location.href);",
        'var _scriptDir = __filename;',
      ].join('\n');
      writeOnce(mainPath, `${preamble}\nvar WasmBackendModuleThreadedSimd = ${factorySource};\n`);
      return mainPath;
    },
  };
  const mod = { exports: {} as Record<string, unknown> };
  const realRequire = createRequire(bundlePath);
  new Function(
    'require',
    'module',
    'exports',
    '__filename',
    '__dirname',
    '__oneiroWorkerFile',
    '__oneiroMainFile',
    code,
  )(realRequire, mod, mod.exports, bundlePath, dirname(bundlePath), hooks.__oneiroWorkerFile, hooks.__oneiroMainFile);
  return mod.exports as unknown as WasmModuleApi;
}
