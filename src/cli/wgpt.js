#!/usr/bin/env node
// The `wgpt` command: registers TypeScript + .wgsl loading, then runs the CLI from source.
await import('../register.mjs');
await (await import('./main.ts')).run();
