// PyTorch-compatible seeded initialisation (browser-safe, host-side): torch.manual_seed's mt19937, the CPU
// algorithms of uniform_ and normal_ (PyTorch 1.13), and the default inits of nn.Embedding / nn.Linear /
// nn.LayerNorm / nn.RNN / nn.LSTM / nn.GRU drawn in module construction order, plus the course's GPTModel.
// Leaves out: CUDA generators, float64/half tensors, other distributions (bernoulli, randint, randperm...).
//
// How PyTorch 1.13 draws on the CPU (aten/src/ATen/core/{MT19937RNGEngine,DistributionsHelper,
// TransformationHelper}.h, aten/src/ATen/native/cpu/{DistributionTemplates.h,avx_mathfun.h}):
// - manual_seed(s): mt19937 seeded with the low 32 bits of s; the cached normal samples are cleared.
// - uniform_(a, b) on float32: one 32-bit draw per element, x = (r & 0xFFFFFF)·2⁻²⁴, value = x·(b−a)+a in float.
// - normal_ on a contiguous float32 tensor of ≥ 16 elements: first one uniform float per element, then
//   Box–Muller on blocks of 16 (u1 = 1 − data[j], u2 = data[j+8], j < 8: data[j] = r·cos θ, data[j+8] =
//   r·sin θ); when n % 16 ≠ 0 the last 16 elements are drawn again (16 fresh uniforms) and transformed again
//   (the tail rule). With AVX2 (every x86-64 CPU of the last decade) the transform uses avx_mathfun's
//   Cephes-polynomial log256_ps / sincos256_ps in float; without AVX2 (aarch64, old x86) it uses libm's
//   float log/cos/sin. Both are emulated here (`vector: 'avx2' | 'default'`).
// - normal_ on fewer than 16 elements: per element a double-precision Box–Muller from two 53-bit uniforms
//   (random64), the sine half cached on the generator and returned by the next scalar draw (even one from a
//   later call), value = z·std + mean in double, then rounded to float.

const f = Math.fround;

