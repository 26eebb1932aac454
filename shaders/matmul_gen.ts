// The `big` entry of shaders/matmul.wgsl, generated in two forms that add the same products in the same order as
// `main` (the same bits: test/gpu-tiers.test.ts): A's 32-row tile shared through workgroup memory (At, two barriers per
// chunk of 8 k's; any adapter: GPUs), or — where a workgroup of 4 is one quad of a subgroup (SwiftShader: its SIMD
// width) — a 64 × 64 block whose A rows each invocation loads a quarter of and reads the rest of through quad swaps,
// with no barrier and no workgroup memory (docs/perf.md: 1.25–1.32× per product against the subgroupBroadcast form it
// replaced, which was itself 1.4–1.5× the workgroup form); the quad form also has `quad16`, 16 × 16 blocks that compile
// in ~0.07 s (the cheap tier). Leaves out: subgroups narrower than 4 (the host then uses
// the workgroup form).
import matmulWgsl from './matmul.wgsl';
import type { ShaderSource } from '../src/gpu/kernel.ts';
import { each, list } from './unroll.ts';

/** How the invocations of a `big` workgroup share A's tile. */
export type ATileSharing = 'workgroup' | 'subgroup';

/** One chunk's A quads of this invocation (rows m0+4q .. m0+4q+3, k0+kk) into At: `put(kk, value)` stores each. */
function stage(put: (kk: string | number, v: string) => string): string {
  const kLoop = (body: string) => `for (var kk = 0u; kk < 8u; kk++) {\n${body}\n      }`;
  return `      if (TA) {
        // stored (K, M): A(mq .. mq+3, k) is 4 consecutive floats of stored row k
        ${kLoop(
          `        {
          let r = aB + min(k0 + kk, kL) * p.lda;
          var a: vec4f;
          if (VA) {
            // M is a multiple of 4: rows mq .. mq+3 are all in or all past the edge
            a = Av[(r + min(mq, p.M - 4u)) >> 2u];
          } else {
            a = vec4f(A[r + f0], A[r + f1], A[r + f2], A[r + f3]);
          }
          ${put('kk', 'select(vec4f(0.0), a, k0 + kk < p.K)')}
        }`,
        )}
      } else if (VA) {
        // stored (M, K): two vec4 per row along k, transposed by the matrix; K is a multiple of 4, so a partial
        // last chunk is k0 .. k0+3 and its second vec4 (read in range, at K − 4) is replaced by 0
        let kh = min(k0 + 4u, p.K - 4u);
        let hiOk = k0 + 4u < p.K;
        let lo = transpose(mat4x4f(Av[(aB + f0 * p.lda + k0) >> 2u], Av[(aB + f1 * p.lda + k0) >> 2u],
                                   Av[(aB + f2 * p.lda + k0) >> 2u], Av[(aB + f3 * p.lda + k0) >> 2u]));
        let hi = transpose(mat4x4f(Av[(aB + f0 * p.lda + kh) >> 2u], Av[(aB + f1 * p.lda + kh) >> 2u],
                                   Av[(aB + f2 * p.lda + kh) >> 2u], Av[(aB + f3 * p.lda + kh) >> 2u]));
${each(4, (i) => `        ${put(i, `lo[${i}]`)}`)}
${each(4, (i) => `        ${put(4 + i, `select(vec4f(0.0), hi[${i}], hiOk)`)}`)}
      } else {
        ${kLoop(
          `        {
          let k = aB + min(k0 + kk, kL);
          let a = vec4f(A[f0 * p.lda + k], A[f1 * p.lda + k], A[f2 * p.lda + k], A[f3 * p.lda + k]);
          ${put('kk', 'select(vec4f(0.0), a, k0 + kk < p.K)')}
        }`,
        )}
      }`;
}

/** The quad's rows, clamped: the head of each staging block. */
const rowsOf = (q: string) => `      let mq = m0 + 4u * ${q};
      let f0 = min(mq, mL);
      let f1 = min(mq + 1u, mL);
      let f2 = min(mq + 2u, mL);
      let f3 = min(mq + 3u, mL);`;



