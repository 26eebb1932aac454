#!/usr/bin/env node
// The `wgpt` command: registers TypeScript + .wgsl loading, then runs the CLI from source.
await import('../scripts/register.mjs');
await import('../src/cli/main.ts');
