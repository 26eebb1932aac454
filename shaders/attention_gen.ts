// The templates behind attention.wgsl's eight unrolled entry points (scores, weighted, weighted_t, each
// as a 4×4 block with scalar loads for any hd and a 4×8 block with vec4 loads; weighted and weighted_t also as a
// 4×16 block with vec4 loads for hd a multiple of 16) and flash_attention.wgsl's
// fused entries (flash_fwd, flash_decode, flash_dq / flash_d, flash_dkv*, generated per head size and rows per
// invocation): WGSL text is generated because SwiftShader spills private arrays (DESIGN.md), so register blocks
// must be written out, not looped. Leaves out: other block shapes, shared-memory tiles.
import attnWgsl from './attention.wgsl';
import flashWgsl from './flash_attention.wgsl';
import type { ShaderSource } from '../src/gpu/kernel.ts';
import { each } from './unroll.ts';


interface Variant {
  name: string;
  /** vec4 loads along d and 4×8 blocks (two vec4 column groups), else scalar loads and 4×4 */
  v4: boolean;
  /** vec4 column groups per block (v4 only; default 2: 4×8). weighted16 / weighted_t16: 4 (4×16 blocks) */
  G?: number;
}

function variants(base: string): Variant[] {
  return [{ name: base, v4: false }, { name: `${base}8`, v4: true }];
}

/**
 * The products' variants: also 4×16 blocks (four vec4 column groups, hd a multiple of 16): each loaded weight serves
 * 16 columns instead of 8 (issue #26, measured on SwiftShader: see src/ops/attention.ts encodeWeighted). The same
 * sums per element, in the same order: the same bits as the 4×8 form.
 */