/** A quad-form entry: its name, the row quads each invocation loads (T: 16·T rows a block), the column quads it owns (J: 16·J columns a block), the k quads a loop trip runs (U). */
interface QuadShape {
  name: string;
  T: number;
  J: number;
  U: number;
}

/**
 * The quad-form entries: `big` (64 × 64 blocks, 8 k's a trip) and `quad16` (16 × 16 blocks, 4 k's a trip: 1 / 16 of
 * big's registers and code, ~0.06 s to compile against ~1 s, and 0.9–1.07× big's speed on SwiftShader: the cheap
 * tier and the entry for products too small for big; docs/perf.md). Both add the same products in the same order.
 */
export const QUAD_SHAPES = { big: { name: 'big', T: 4, J: 4, U: 2 }, quad16: { name: 'quad16', T: 1, J: 1, U: 1 } } as const satisfies Record<string, QuadShape>;

/** Rows of C per `big` workgroup in each form: 32 with workgroup memory, 16·T = 64 in the quad form. */
export const BIG_ROWS: Record<ATileSharing, number> = { workgroup: 32, subgroup: 16 * QUAD_SHAPES.big.T };

/**
 * A quad-form entry (a workgroup = one quad of 4 invocations: SwiftShader's SIMD width): a 16T × 16J block of C, each
 * invocation owning 4J columns and all 16T rows. Invocation li loads A's row quads q = li + 4t (t < T) and reads the
 * others' through quadSwapX/Y/Diagonal (lane li ^ s, s = 1, 2, 3): one swizzle per component, where subgroupBroadcast
 * costs a mask and four more ops. So its accumulator c<t><s>_<j> holds row quad 4t + (li ^ s): a lane-dependent row
 * that only the store has to know. Per quad of k's: c += A(rows, k .. k+3) · B(k .. k+3, cols) as mat4x4f products,
 * the same sums in the same order as `main` (bit-equal: test/gpu-tiers.test.ts). Indices inside the k loop are
 * additions and products of values set before it (SwiftShader splits a vector shift into 4 scalar ones); U quads of
 * k's run per loop trip (each trip re-stores the loop-carried accumulators).
 */
