#!/usr/bin/env node
// The `oneiro` command. Runs the TypeScript CLI in core/cli through tsx so a checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
