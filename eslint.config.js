// Lint with import boundaries: core/ is plain TypeScript (no Electron, Svelte, DOM or renderer);
// renderer/ reaches core only through the typed contract; electron/ stays a thin host.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';

const coreBoundary = {
  patterns: [
    {
      group: ['electron', 'electron/*'],
      message: 'core/ must not import Electron: it runs in plain Node (CLI, trainers, tests).',
    },
    { group: ['svelte', 'svelte/*', '*.svelte'], message: 'core/ must not import Svelte.' },
    { group: ['**/renderer/**', '../renderer/*'], message: 'core/ must not import the renderer.' },
    { group: ['**/electron/**'], message: 'core/ must not import the Electron host.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'renderer/dist/**', 'electron/dist/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['core/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', coreBoundary],
      // DOM globals are not available in core/ (no lib "dom" either); this catches the common ones.
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'navigator',
        'HTMLElement',
        'HTMLCanvasElement',
        'localStorage',
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/**', '!**/core/contract', '!**/core/contract/**'],
              message: 'renderer/ may import from core only the typed contract (core/contract).',
            },
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'electron'],
              message: 'renderer/ runs in a browser context: no Node or Electron modules.',
            },
          ],
        },
      ],
    },
  },
  ...svelte.configs['flat/recommended'],
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['electron/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.mjs', '*.js', '*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
);
