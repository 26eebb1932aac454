// The one template behind attention.wgsl's six unrolled entry points (scores, weighted, weighted_t, each
// as a 4×4 block with scalar loads for any hd and a 4×8 block with vec4 loads): the WGSL text is generated
// here once, because SwiftShader spills private arrays (DESIGN.md), so blocks must be written out, not
// looped. Leaves out: other block shapes (a flash kernel would be its own template).
import attnWgsl from '../../shaders/attention.wgsl';
import type { ShaderSource } from '../gpu/kernel.js';

/** 0 … n−1 mapped and joined with newlines (the unroller). */
const each = (n: number, f: (k: number) => string): string => Array.from({ length: n }, (_, k) => f(k)).join('\n');

interface Variant {
  name: string;
  /** vec4 loads along d and 4×8 blocks (two vec4 column groups), else scalar loads and 4×4 */
  v4: boolean;
}

function variants(base: string): Variant[] {
  return [{ name: base, v4: false }, { name: `${base}8`, v4: true }];
}

/** Entry head shared by all: z, the block's first output row r0 and column c0, bounds, b and h. */
function head(name: string, u: string, rows: string, cols: string, colStep: number): string {
  return `@compute @workgroup_size(WX, WY, 1)
fn ${name}(@builtin(global_invocation_id) gid: vec3u) {
  let z = gid.z + ${u}.zBase;
  let r0 = gid.y * 4u;
  let c0 = gid.x * ${colStep}u;
  if (z >= ${u}.BH || r0 >= ${u}.${rows} || c0 >= ${u}.${cols}) { return; }
  let b = z / ${u}.H;
  let h = z % ${u}.H;`;
}

/**
 * scores: S[z, r0+r, c0+c] for 4 queries r × 4G keys c, reducing over d.
 * Scalar: kv_g = (Bm[kb_{4g}+d] … Bm[kb_{4g+3}+d]), s_r_g += A[qa_r+d]·kv_g.
 * vec4:   k_c = B4[kb_c+d], x_r = A4[qa_r+d], s_r_g += (dot(x_r, k_{4g}) … dot(x_r, k_{4g+3})).
 */
function scores({ name, v4 }: Variant): string {
  const G = v4 ? 2 : 1;
  const div = v4 ? ' / 4u' : '';
  const inner = v4
    ? `let n4 = ps.hd / 4u;
  for (var d = 0u; d < n4; d++) {
${each(4 * G, (c) => `    let k${c} = B4[kb${c} + d];`)}
${each(4, (r) => `    let x${r} = A4[qa${r} + d];`)}
${each(4, (r) => each(G, (g) => `    s${r}_${g} += vec4f(${[0, 1, 2, 3].map((c) => `dot(x${r}, k${4 * g + c})`).join(', ')});`))}
  }`
    : `for (var d = 0u; d < ps.hd; d++) {
${each(G, (g) => `    let kv${g} = vec4f(${[0, 1, 2, 3].map((c) => `Bm[kb${4 * g + c} + d]`).join(', ')});`)}
${each(4, (r) => each(G, (g) => `    s${r}_${g} += A[qa${r} + d] * kv${g};`))}
  }`;
  return `${head(name, 'ps', 'Tq', 'Tk', 4 * G)}
  if (c0 >= key_end(r0 + 3u, ps.q0, ps.Tk)) { return; } // the whole block is outside the causal window
  let ab = b * ps.aBatch + ps.aOff + h * ps.hd;
  let bb = b * ps.bBatch + ps.bOff + h * ps.hd;
${each(4, (r) => `  let qa${r} = (ab + min(r0 + ${r}u, ps.Tq - 1u) * ps.aRow)${div};`)}
${each(4 * G, (c) => `  let kb${c} = (bb + min(c0 + ${c}u, ps.Tk - 1u) * ps.bRow)${div};`)}
${each(4, (r) => each(G, (g) => `  var s${r}_${g} = vec4f(0.0);`))}
  ${inner}
${each(4, (r) => each(G, (g) => `  store_s(r0 + ${r}u, c0 + ${4 * g}u, s${r}_${g}, z);`))}
}`;
}

/**
 * weighted (transposed = false): O(b, r0+r, c0+c) over 4 queries r, reducing over keys t < key_end(last row).
 * weighted_t (transposed = true): O(b, r0+r, c0+c) over 4 keys r, reducing over queries t ≥ query_start(r0).
 * Both: p_r = W at (row r, t) or (t, row r), xv_g = X(b, t, c0+4g … c0+4g+3), o_r_g += p_r·xv_g.
 */
function weighted({ name, v4 }: Variant, transposed: boolean): string {
  const G = v4 ? 2 : 1;
  const rows = transposed ? 'Tk' : 'Tq';
  const wRow = transposed
    ? each(4, (r) => `  let w${r} = min(r0 + ${r}u, pw.Tk - 1u);`)
    : each(4, (r) => `  let w${r} = (z * pw.Tq + min(r0 + ${r}u, pw.Tq - 1u)) * pw.Tk;`);
  const loop = transposed
    ? `for (var t = query_start(r0, pw.q0); t < pw.Tq; t++) {
    let wr = (z * pw.Tq + t) * pw.Tk;
${each(4, (r) => `    let p${r} = W[wr + w${r}];`)}`
    : `let tEnd = key_end(min(r0 + 3u, pw.Tq - 1u), pw.q0, pw.Tk); // keys past a row's own window have W = 0
  for (var t = 0u; t < tEnd; t++) {
${each(4, (r) => `    let p${r} = W[w${r} + t];`)}`;
  const xSetup = v4
    ? `${each(G, (g) => `  let xa${g} = (xb + min(c0 + ${4 * g}u, pw.hd - 4u)) / 4u;`)}
  let xr4 = pw.xRow / 4u;`
    : each(4 * G, (c) => `  let e${c} = min(c0 + ${c}u, pw.hd - 1u);`);
  const xLoad = v4
    ? each(G, (g) => `    let xv${g} = X4[xa${g} + t * xr4];`)
    : `    let xr = xb + t * pw.xRow;
${each(G, (g) => `    let xv${g} = vec4f(${[0, 1, 2, 3].map((c) => `X[xr + e${4 * g + c}]`).join(', ')});`)}`;
  return `${head(name, 'pw', rows, 'hd', 4 * G)}
${wRow}
  let xb = b * pw.xBatch + pw.xOff + h * pw.hd;
${xSetup}
${each(4, (r) => each(G, (g) => `  var o${r}_${g} = vec4f(0.0);`))}
  ${loop}
${xLoad}
${each(4, (r) => each(G, (g) => `    o${r}_${g} += p${r} * xv${g};`))}
  }
  let ob = b * pw.oBatch + pw.oOff + h * pw.hd;
${each(4, (r) => each(G, (g) => `  store_o(r0 + ${r}u, c0 + ${4 * g}u, o${r}_${g}, ob, pw.${rows});`))}
}`;
}

/** The generated entry points, in the order the header of shaders/attention.wgsl lists them. */
export function attentionEntries(): string {
  return [...variants('scores').map(scores), ...variants('weighted').map((v) => weighted(v, false)), ...variants('weighted_t').map((v) => weighted(v, true))].join('\n\n');
}

/** shaders/attention.wgsl with the generated entry points appended (one object: pipelines cache on it). */
export const attentionShader: ShaderSource = {
  file: `${attnWgsl.file} + src/ops/attention-wgsl.ts`,
  code: `${attnWgsl.code}\n// ---- generated by src/ops/attention-wgsl.ts ----\n\n${attentionEntries()}\n`,
};