/** The mt19937 engine exactly as at::mt19937 (init_with_uint32, standard tempering). */
class MT19937 {
  private readonly mt = new Uint32Array(624);
  private idx = 624;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.idx = 624;
  }

  next(): number {
    const mt = this.mt;
    if (this.idx >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.idx = 0;
    }
    let y = mt[this.idx++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

export type NormalVector = 'avx2' | 'default';

/** The CPU generator after torch.manual_seed(seed). */
export class TorchGenerator {
  private engine: MT19937;
  private nextDoubleNormal: number | null = null;
  /** which vectorised normal_ transform to emulate (see the file header) */
  vector: NormalVector;

  constructor(seed: number | bigint = 67280421310721n, vector: NormalVector = 'avx2') {
    this.engine = new MT19937(0);
    this.vector = vector;
    this.manualSeed(seed);
  }

  /** torch.manual_seed(seed): mt19937 from the low 32 bits; cached normal samples cleared. */
  manualSeed(seed: number | bigint): void {
    if (typeof seed === 'number' && (!Number.isSafeInteger(seed) || seed < 0)) throw new Error(`manual_seed: seed must be a non-negative integer, got ${seed}`);
    const low = Number(BigInt.asUintN(32, BigInt(seed)));
    this.engine = new MT19937(low);
    this.nextDoubleNormal = null;
  }

  /** generator->random(): one 32-bit draw. */
  random(): number {
    return this.engine.next();
  }

  /** uniform_real_distribution<double>: random64() masked to 53 bits, times 2⁻⁵³. */
  private uniformDouble(): number {
    const hi = this.engine.next();
    const lo = this.engine.next();
    return ((hi & 0x1fffff) * 4294967296 + lo) / 9007199254740992;
  }

  /** uniform_real_distribution<float>(from, to) on one draw: x·(to−from)+from in float. The AVX2 build of
   * PyTorch (compiled with FMA and GCC's default fp-contract) fuses it into one rounding; without it, two. */
  private uniformFloat(from: number, to: number): number {
    const x = (this.engine.next() & 0xffffff) / 16777216;
    return this.vector === 'avx2' ? f(x * f(to - from) + from) : f(f(x * f(to - from)) + from);
  }

  /** tensor.uniform_(from, to) on a float32 tensor (from/to are cast to float first, as PyTorch does). */
  uniform_(out: Float32Array, from = 0, to = 1): Float32Array {
    const a = f(from), b = f(to);
    if (!(a <= b)) throw new Error(`uniform_: expects from <= to, got from=${from} to=${to}`);
    for (let i = 0; i < out.length; i++) out[i] = this.uniformFloat(a, b);
    return out;
  }

  /** tensor.normal_(mean, std) on a contiguous float32 tensor. */
  normal_(out: Float32Array, mean = 0, std = 1): Float32Array {
    if (!(std >= 0)) throw new Error(`normal_: expects std >= 0.0, got ${std}`);
    const n = out.length;
    if (n >= 16) {
      const m = f(mean), s = f(std);
      const fill16 = this.vector === 'avx2' ? fill16Avx2 : fill16Default;
      for (let i = 0; i < n; i++) out[i] = this.uniformFloat(0, 1);
      for (let i = 0; i + 16 <= n; i += 16) fill16(out, i, m, s);
      if (n % 16 !== 0) {
        for (let i = n - 16; i < n; i++) out[i] = this.uniformFloat(0, 1);
        fill16(out, n - 16, m, s);
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      let z: number;
      if (this.nextDoubleNormal !== null) {
        z = this.nextDoubleNormal;
        this.nextDoubleNormal = null;
      } else {
        const u1 = this.uniformDouble();
        const u2 = this.uniformDouble();
        const r = Math.sqrt(-2 * Math.log(1 - u2));
        const theta = 2 * Math.PI * u1;
        this.nextDoubleNormal = r * Math.sin(theta);
        z = r * Math.cos(theta);
      }
      out[i] = z * std + mean;
    }
    return out;
  }
}

// ---- normal_fill_16 without AVX2: float log/cos/sin of libm (emulated by rounding the double results) ----
const TWO_PI_F = f(2 * Math.PI);

function fill16Default(d: Float32Array, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - d[o + j]);
    const u2 = d[o + j + 8];
    const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
    const theta = f(2 * Math.PI * u2);
    d[o + j] = f(f(f(radius * f(Math.cos(theta))) * std) + mean);
    d[o + j + 8] = f(f(f(radius * f(Math.sin(theta))) * std) + mean);
  }
}

// ---- normal_fill_16_AVX2: avx_mathfun's log256_ps and sincos256_ps, lane by lane, every op in float ----
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const MIN_NORM_POS = f(1.17549435e-38);
const SQRTHF = f(0.707106781186547524);
const LOG_P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);
const LOG_Q1 = f(-2.12194440e-4);
const LOG_Q2 = f(0.693359375);

/** log256_ps for one lane (x > 0 here: u1 = 1 − u ∈ (0, 1]). GCC contracts the build's mul+add pairs into
 * FMAs (one rounding): the polynomial steps, y·z + e·q1, and e·q2 + (x + y). Checked bit for bit on 200,000
 * draws against python3-torch 1.13 (every other contraction pattern we tried mismatches some). */
function log256(xIn: number): number {
  if (!(xIn > 0)) return NaN;
  F32[0] = Math.max(xIn, MIN_NORM_POS);
  const bits = U32[0];
  let e = f(((bits >>> 23) - 127) + 1);
  U32[0] = (bits & ~0x7f800000) | 0x3f000000;
  let x = F32[0];
  const mask = x < SQRTHF;
  const tmp0 = mask ? x : 0;
  x = f(x - 1);
  e = f(e - (mask ? 1 : 0));
  x = f(x + tmp0);
  const z = f(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < 9; k++) y = f(y * x + LOG_P[k]);
  y = f(y * x);
  y = f(y * z + f(e * LOG_Q1));
  y = f(y - f(z * 0.5));
  return f(e * LOG_Q2 + f(x + y));
}