function weightedVariants(base: string): Variant[] {
  return [...variants(base), { name: `${base}16`, v4: true, G: 4 }];
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
function weighted({ name, v4, G: g4 }: Variant, transposed: boolean): string {
  const G = v4 ? (g4 ?? 2) : 1;
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
  return [...variants('scores').map(scores), ...weightedVariants('weighted').map((v) => weighted(v, false)), ...weightedVariants('weighted_t').map((v) => weighted(v, true))].join('\n\n');
}

/** shaders/attention.wgsl with the generated entry points appended (one object: pipelines cache on it). */
export const attentionShader: ShaderSource = {
  file: `${attnWgsl.file} + shaders/attention_gen.ts`,
  code: `${attnWgsl.code}\n// ---- generated by shaders/attention_gen.ts ----\n\n${attentionEntries()}\n`,
};

// ---- flash attention (shaders/flash_attention.wgsl + the entries below) ---------------------------------------------


/** One generated flash entry: which kernel, the head size and load width it is unrolled for, rows per invocation. */
export interface FlashVariant {
  kind: 'fwd' | 'decode' | 'dq' | 'dkv';
  hd: number;
  /** vec4 loads through the *4 views (hd and every stride/offset multiples of 4), else scalar loads */
  v4: boolean;
  /** query rows (fwd, decode, dq) or key rows (dkv) per invocation */
  R: number;
  /** dq: write dq (else only D); dkv: write dk, dv, and whether both go through GK (one buffer) */
  dq?: boolean;
  dk?: boolean;
  dv?: boolean;
  shared?: boolean;
  /** dkv: also write scale·ds of every (query, key) pair it visits into DS [BH, Tq, Tk] (dq then is DS·K, a product) */
  ds?: boolean;
}

/** The row of a source X at f32 index `a` (or vec4 index, v4): chunk c of its HD channels as a vec4f (0 past HD). */
function ld(v: FlashVariant, buf: string, a: string, c: number): string {
  if (v.v4) return `${buf}4[${a} + ${c}u]`;
  const lane = (l: number) => (4 * c + l < v.hd ? `${buf}[${a} + ${4 * c + l}u]` : '0.0');
  return `vec4f(${[0, 1, 2, 3].map(lane).join(', ')})`;
}

/** A flash entry's unrolling: its rows (0 … R−1) and its vec4 chunks of the head (0 … ⌈hd/4⌉−1). */
function flashDims(v: FlashVariant): { hd: number; R: number; rs: number[]; cs: number[] } {
  return { hd: v.hd, R: v.R, rs: Array.from({ length: v.R }, (_, r) => r), cs: Array.from({ length: Math.ceil(v.hd / 4) }, (_, c) => c) };
}

/** The head of an entry over R query rows (flash_fwd, flash_decode, flash_d, flash_dq): block start, batch, head offset. */
function queryHead(v: FlashVariant, name: string): string {
  return `${flashHead(name)}${v.R}u;
  let r0 = blk0;
  let b = z / pf.H;
  let hh = (z % pf.H) * ${v.hd}u;`;
}

/** Query row r of such an entry: its index (clamped), the end of its key window, where its q row starts. */
function queryRow(v: FlashVariant, r: number): string {
  return `  let i${r} = min(r0 + ${r}u, pf.Tq - 1u);
  let end${r} = key_end(i${r}, pf.q0, pf.Tk);
  let qa${r} = ${rowAt(v, 'q', `i${r}`)};`;
}

/** f32 index of position `t` of row source `x` (fields x+Row/Off/Batch of pf), as a vec4 index for v4. */
function rowAt(v: FlashVariant, x: string, t: string): string {
  const a = `b * pf.${x}Batch + pf.${x}Off + hh + (${t}) * pf.${x}Row`;
  return v.v4 ? `(${a}) / 4u` : a;
}

/** Statements storing the HD channels of vec4 accumulators `acc_0 … acc_{n4−1}` through `put(f32 index, value)`. */
function storeRow(v: FlashVariant, put: (a: string, val: string) => string, base: string, acc: (c: number) => string, post = ''): string {
  const out: string[] = [];
  for (let d = 0; d < v.hd; d++) out.push(put(`${base} + ${d}u`, `${acc(d >> 2)}.${'xyzw'[d & 3]}${post}`));
  return out.join('\n');
}

const lanes = (f: (c: number) => string) => `vec4f(${[0, 1, 2, 3].map(f).join(', ')})`;

/**
 * Entry head: invocation e owns (z, block) with z = e mod BH (neighbouring invocations — one SwiftShader SIMD group of 4
 * — take the same block of 4 heads/batches, so under a causal window their loops run equally long: no idle lanes) and
 * the blocks in order of falling work (`lowFirst` false: block nBlk−1 first — a query block's keys grow with it; true:
 * block 0 first — a key block's queries shrink with it), so the last workgroups the threads pick up are the short ones.
 * (Before: z = e / nBlk, blocks in rising order. Measured on SwiftShader, issue #26: attention forward + backward of
 * B 4, T 32, 4 heads of 16 ~14% less CPU time, T 64 of 32 ~7% less.)
 */
function flashHead(name: string, lowFirst = false): string {
  return `@compute @workgroup_size(WG)
fn ${name}(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= pf.BH * pf.nBlk) { return; }
  let z = e % pf.BH;
  let blk0 = (${lowFirst ? 'e / pf.BH' : 'pf.nBlk - 1u - e / pf.BH'}) * `;
}

/**
 * flash_fwd / flash_decode: R query rows, key chunks of 4. One chunk: s_r = scale·(q_r·k_c) for its 4 keys
 * (−inf where not visible), then the online-softmax update of (m_r, l_r, o_r) described in the shader header.
 */
function flashFwd(v: FlashVariant): string {
  const { hd, R, rs, cs } = flashDims(v);
  const decode = v.kind === 'decode';
  /** one key chunk j0 … j0+3: rows of buffers kb/vb at `row(c)`, visible where j < lim_r */
  const chunk = (kbuf: string, vbuf: string, kx: string, vx: string, row: (c: number) => string, lim: (r: number) => string) => `
${each(4, (c) => `    let ka${c} = ${rowAt(v, kx, row(c))};`)}
${rs.map((r) => `    var s${r} = vec4f(0.0);`).join('\n')}
${cs.map((c) => `${each(4, (k) => `    let k${k}_${c} = ${ld(v, kbuf, `ka${k}`, c)};`)}
${rs.map((r) => `    s${r} += ${lanes((k) => `dot(q${r}_${c}, k${k}_${c})`)};`).join('\n')}`).join('\n')}
    let jv = vec4u(j0, j0 + 1u, j0 + 2u, j0 + 3u);
    var kok = vec4<bool>(true);
    if (pf.masked == 1u) { kok = vec4<bool>(key_ok(b, j0), key_ok(b, j0 + 1u), key_ok(b, j0 + 2u), key_ok(b, j0 + 3u)); }
${rs.map((r) => `    let sc${r} = select(vec4f(neg_inf()), pf.scale * s${r}, (jv < vec4u(${lim(r)})) & kok);
    let mx${r} = max(m${r}, max(max(sc${r}.x, sc${r}.y), max(sc${r}.z, sc${r}.w)));
    let sf${r} = select(mx${r}, 0.0, mx${r} == neg_inf()); // nothing visible yet: keep every exp at 0, no NaN
    let cr${r} = exp(m${r} - sf${r});
    let p${r} = exp(sc${r} - vec4f(sf${r}));
    l${r} = l${r} * cr${r} + (p${r}.x + p${r}.y + p${r}.z + p${r}.w);
    m${r} = mx${r};
    var pd${r} = p${r};${decode ? '' : `\n    if (pf.drop == 1u) { pd${r} = p${r} * ${lanes((k) => `drop_mul(rc${r}, j0 + ${k}u)`)}; }`}`).join('\n')}
${each(4, (c) => `    let va${c} = ${rowAt(v, vx, row(c))};`)}
${cs.map((c) => `${each(4, (k) => `    let v${k}_${c} = ${ld(v, vbuf, `va${k}`, c)};`)}
${rs.map((r) => `    o${r}_${c} = o${r}_${c} * cr${r} + pd${r}.x * v0_${c} + pd${r}.y * v1_${c} + pd${r}.z * v2_${c} + pd${r}.w * v3_${c};`).join('\n')}`).join('\n')}`;
  const loops = decode
    ? `  let endA = min(jEnd, pf.split); // keys 0 … split−1: from the cache
  for (var j0 = 0u; j0 < endA; j0 += 4u) {${chunk('KC', 'VC', 'c', 'c', (c) => `min(j0 + ${c}u, pf.split - 1u)`, (r) => `min(end${r}, pf.split)`)}
  }
  for (var j0 = pf.split; j0 < jEnd; j0 += 4u) { // keys split … : the new rows j − split
${chunk('K', 'V', 'k', 'v', (c) => `min(j0 + ${c}u - pf.split, pf.Tq - 1u)`, (r) => `end${r}`)}
  }`
    : `  for (var j0 = 0u; j0 < jEnd; j0 += 4u) {${chunk('K', 'V', 'k', 'v', (c) => `min(j0 + ${c}u, pf.Tk - 1u)`, (r) => `end${r}`)}
  }`;
  const stores = rs.map((r) => `  if (r0 + ${r}u < pf.Tq) {
    let oa = b * pf.oBatch + pf.oOff + hh + (r0 + ${r}u) * pf.oRow;
    let il = select(1.0 / l${r}, 0.0, l${r} == 0.0); // no visible key: zeros
${storeRow(v, (a, val) => `    O[${a}] = ${val};`, 'oa', (c) => `o${r}_${c}`, ' * il')}
${decode
    ? (v.v4
      ? `    let ca = ${rowAt(v, 'c', `pf.split + r0 + ${r}u`)};
    let na = ${rowAt(v, 'k', `r0 + ${r}u`)};
    let nv = ${rowAt(v, 'v', `r0 + ${r}u`)};
${cs.map((c) => `    KC4[ca + ${c}u] = K4[na + ${c}u];\n    VC4[ca + ${c}u] = V4[nv + ${c}u];`).join('\n')}`
      : `    let ca = ${rowAt(v, 'c', `pf.split + r0 + ${r}u`)};
    let na = ${rowAt(v, 'k', `r0 + ${r}u`)};
    let nv = ${rowAt(v, 'v', `r0 + ${r}u`)};
    for (var d = 0u; d < ${hd}u; d++) { KC[ca + d] = K[na + d]; VC[ca + d] = V[nv + d]; }`)
    : `    LSE[z * pf.Tq + r0 + ${r}u] = select(m${r} + log(l${r}), 0.0, l${r} == 0.0);`}
  }`).join('\n');
  return `${queryHead(v, decode ? 'flash_decode' : 'flash_fwd')}
${rs.map((r) => `${queryRow(v, r)}
${cs.map((c) => `  let q${r}_${c} = ${ld(v, 'Q', `qa${r}`, c)};`).join('\n')}
  var m${r} = neg_inf();
  var l${r} = 0.0;
${cs.map((c) => `  var o${r}_${c} = vec4f(0.0);`).join('\n')}${decode ? '' : `\n  let rc${r} = (z * pf.Tq + i${r}) * pf.Tk;`}`).join('\n')}
  let jEnd = end${R - 1}; // key_end grows with the row: the last row sees the most keys
${loops}
${stores}
}`;
}

/** flash_dq: R query rows; D_r = dO_r·O_r; then one key at a time: p, dp, ds, dq += ds·k (k re-read, not held). */
function flashDq(v: FlashVariant): string {
  const { hd, R, rs, cs } = flashDims(v);
  const loop = v.dq
    ? `
${rs.map((r) => `${cs.map((c) => `  var dq${r}_${c} = vec4f(0.0);`).join('\n')}
  let rc${r} = (z * pf.Tq + i${r}) * pf.Tk;`).join('\n')}
  let jEnd = end${R - 1};
  for (var j = 0u; j < jEnd; j++) {
    let ka = ${rowAt(v, 'k', 'j')};
    let va = ${rowAt(v, 'v', 'j')};
${rs.map((r) => `    var s${r} = 0.0;\n    var dp${r} = 0.0;`).join('\n')}
${cs.map((c) => `    let k_${c} = ${ld(v, 'K', 'ka', c)};
    let v_${c} = ${ld(v, 'V', 'va', c)};
${rs.map((r) => `    s${r} += dot(q${r}_${c}, k_${c});\n    dp${r} += dot(g${r}_${c}, v_${c});`).join('\n')}`).join('\n')}
    let kok = key_ok(b, j);
${rs.map((r) => `    let p${r} = select(0.0, exp(pf.scale * s${r} - lse${r}), j < end${r} && kok);
    let ds${r} = p${r} * (dp${r} * drop_mul(rc${r}, j) - D${r});`).join('\n')}
${cs.map((c) => `    let kk_${c} = ${ld(v, 'K', 'ka', c)};
${rs.map((r) => `    dq${r}_${c} += ds${r} * kk_${c};`).join('\n')}`).join('\n')}
  }
${rs.map((r) => `  if (r0 + ${r}u < pf.Tq) {
    let qa = b * pf.dqBatch + pf.dqOff + hh + (r0 + ${r}u) * pf.dqRow;
${storeRow(v, (a, val) => `    put_q(${a}, ${val});`, 'qa', (c) => `dq${r}_${c}`, ' * pf.scale')}
  }`).join('\n')}`
    : '';
  return `${queryHead(v, v.dq ? 'flash_dq' : 'flash_d')}
${rs.map((r) => `${queryRow(v, r)}
  let ga${r} = ${rowAt(v, 'g', `i${r}`)};
  let oa${r} = ${rowAt(v, 'o', `i${r}`)};
  var D${r} = 0.0;
${cs.map((c) => `${v.dq ? `  let q${r}_${c} = ${ld(v, 'Q', `qa${r}`, c)};\n` : ''}  let g${r}_${c} = ${ld(v, 'G', `ga${r}`, c)};
  D${r} += dot(g${r}_${c}, ${ld(v, 'Ob', `oa${r}`, c)});`).join('\n')}${v.dq ? `\n  let lse${r} = LSE[z * pf.Tq + i${r}];` : ''}
  if (r0 + ${r}u < pf.Tq) { Dl[z * pf.Tq + r0 + ${r}u] = D${r}; }`).join('\n')}${loop}
}`;
}

/**
 * flash_dkv: R key rows held (k, v); one query at a time over the queries that see them: dv += p·drop·dO, dk += ds·q.
 * The `ds` variant (flash_dkv…_ds) also stores scale·ds of each visited pair into DS [BH, Tq, Tk], starting at the query
 * 4⌊query_start/4⌋ so that every pair of a 4-row block up to its last row's window is written (0 where the key is not
 * visible): what attention.wgsl's `weighted` reads when it forms dq = DS·K.
 */
function flashDkv(v: FlashVariant): string {
  const { hd, R, rs, cs } = flashDims(v);
  const putV = v.shared ? 'put_vk' : 'put_v';
  return `${flashHead(`flash_dkv${v.dk ? '_k' : ''}${v.dv ? '_v' : ''}${v.shared ? '_shared' : ''}${v.ds ? '_ds' : ''}`, true)}${R}u;
  let jb = blk0;
  let b = z / pf.H;
  let hh = (z % pf.H) * ${hd}u;
${rs.map((r) => `  let kj${r} = min(jb + ${r}u, pf.Tk - 1u);
  let ka${r} = ${rowAt(v, 'k', `kj${r}`)};
  let va${r} = ${rowAt(v, 'v', `kj${r}`)};
  let kok${r} = key_ok(b, kj${r});
${cs.map((c) => `  let k${r}_${c} = ${ld(v, 'K', `ka${r}`, c)};
  let v${r}_${c} = ${ld(v, 'V', `va${r}`, c)};
  var dk${r}_${c} = vec4f(0.0);
  var dv${r}_${c} = vec4f(0.0);`).join('\n')}`).join('\n')}
  for (var i = ${v.ds ? '(query_start(jb, pf.q0) / 4u) * 4u' : 'query_start(jb, pf.q0)'}; i < pf.Tq; i++) {
    let qa = ${rowAt(v, 'q', 'i')};
    let ga = ${rowAt(v, 'g', 'i')};
    let lse = LSE[z * pf.Tq + i];
    let D = Dl[z * pf.Tq + i];
    let end = key_end(i, pf.q0, pf.Tk);
    let rc = (z * pf.Tq + i) * pf.Tk;
${rs.map((r) => `    var s${r} = 0.0;\n    var dp${r} = 0.0;`).join('\n')}
${cs.map((c) => `    let q_${c} = ${ld(v, 'Q', 'qa', c)};
    let g_${c} = ${ld(v, 'G', 'ga', c)};
${rs.map((r) => `    s${r} += dot(q_${c}, k${r}_${c});\n    dp${r} += dot(g_${c}, v${r}_${c});`).join('\n')}`).join('\n')}
${rs.map((r) => `    let p${r} = select(0.0, exp(pf.scale * s${r} - lse), kj${r} < end && kok${r});
    let mul${r} = drop_mul(rc, kj${r});
    let pd${r} = p${r} * mul${r};
    let ds${r} = p${r} * (dp${r} * mul${r} - D);`).join('\n')}${v.ds ? `\n${rs.map((r) => `    if (jb + ${r}u < pf.Tk) { DS[rc + jb + ${r}u] = ds${r} * pf.scale; }`).join('\n')}` : ''}
${cs.map((c) => `    let qq_${c} = ${ld(v, 'Q', 'qa', c)};
    let gg_${c} = ${ld(v, 'G', 'ga', c)};
${rs.map((r) => `${v.dv ? `    dv${r}_${c} += pd${r} * gg_${c};\n` : ''}${v.dk ? `    dk${r}_${c} += ds${r} * qq_${c};` : ''}`).join('\n')}`).join('\n')}
  }
${rs.map((r) => `  if (jb + ${r}u < pf.Tk) {
${v.dk ? `    let kd = b * pf.dkBatch + pf.dkOff + hh + (jb + ${r}u) * pf.dkRow;
${storeRow(v, (a, val) => `    put_k(${a}, ${val});`, 'kd', (c) => `dk${r}_${c}`, ' * pf.scale')}\n` : ''}${v.dv ? `    let vd = b * pf.dvBatch + pf.dvOff + hh + (jb + ${r}u) * pf.dvRow;
${storeRow(v, (a, val) => `    ${putV}(${a}, ${val});`, 'vd', (c) => `dv${r}_${c}`)}\n` : ''}  }`).join('\n')}
}`;
}

const flashCache = new Map<string, ShaderSource>();

/** shaders/flash_attention.wgsl with one generated entry for `v` (one object per variant: pipelines cache on it). */
export function flashShader(v: FlashVariant): ShaderSource {
  const key = `${v.kind} hd${v.hd} ${v.v4 ? 'v4' : 's'} R${v.R}${v.dq ? ' dq' : ''}${v.dk ? ' dk' : ''}${v.dv ? ' dv' : ''}${v.shared ? ' shared' : ''}${v.ds ? ' ds' : ''}`;
  let s = flashCache.get(key);
  if (!s) {
    const entry = v.kind === 'dq' ? flashDq(v) : v.kind === 'dkv' ? flashDkv(v) : flashFwd(v);
    s = { file: `${flashWgsl.file} + shaders/attention_gen.ts (${key})`, code: `${flashWgsl.code}\n// ---- generated by shaders/attention_gen.ts: ${key} ----\n\n${entry}\n` };
    flashCache.set(key, s);
  }
  return s;
}
