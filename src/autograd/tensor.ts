// Autograd core (micrograd-style): a Tensor is a GPU buffer with a shape, its parents and a backward
// closure that dispatches kernels. backward() walks the graph in reverse topological order.
// Parameter gradients live as long as the parameter (accumulated +=); activation gradients are
// pooled and released with the step's arena. A view (reshape) shares its base's buffer and gradient
// and never releases either. Leaves out: strided views (every tensor is contiguous), dtypes other than
// f32 (ids are host Int32Arrays plus an i32 GPU buffer, see IdBatch).
import type { Gpu } from '../gpu/device.js';

let gradEnabled = true;

/** Runs fn with graph recording off (inference): ops build no parents and no closures. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      return r.finally(() => {
        gradEnabled = prev;
      }) as T;
    }
    gradEnabled = prev;
    return r;
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws `op: shape mismatch: a [..] vs b [..]` naming both shapes and the op. */
export function checkShape(op: string, what: string, got: readonly number[], want: readonly (number | null)[]): void {
  const ok = got.length === want.length && want.every((w, i) => w === null || w === got[i]);
  if (!ok) throw new Error(`${op}: shape mismatch: ${what} is ${shapeStr(got)}, expected ${shapeStr(want.map((w) => (w === null ? '*' : w)) as number[])}`);
}

export class Tensor {
  readonly size: number;
  /** gradient, same shape; persistent for parameters, pooled for activations */
  grad: Tensor | null = null;
  /** graph edges (empty for leaves and under noGrad) */
  parents: Tensor[] = [];
  /** dispatches the kernels that push this tensor's grad into its parents' grads */
  backwardFn: (() => void) | null = null;
  requiresGrad: boolean;
  /** parameters keep their buffer and grad across arenas */
  readonly isParam: boolean;
  /** the tensor whose buffer this one shares (a reshape view): dispose never releases it; null = owns it */
  readonly viewOf: Tensor | null;
  disposed = false;

  constructor(
    readonly gpu: Gpu,
    readonly shape: number[],
    readonly buffer: GPUBuffer,
    opts: { requiresGrad?: boolean; isParam?: boolean; op?: string; name?: string; viewOf?: Tensor } = {},
  ) {
    this.size = numel(shape);
    this.requiresGrad = !!opts.requiresGrad;
    this.isParam = !!opts.isParam;
    this.viewOf = opts.viewOf ?? null;
    if (this.viewOf && this.size !== this.viewOf.size) throw new Error(`a view ${shapeStr(shape)} of ${shapeStr(this.viewOf.shape)} must have its size`);
    this.op = opts.op ?? 'leaf';
    this.name = opts.name;
    if (this.isParam) gpu.pool.keep(buffer);
  }
  op: string;
  name?: string;

  get bytes(): number {
    return this.size * 4;
  }

  /** New tensor holding a copy of `data` (f32). */
  static from(gpu: Gpu, data: ArrayLike<number>, shape: number[], opts: { requiresGrad?: boolean; isParam?: boolean; name?: string } = {}): Tensor {
    const n = numel(shape);
    if (data.length !== n) throw new Error(`Tensor.from: ${data.length} values do not fill shape ${shapeStr(shape)} (${n})`);
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    const buf = gpu.pool.acquire(n * 4, opts.name ?? 'tensor');
    gpu.upload(buf, f);
    return new Tensor(gpu, shape, buf, opts);
  }

  /** New zero-filled tensor. */
  static zeros(gpu: Gpu, shape: number[], opts: { requiresGrad?: boolean; isParam?: boolean; name?: string } = {}): Tensor {
    const n = numel(shape);
    const buf = gpu.pool.acquire(n * 4, opts.name ?? 'tensor');
    gpu.zero(buf, n * 4);
    return new Tensor(gpu, shape, buf, opts);
  }

  /** Uninitialised output tensor for a kernel to write (=). */
  static empty(gpu: Gpu, shape: number[], op = 'tensor'): Tensor {
    return new Tensor(gpu, shape, gpu.pool.acquire(numel(shape) * 4, op), { op });
  }

  /** The same buffer seen with another shape (same size), owned by `base`: no copy, nothing to release. */
  static view(base: Tensor, shape: number[], op = 'view'): Tensor {
    return new Tensor(base.gpu, shape, base.buffer, { op, viewOf: base });
  }

  /** A parameter: persistent buffer, requires grad, grad allocated (zeroed) up front. */
  static param(gpu: Gpu, data: ArrayLike<number>, shape: number[], name: string): Tensor {
    const t = Tensor.from(gpu, data, shape, { requiresGrad: true, isParam: true, name });
    t.grad = Tensor.zeros(gpu, shape, { isParam: true, name: `${name}.grad` });
    return t;
  }

  async toArray(): Promise<Float32Array> {
    this.assertLive();
    return this.gpu.readF32(this.buffer, this.size);
  }

  async item(): Promise<number> {
    return (await this.toArray())[0];
  }

  assertLive(): void {
    this.viewOf?.assertLive();
    if (this.disposed || !this.gpu.pool.isLive(this.buffer)) throw new Error(`tensor ${this.name ?? this.op} ${shapeStr(this.shape)} was released (used after its arena ended?)`);
  }

