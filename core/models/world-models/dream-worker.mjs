// Worker-thread entry for CMA-ES candidate evaluation: registers tsx (worker threads do not inherit the
// parent's module hooks) and runs the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./dream-worker-main.ts');
