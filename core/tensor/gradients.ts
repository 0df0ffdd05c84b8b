import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { registerGradientFixes } from './gradient-fixes.ts';

/**
 * Registers tfjs-core's gradient functions. Why this is needed: `@tensorflow/tfjs-core`'s
 * Node entry (dist/tf-core.node.js) carries no gradients — the union package `@tensorflow/tfjs`
 * registers them by importing `@tensorflow/tfjs-core/dist/register_all_gradients`, an ES-module
 * tree with extensionless imports that Node cannot load directly. We bundle that tree once per
 * process with esbuild (present through tsx) and evaluate it as CommonJS. The bundle is a second
 * copy of some tfjs-core modules, which is safe by tfjs's design: the engine, the kernel and
 * gradient registries live on a global namespace and `instanceof Tensor` is duck-typed, so the
 * registered gradients dispatch through the one engine every op uses.
 */
let done = false;

export async function registerAllGradients(): Promise<void> {
  if (done) return;
  if (tf.getGradient('Sum')) {
    registerGradientFixes();
    done = true;
    return;
  }
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    logLevel: 'silent',
    // Node-only modules tfjs-core's platform code may reach; never used by gradients.
    external: ['node-fetch', 'worker_threads', 'util', 'crypto'],
  });
  const code = out.outputFiles[0].text;
  const mod = { exports: {} as Record<string, unknown> };
  new Function('require', 'module', 'exports', code)(require, mod, mod.exports);
  if (!tf.getGradient('Sum') || !tf.getGradient('Conv2D')) {
    throw new Error('registering tfjs-core gradients failed: Sum/Conv2D gradients still missing');
  }
  registerGradientFixes();
  done = true;
}
