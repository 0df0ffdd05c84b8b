// Trainer entry for hosts that cannot pass `--import tsx` (Electron's utilityProcess): registers tsx,
// then runs the TypeScript entry — the same approach as bin/oneiro.mjs, so core/ ships as source.
import { register } from 'tsx/esm/api';

register();
await import('./entry.ts');
