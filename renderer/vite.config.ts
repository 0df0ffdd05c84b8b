// Vite build of the renderer. base './' so the same dist/ loads from file:// in Electron and from the
// web host at any path; the output goes to renderer/dist, which both hosts serve.
// (Runs in Node at build time; import.meta.dirname keeps it free of Node imports the renderer lint forbids.)
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: './',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  // The dev server (renderer/dev.html, fake client) needs to read core/contract one level up.
  server: { host: '127.0.0.1', fs: { allow: [`${root}/..`] } },
});