const FOPI = f(1.27323954473516);
const DP1 = f(-0.78515625), DP2 = f(-2.4187564849853515625e-4), DP3 = f(-3.77489497744594108e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);

/** sincos256_ps for one lane → (SIN, COS), with the FMA contractions of the AVX2 build (as log256). */
let SIN = 0, COS = 0;
function sincos256(xIn: number): void {
  const negative = xIn < 0 || Object.is(xIn, -0);
  let x = Math.abs(xIn);
  let j = Math.trunc(f(x * FOPI)) | 0;
  j = (j + 1) & ~1;
  const y0 = f(j);
  const swapSin = (j & 4) !== 0;
  const polyMask = (j & 2) === 0;
  x = f(y0 * DP1 + x);
  x = f(y0 * DP2 + x);
  x = f(y0 * DP3 + x);
  const signCos = (~(j - 2) & 4) !== 0;
  const signSin = negative !== swapSin;
  const z = f(x * x);
  let y = COS_P[0];
  y = f(y * z + COS_P[1]);
  y = f(y * z + COS_P[2]);
  y = f(y * z);
  y = f(y * z - f(z * 0.5));
  y = f(y + 1);
  let y2 = SIN_P[0];
  y2 = f(y2 * z + SIN_P[1]);
  y2 = f(y2 * z + SIN_P[2]);
  y2 = f(y2 * z);
  y2 = f(y2 * x + x);
  const sinV = polyMask ? y2 : y;
  const cosV = polyMask ? y : y2;
  SIN = signSin ? -sinV : sinV;
  COS = signCos ? -cosV : cosV;
}

function fill16Avx2(d: Float32Array, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - d[o + j]);
    const u2 = d[o + j + 8];
    const radius = f(Math.sqrt(f(-2 * log256(u1))));
    const theta = f(TWO_PI_F * u2);
    sincos256(theta);
    // _mm256_fmadd_ps(n, std, mean): one rounding of n·std + mean (n·std is exact in double)
    d[o + j] = f(f(radius * COS) * std + mean);
    d[o + j + 8] = f(f(radius * SIN) * std + mean);
  }
}

// ---- default module inits (torch.nn, 1.13), each drawing from the generator in construction order ----

export interface InitTensor {
  name: string;
  /** PyTorch's shape (nn.Linear weights are [out, in]) */
  shape: number[];
  data: Float32Array;
}

/** nn.Embedding(V, C): weight ~ N(0, 1). */
export function initEmbedding(g: TorchGenerator, V: number, C: number, prefix = ''): InitTensor[] {
  return [{ name: prefix + 'weight', shape: [V, C], data: g.normal_(new Float32Array(V * C)) }];
}

/** nn.Linear(in, out, bias): kaiming_uniform_(a=√5) weight (bound √3·gain/√fan_in = 1/√in), bias U(±1/√in). */
export function initLinear(g: TorchGenerator, inF: number, outF: number, bias = true, prefix = ''): InitTensor[] {
  const a = Math.sqrt(5);
  const gain = Math.sqrt(2.0 / (1 + a * a));
  const bound = Math.sqrt(3.0) * (gain / Math.sqrt(inF));
  const out: InitTensor[] = [{ name: prefix + 'weight', shape: [outF, inF], data: g.uniform_(new Float32Array(outF * inF), -bound, bound) }];
  if (bias) {
    const bb = inF > 0 ? 1 / Math.sqrt(inF) : 0;
    out.push({ name: prefix + 'bias', shape: [outF], data: g.uniform_(new Float32Array(outF), -bb, bb) });
  }
  return out;
}

