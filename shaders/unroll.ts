// The shared unroller of wgpt's generated kernels (shaders/*_gen.ts): SwiftShader spills private arrays indexed in
// loops (docs/perf.md), so register blocks are written out as straight-line WGSL, one line per index. Leaves out:
// any template language: generators are plain TypeScript functions returning WGSL text.

/** f(0) … f(n−1) joined with newlines: n unrolled lines (or blocks). */
export function each(n: number, f: (k: number) => string): string {
  return Array.from({ length: n }, (_, k) => f(k)).join('\n');
}

/** f(0) … f(n−1) joined with ', ': an unrolled argument list (vec4f(…) components, array elements). */
export function list(n: number, f: (k: number) => string): string {
  return Array.from({ length: n }, (_, k) => f(k)).join(', ');
}
