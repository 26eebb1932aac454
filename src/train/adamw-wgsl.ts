// The grouped AdamW entry `step_group<k>`: k parameters (each its own param and grad buffer) with their
// moments in one m and one v buffer, one dispatch; generated here because WGSL cannot index an array of
// bindings, appended to shaders/adamw.wgsl (whose adamw() does the arithmetic). Leaves out: per-group hyper-parameters.
import adamWgsl from '../../shaders/adamw.wgsl';
import type { ShaderSource } from '../gpu/kernel.js';

const each = (n: number, f: (j: number) => string, sep = '\n'): string => Array.from({ length: n }, (_, j) => f(j)).join(sep);

/**
 * shaders/adamw.wgsl plus `step_group<k>`: bindings pk (uniform: e0…e<k−1>, the cumulative element ends, and the
 * hyper-parameters), gm / gv (read_write: the group's first and second moments, parameter j at [e<j−1>, e<j>)),
 * pw<j> (read_write: parameter j), pg<j> (read: its gradient). Flat index i (Gpu.grid) in [e<j−1>, e<j>) updates
 * element i − e<j−1> of parameter j exactly as `step` does (same adamw() call): 2 + 2k storage buffers.
 */
export function adamwGroupSource(k: number): ShaderSource {
  const hit = sources.get(k);
  if (hit) return hit;
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`adamwGroupSource: k must be a positive integer, got ${k}`);
  const code = `
struct PK${k} { ${each(k, (j) => `e${j}: u32,`, ' ')} lr: f32, wd: f32, b1: f32, b2: f32, eps: f32, stepSize: f32, bc2sqrt: f32 }
@group(0) @binding(0) var<uniform> pk: PK${k};
@group(0) @binding(1) var<storage, read_write> gm: array<f32>;
@group(0) @binding(2) var<storage, read_write> gv: array<f32>;
${each(k, (j) => `@group(0) @binding(${3 + 2 * j}) var<storage, read_write> pw${j}: array<f32>;\n@group(0) @binding(${4 + 2 * j}) var<storage, read> pg${j}: array<f32>;`)}

@compute @workgroup_size(64)
fn step_group${k}(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
${each(k, (j) => `  if (i < pk.e${j}) {
    let l = i${j ? ` - pk.e${j - 1}` : ''};
    let r = adamw(pw${j}[l], pg${j}[l], gm[i], gv[i], pk.lr, pk.wd, pk.b1, pk.b2, pk.eps, pk.stepSize, pk.bc2sqrt);
    gm[i] = r.y;
    gv[i] = r.z;
    pw${j}[l] = r.x;
    return;
  }`)}
}
`;
  const src = { file: adamWgsl.file, code: adamWgsl.code + code };
  sources.set(k, src);
  return src;
}

/** one object per k: the kernel loader caches resolved shaders by object */
const sources = new Map<number, ShaderSource>();