/** nn.LayerNorm(C): weight ones, bias zeros (draws nothing). */
export function initLayerNorm(C: number, prefix = ''): InitTensor[] {
  return [
    { name: prefix + 'weight', shape: [C], data: new Float32Array(C).fill(1) },
    { name: prefix + 'bias', shape: [C], data: new Float32Array(C) },
  ];
}

export type RecurrentKind = 'RNN' | 'LSTM' | 'GRU';

/** nn.RNN / nn.LSTM / nn.GRU: every parameter U(−1/√H, 1/√H), in PyTorch's order (layer, direction, w_ih, w_hh, b_ih, b_hh). */
export function initRecurrent(g: TorchGenerator, kind: RecurrentKind, inputSize: number, H: number, numLayers = 1, bidirectional = false, bias = true, prefix = ''): InitTensor[] {
  const gates = kind === 'LSTM' ? 4 : kind === 'GRU' ? 3 : 1;
  const dirs = bidirectional ? 2 : 1;
  const stdv = 1.0 / Math.sqrt(H);
  const out: InitTensor[] = [];
  for (let l = 0; l < numLayers; l++) {
    const inSize = l === 0 ? inputSize : H * dirs;
    for (let d = 0; d < dirs; d++) {
      const sfx = `_l${l}${d ? '_reverse' : ''}`;
      out.push({ name: `${prefix}weight_ih${sfx}`, shape: [gates * H, inSize], data: new Float32Array(gates * H * inSize) });
      out.push({ name: `${prefix}weight_hh${sfx}`, shape: [gates * H, H], data: new Float32Array(gates * H * H) });
      if (bias) {
        out.push({ name: `${prefix}bias_ih${sfx}`, shape: [gates * H], data: new Float32Array(gates * H) });
        out.push({ name: `${prefix}bias_hh${sfx}`, shape: [gates * H], data: new Float32Array(gates * H) });
      }
    }
  }
  // reset_parameters() runs after every tensor exists: uniform_ over self.parameters() in registration order
  for (const t of out) g.uniform_(t.data, -stdv, stdv);
  return out;
}

/** Shape of the course's GPTModel (ch04) needed to replay its construction order. */
export interface CourseGPTShape {
  vocab_size: number;
  context_length: number;
  d_model: number;
  n_layers: number;
  qkv_bias: boolean;
  /** false: no pos_emb module (sinusoidal positions) */
  learned_positions?: boolean;
}

/** The course's GPTModel after torch.manual_seed(seed), in its own parameter names and PyTorch layouts. */
export function initCourseGPT(g: TorchGenerator, c: CourseGPTShape): InitTensor[] {
  const C = c.d_model;
  const out: InitTensor[] = [...initEmbedding(g, c.vocab_size, C, 'tok_emb.')];
  if (c.learned_positions !== false) out.push(...initEmbedding(g, c.context_length, C, 'pos_emb.'));
  for (let i = 0; i < c.n_layers; i++) {
    const p = `trf_blocks.${i}.`;
    for (const w of ['W_query', 'W_key', 'W_value']) out.push(...initLinear(g, C, C, c.qkv_bias, `${p}att.${w}.`));
    out.push(...initLinear(g, C, C, true, `${p}att.out_proj.`));
    out.push(...initLinear(g, C, 4 * C, true, `${p}ff.layers.0.`));
    out.push(...initLinear(g, 4 * C, C, true, `${p}ff.layers.2.`));
    out.push({ name: `${p}norm1.scale`, shape: [C], data: new Float32Array(C).fill(1) }, { name: `${p}norm1.shift`, shape: [C], data: new Float32Array(C) });
    out.push({ name: `${p}norm2.scale`, shape: [C], data: new Float32Array(C).fill(1) }, { name: `${p}norm2.shift`, shape: [C], data: new Float32Array(C) });
  }
  out.push({ name: 'final_norm.scale', shape: [C], data: new Float32Array(C).fill(1) }, { name: 'final_norm.shift', shape: [C], data: new Float32Array(C) });
  out.push(...initLinear(g, C, c.vocab_size, false, 'out_head.'));
  return out;
}