function quadEntry(q: QuadShape): string {
  const { name, T, J, U } = q; // T: row quads this invocation loads (li + 4t); J: column quads it owns; U: k quads a trip
  const R = 16 * T; // rows of the block
  const CL = 4 * J; // columns per invocation
  const sw = ['', 'quadSwapX', 'quadSwapY', 'quadSwapDiagonal'];
  // A(rows of quad 4t+li, k+i), i < 4, as the columns of a mat4x4f (components: the 4 rows); zero past K
  const loadA = (t: number, u: number) => `      var a${t}: mat4x4f;
      if (TA) {
${each(4, (i) => `        let r${i} = min(k + ${4 * u + i}u, kL);`)}
        if (VA) {
          a${t} = mat4x4f(${list(4, (i) => `Av[aq${t} + r${i} * lda4]`)});
        } else {
          a${t} = mat4x4f(${list(4, (i) => `vec4f(${list(4, (r) => `A[af${t}_${r} + r${i} * p.lda]`)})`)});
        }
      } else if (VA) {
        let k4 = min(kq + ${u}u, kq4L);
        a${t} = transpose(mat4x4f(${list(4, (r) => `Av[ar${t}_${r} + k4]`)}));
      } else {
${each(4, (i) => `        let r${i} = min(k + ${4 * u + i}u, kL);`)}
        a${t} = mat4x4f(${list(4, (i) => `vec4f(${list(4, (r) => `A[ar${t}_${r} + r${i}]`)})`)});
      }
${each(4, (i) => `      a${t}[${i}] = select(vec4f(0.0), a${t}[${i}], k + ${4 * u + i}u < p.K);`)}`;
  // B(k .. k+3, columns n0+4j .. n0+4j+3) as a mat4x4f whose column jj is B(k .. k+3, n0+4j+jj)
  const loadB = (j: number, u: number) => `      var b${j}: mat4x4f;
      if (TB) {
        if (VB) {
          let k4 = min(kq + ${u}u, kq4L);
          b${j} = mat4x4f(${list(4, (jj) => `Bv[bc${4 * j + jj} + k4]`)});
        } else {
          b${j} = mat4x4f(${list(4, (jj) => `vec4f(${list(4, (i) => `Bs[bc${4 * j + jj} + min(k + ${4 * u + i}u, kL)]`)})`)});
        }
      } else {
${each(4, (i) => `        let r${i} = min(k + ${4 * u + i}u, kL);`)}
        if (VB) {
          b${j} = transpose(mat4x4f(${list(4, (i) => `Bv[bq${j} + r${i} * ldb4]`)}));
        } else {
          b${j} = transpose(mat4x4f(${list(4, (i) => `vec4f(${list(4, (jj) => `Bs[bc${4 * j + jj} + r${i} * p.ldb]`)})`)}));
        }
      }`;
  const quad = (u: number) => `    // k .. k+3 = k0+${4 * u} .. k0+${4 * u + 3}
    {
${each(T, (t) => loadA(t, u))}
${each(J, (j) => loadB(j, u))}
${each(T, (t) => each(4, (s) => `      {
        let a = ${s === 0 ? `a${t}` : `mat4x4f(${list(4, (i) => `${sw[s]}(a${t}[${i}])`)})`};
${each(J, (j) => `        c${t}${s}_${j} += a * b${j};`)}
      }`))}
    }`;
  return `// ---- generated by shaders/matmul_gen.ts: \`${name}\`, A's rows shared through quad swaps (a workgroup = one quad), ${R} × ${4 * CL} blocks ----
@compute @workgroup_size(4, 1, 1)
fn ${name}(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  let n0 = ((wid.x + p.nBase) * 4u + li) * ${CL}u;
  let m0 = (wid.y + p.mBase) * ${R}u;
  let b = wid.z + p.zBase;
  let aB = p.oA + b * p.sA;
  let bB = p.oB + b * p.sB;
  let mL = p.M - 1u;
  let nL = p.N - 1u;
  let kL = p.K - 1u;
  // vec4 strides and the last whole vec4 along k (used only where VA / VB make them exact)
  let lda4 = p.lda >> 2u;
  let ldb4 = p.ldb >> 2u;
  let kq4L = (p.K >> 2u) - 1u;
  // A: this invocation's row quads mq = m0 + 4(li + 4t); rows clamped to the last
${each(T, (t) => `  let mq${t} = m0 + 4u * (li + ${4 * t}u);
${each(4, (r) => `  let af${t}_${r} = aB + min(mq${t} + ${r}u, mL);`)}
  // stored (K, M): the vec4 of rows mq .. mq+3 (M is a multiple of 4 under VA: all in or all past the edge)
  let aq${t} = (aB + min(mq${t}, p.M - min(p.M, 4u))) >> 2u;
  // stored (M, K): where each row starts (in vec4s under VA)
${each(4, (r) => `  let ar${t}_${r} = select((aB + min(mq${t} + ${r}u, mL) * p.lda), (aB + min(mq${t} + ${r}u, mL) * p.lda) >> 2u, VA);`)}`)}
  // B: this invocation's columns n0 .. n0+${CL - 1}, clamped: where each stored column (TB) or element of a row (!TB) starts
${each(CL, (c) => `  let bc${c} = select(bB + min(n0 + ${c}u, nL), select(bB + min(n0 + ${c}u, nL) * p.ldb, (bB + min(n0 + ${c}u, nL) * p.ldb) >> 2u, VB), TB);`)}
  // stored (K, N) under VB: the vec4 of columns n0+4j .. n0+4j+3 (N is a multiple of 4: clamped to the last whole one)
${each(J, (j) => `  let bq${j} = (bB + min(n0 + ${4 * j}u, p.N - min(p.N, 4u))) >> 2u;`)}
${each(T, (t) => each(4, (s) => each(J, (j) => `  var c${t}${s}_${j} = mat4x4f();`)))}
  // every chunk of ${4 * U} k's, the last one partial when K mod ${4 * U} ≠ 0: its A entries past K are 0 (B's rows clamped)
  for (var k = 0u; k < p.K; k += ${4 * U}u) {
    let kq = k >> 2u;
${each(U, quad)}
  }
  // store C(m0 .. m0+${R - 1}, n0 .. n0+${CL - 1}) ∩ the matrix from a private array, column by column; row quad Q of the block is
  // c<Q >> 2><(Q & 3) ^ li>. SwiftShader runs both sides of every \`if\` (masked) but leaves a loop when no invocation
  // continues, so the bias load and the = / += choice are loops of 0 or 1 trips on the uniform p.hasBias / p.acc.
  if (n0 >= p.N) { return; }
  let res = array<mat4x4f, ${4 * T * J}>(${list(4 * T * J, (i) => `c${Math.floor(i / (4 * J))}${Math.floor(i / J) % 4}_${i % J}`)});
  let cBase = p.oC + b * p.sC + m0 * p.ldc + n0;
  let rows = min(${R}u, p.M - m0);
  let cols = min(${CL}u, p.N - n0);
  // whole row quads (4 rows a trip: one vec4 read of res, index math once), then the 0–3 rows past the last one
  let quads = rows >> 2u;
  for (var j = 0u; j < cols; j++) {
    var bj = 0.0;
    for (var t = 0u; t < p.hasBias; t++) { bj = bias[n0 + j]; }
    let h = j >> 2u;
    let jj = j & 3u;
    let cj = cBase + j;
    for (var t = p.acc; t < 1u; t++) {
      var i = cj;
      for (var q = 0u; q < quads; q++) {
        let v = res[((q & ~3u) | ((q & 3u) ^ li)) * ${J}u + h][jj];
${each(4, (r) => `        C[i${r ? ` + ${r === 1 ? '' : `${r}u * `}p.ldc` : ''}] = act_epilogue(p.alpha * v[${r}] + bj);`)}
        i += 4u * p.ldc;
      }
      for (var r = quads * 4u; r < rows; r++) {
        let q = r >> 2u;
        C[cj + r * p.ldc] = act_epilogue(p.alpha * res[((q & ~3u) | ((q & 3u) ^ li)) * ${J}u + h][jj][r & 3u] + bj);
      }
    }
    for (var t = 0u; t < p.acc; t++) {
      var i = cj;
      for (var q = 0u; q < quads; q++) {
        let v = res[((q & ~3u) | ((q & 3u) ^ li)) * ${J}u + h][jj];
${each(4, (r) => `        { let o = i${r ? ` + ${r === 1 ? '' : `${r}u * `}p.ldc` : ''}; C[o] = act_epilogue(p.alpha * v[${r}] + bj) + C[o]; }`)}
        i += 4u * p.ldc;
      }
      for (var r = quads * 4u; r < rows; r++) {
        let q = r >> 2u;
        let o = cj + r * p.ldc;
        C[o] = act_epilogue(p.alpha * res[((q & ~3u) | ((q & 3u) ^ li)) * ${J}u + h][jj][r & 3u] + bj) + C[o];
      }
    }
  }
}
`;
}