  /** Returns the buffer to the pool now (and the grad, for non-parameters); a view releases nothing of its base's. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.viewOf && this.gpu.pool.isLive(this.buffer)) this.gpu.pool.release(this.buffer);
    if (this.grad) this.grad.dispose();
    this.grad = null;
  }

  /** Zeroes the gradient in place (parameters) or drops it (activations). */
  zeroGrad(): void {
    if (!this.grad) return;
    if (this.isParam) this.gpu.zero(this.grad.buffer, this.bytes);
    else {
      this.grad.dispose();
      this.grad = null;
    }
  }
}

/**
 * Creates an op's output node. `backward` is only attached when grad mode is on and a parent needs
 * a gradient; it reads `out.grad` and pushes into the parents' grads.
 */
export function makeNode(out: Tensor, parents: Tensor[], backward: (out: Tensor) => void): Tensor {
  if (gradEnabled && parents.some((p) => p.requiresGrad)) {
    out.requiresGrad = true;
    out.parents = parents;
    out.backwardFn = () => backward(out);
  }
  return out;
}

/** Topological order of the graph that produced `root` (parents before children). */
export function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS: deep models would overflow a recursive walk
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const p of t.parents) if (!seen.has(p) && p.requiresGrad) stack.push([p, false]);
  }
  return order;
}

/**
 * Backpropagates from `root`. The root's gradient is ones (or `grad`). Closures run in reverse
 * topological order; each adds into its parents' grads. Intermediate grads are released as soon as
 * their node has run (leaves — inputs and parameters — keep theirs).
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward: the tensor does not require grad (built under noGrad, or from no parameter)');
  const order = topoOrder(root);
  if (!root.grad) {
    if (grad) {
      checkShape('backward', 'grad', grad.shape, root.shape);
      root.grad = grad;
    } else {
      const ones = new Float32Array(root.size).fill(1);
      root.grad = Tensor.from(root.gpu, ones, root.shape);
    }
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    if (t.backwardFn && t.grad) t.backwardFn();
    // intermediate grads are released once consumed; leaves (inputs, parameters) keep theirs
    if (t.parents.length > 0 && t !== root && t.grad) {
      t.grad.dispose();
      t.grad = null;
    }
  }
}

/** Host-side token ids with their GPU copy (i32). The host copy lets ops validate and group ids. */
export class IdBatch {
  readonly size: number;
  constructor(
    readonly gpu: Gpu,
    readonly ids: Int32Array,
    readonly shape: number[],
    readonly buffer: GPUBuffer,
  ) {
    this.size = numel(shape);
  }

  /** Uploads ids; every id must lie in [0, vocab) (GPU reads out of bounds are silent). */
  static from(gpu: Gpu, ids: ArrayLike<number>, shape: number[], vocab: number, what = 'token id'): IdBatch {
    const n = numel(shape);
    if (ids.length !== n) throw new Error(`IdBatch: ${ids.length} ids do not fill shape ${shapeStr(shape)}`);
    const a = Int32Array.from(ids as ArrayLike<number>);
    for (let i = 0; i < n; i++) {
      const v = ids[i];
      if (!Number.isInteger(v) || v < 0 || v >= vocab) {
        throw new Error(`${what} ${v} at position ${i} is out of range [0, ${vocab})`);
      }
    }
    const buf = gpu.pool.acquire(n * 4, 'ids');
    gpu.upload(buf, a);
    return new IdBatch(gpu, a, shape, buf);
  }

  dispose(): void {
    if (this.gpu.pool.isLive(this.buffer)) this.gpu.pool.release(this.buffer);
  }
}

/**
 * The one way a backward rule gets a parent's gradient buffer: the existing grad with acc 1 (kernel does +=),
 * or a fresh tensor with acc 0 (kernel writes =, no zero-fill needed). Kernels take this as an `acc: u32`
 * uniform. A kernel that can only add (a scatter, a per-channel reduction that runs +=) asks for `zeroed`:
 * a fresh grad is then zero-filled and acc is always 1. Returns null when the parent needs no gradient.
 */
export function gradTarget(p: Tensor, o: { zeroed?: boolean } = {}): { t: Tensor; acc: 0 | 1 } | null {
  if (!p.requiresGrad) return null;
  if (p.viewOf?.requiresGrad && !p.grad) {
    // a view's gradient is its base's, seen in the view's shape: consumers write straight into it
    const t = gradTarget(p.viewOf, o)!;
    p.grad = Tensor.view(t.t, p.shape, `${p.op}.grad`);
    return { t: p.grad, acc: t.acc };
  }
  if (p.grad) return { t: p.grad, acc: 1 };
  if (o.zeroed) {
    p.grad = Tensor.zeros(p.gpu, p.shape, { name: `${p.op}.grad` });
    return { t: p.grad, acc: 1 };
  }
  p.grad = Tensor.empty(p.gpu, p.shape, `${p.op}.grad`);
  return { t: p.grad, acc: 0 };
}