/** Transposes a PyTorch Linear weight [out, in] into wgpt's [in, out] layout (HF Conv1D). */
function transposeOI(w: Float32Array, outF: number, inF: number, dst: Float32Array, dstCols: number, col0: number): void {
  for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) dst[i * dstCols + col0 + o] = w[o * inF + i];
}

/** wgpt's GPT parameters (src/model/params.ts names and layouts) holding exactly what the course's GPTModel
 * holds after torch.manual_seed(seed): q/k/v Linears packed into c_attn, weights transposed to [in, out]. With
 * tie_embeddings the out_head is still drawn (PyTorch constructs it before tying) and then dropped. */
export function torchGPTParams(
  c: { vocab_size: number; context_length: number; d_model: number; n_layers: number; qkv_bias: boolean; tie_embeddings: boolean; positions: 'learned' | 'sinusoidal' },
  seed: number,
  vector: NormalVector = 'avx2',
): Map<string, Float32Array> {
  const C = c.d_model;
  const t = new Map(initCourseGPT(new TorchGenerator(seed, vector), { ...c, learned_positions: c.positions === 'learned' }).map((x) => [x.name, x.data]));
  const get = (n: string) => t.get(n)!;
  const out = new Map<string, Float32Array>();
  out.set('wte.weight', get('tok_emb.weight'));
  if (c.positions === 'learned') out.set('wpe.weight', get('pos_emb.weight'));
  for (let i = 0; i < c.n_layers; i++) {
    const s = `trf_blocks.${i}.`, p = `h.${i}.`;
    out.set(p + 'ln_1.weight', get(s + 'norm1.scale'));
    out.set(p + 'ln_1.bias', get(s + 'norm1.shift'));
    const qkv = new Float32Array(C * 3 * C);
    ['W_query', 'W_key', 'W_value'].forEach((w, k) => transposeOI(get(`${s}att.${w}.weight`), C, C, qkv, 3 * C, k * C));
    out.set(p + 'attn.c_attn.weight', qkv);
    if (c.qkv_bias) {
      const b = new Float32Array(3 * C);
      ['W_query', 'W_key', 'W_value'].forEach((w, k) => b.set(get(`${s}att.${w}.bias`), k * C));
      out.set(p + 'attn.c_attn.bias', b);
    }
    const proj = new Float32Array(C * C);
    transposeOI(get(s + 'att.out_proj.weight'), C, C, proj, C, 0);
    out.set(p + 'attn.c_proj.weight', proj);
    out.set(p + 'attn.c_proj.bias', get(s + 'att.out_proj.bias'));
    out.set(p + 'ln_2.weight', get(s + 'norm2.scale'));
    out.set(p + 'ln_2.bias', get(s + 'norm2.shift'));
    const fc = new Float32Array(C * 4 * C);
    transposeOI(get(s + 'ff.layers.0.weight'), 4 * C, C, fc, 4 * C, 0);
    out.set(p + 'mlp.c_fc.weight', fc);
    out.set(p + 'mlp.c_fc.bias', get(s + 'ff.layers.0.bias'));
    const fp = new Float32Array(4 * C * C);
    transposeOI(get(s + 'ff.layers.2.weight'), C, 4 * C, fp, C, 0);
    out.set(p + 'mlp.c_proj.weight', fp);
    out.set(p + 'mlp.c_proj.bias', get(s + 'ff.layers.2.bias'));
  }
  out.set('ln_f.weight', get('final_norm.scale'));
  out.set('ln_f.bias', get('final_norm.shift'));
  if (!c.tie_embeddings) out.set('lm_head.weight', get('out_head.weight'));
  return out;
}