function bigEntry(share: ATileSharing): string {
  if (share === 'subgroup') return quadEntry(QUAD_SHAPES.big);
  const chunk = `    workgroupBarrier();
    // this invocation's quads of the A tile: rows m0+4q .. m0+4q+3 (clamped) for q = li, li+BW, … < 8
    for (var q = li; q < 8u; q += BW) {
${rowsOf('q')}
${stage((kk, v) => `At[${typeof kk === 'number' ? `${kk * 8}u + q` : 'kk * 8u + q'}] = ${v};`)}
    }
    workgroupBarrier();`;
  const half = (h: number) => `    // k0+${4 * h} .. k0+${4 * h + 3}
    {
      let k = k0 + ${4 * h}u;
${each(4, (j) => `      let b${j} = big_tile_b(bB, k, n0 + ${4 * j}u);`)}
${each(8, (q) => `      let a${q} = big_tile_a(${4 * h}u, ${q}u);\n      ${list(4, (j) => `c${q}${j} += a${q} * b${j}`).replace(/, /g, '; ')};`)}
    }`;
  return `// ---- generated by shaders/matmul_gen.ts: \`big\`, A's tile shared through workgroup memory ----
@compute @workgroup_size(BW, 1, 1)
fn big(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  let n0 = ((wid.x + p.nBase) * BW + li) * 16u;
  let m0 = (wid.y + p.mBase) * 32u;
  let b = wid.z + p.zBase;
  let aB = p.oA + b * p.sA;
  let bB = p.oB + b * p.sB;
${each(8, (q) => each(4, (j) => `  var c${q}${j} = mat4x4f();`))}
  let mL = p.M - 1u;
  let kL = p.K - 1u;
  // every chunk of 8 k's, the last one partial when K mod 8 ≠ 0: its A entries past K are 0
  for (var k0 = 0u; k0 < p.K; k0 += 8u) {
${chunk}
${half(0)}
${half(1)}
  }
  // store C(m0 .. m0+31, n0 .. n0+15) ∩ the matrix from a private array, column by column. SwiftShader runs
  // both sides of every \`if\` (masked) but leaves a loop when no invocation continues (after one masked pass),
  // so the bias load and the = / += choice are loops of 0 or 1 trips on the uniform p.hasBias / p.acc.
  if (n0 >= p.N) { return; }
  let res = array<mat4x4f, 32>(${list(32, (i) => `c${i >> 2}${i & 3}`)});
  let cBase = p.oC + b * p.sC + m0 * p.ldc + n0;
  let rows = min(32u, p.M - m0);
  let cols = min(16u, p.N - n0);
  for (var j = 0u; j < cols; j++) {
    var bj = 0.0;
    for (var t = 0u; t < p.hasBias; t++) { bj = bias[n0 + j]; }
    let h = j >> 2u;
    let jj = j & 3u;
    for (var t = p.acc; t < 1u; t++) {
      for (var r = 0u; r < rows; r++) {
        C[cBase + r * p.ldc + j] = act_epilogue(p.alpha * res[(r >> 2u) * 4u + h][jj][r & 3u] + bj);
      }
    }
    for (var t = 0u; t < p.acc; t++) {
      for (var r = 0u; r < rows; r++) {
        let i = cBase + r * p.ldc + j;
        C[i] = act_epilogue(p.alpha * res[(r >> 2u) * 4u + h][jj][r & 3u] + bj) + C[i];
      }
    }
  }
}
`;
}

const cache = new Map<string, ShaderSource>();

/**
 * shaders/matmul.wgsl with one generated entry (one object per form and entry: pipelines cache on it): `big` in either
 * form, or the quad form's `quad16` — in a module of its own, so that a first step's cheap kernels do not parse and
 * reflect `big`'s ~50 KB of generated WGSL.
 */
export function matmulShader(share: ATileSharing, entry: 'big' | 'quad16' = 'big'): ShaderSource {
  if (entry === 'quad16' && share !== 'subgroup') throw new Error("matmulShader: 'quad16' exists in the quad form only");
  const key = `${share}:${entry}`;
  let s = cache.get(key);
  if (!s) {
    // `enable` must precede every declaration: it replaces the file's first line (a comment), so line numbers hold
    const code = share === 'subgroup' ? matmulWgsl.code.replace(/^[^\n]*/, 'enable subgroups;') : matmulWgsl.code;
    const gen = entry === 'quad16' ? quadEntry(QUAD_SHAPES.quad16) : bigEntry(share);
    s = { file: `${matmulWgsl.file} + shaders/matmul_gen.ts (${share}${entry === 'quad16' ? ', quad16' : ''})`, code: `${code}\n${gen}` };
    cache.set(key, s);
  }
  return s;
}
