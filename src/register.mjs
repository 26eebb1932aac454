// Registers TypeScript (tsx) and the .wgsl loader so `node --import ./scripts/register.mjs x.ts` runs wgpt from source.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';
registerTsx();
register('./gpu/wgsl-hooks.mjs', import.meta.url);
