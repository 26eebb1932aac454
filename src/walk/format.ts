// Prints arrays the way the course's PyTorch/Python cells do: `tensor([[ 0.3374, -0.1778], …])` (4 decimals,
// right-aligned columns, 3 edge items when a tensor has more than 1,000 elements), Python lists and tuples.
// Browser-safe. Leaves out: torch's scientific-notation mode and line wrapping at 80 columns.

export interface FormatOptions {
  /** decimals for floats (torch prints 4) */
  decimals?: number;
  /** integers: print without decimals */
  int?: boolean;
  /** summarise (edge items only) above this many elements (torch: 1000) */
  threshold?: number;
  edgeItems?: number;
}

/** A tensor's values as torch prints them: `tensor([...])`. */
export function formatTensor(data: ArrayLike<number>, shape: readonly number[], o: FormatOptions = {}): string {
  const decimals = o.decimals ?? 4;
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`formatTensor: ${data.length} values for shape [${shape}]`);
  const summarise = n > (o.threshold ?? 1000);
  const edge = o.edgeItems ?? 3;
  const fmt = (v: number) => (o.int ? String(Math.round(v)) : Object.is(v, -0) ? '-0.' + '0'.repeat(decimals) : v.toFixed(decimals));
  // which indices are shown along each dim
  const shown = shape.map((d) => (summarise && d > 2 * edge ? [...Array(edge).keys(), -1, ...Array.from({ length: edge }, (_, i) => d - edge + i)] : [...Array(d).keys()]));
  let width = 0;
  const visit = (dim: number, off: number) => {
    if (dim === shape.length) { width = Math.max(width, fmt(data[off]).length); return; }
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    for (const i of shown[dim]) if (i >= 0) visit(dim + 1, off + i * stride);
  };
  visit(0, 0);
  const indent = 'tensor('.length;
  const rec = (dim: number, off: number): string => {
    if (shape.length === 0) return fmt(data[0]);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const last = dim === shape.length - 1;
    const items = shown[dim].map((i) => (i < 0 ? (last ? ' ...' : '...') : last ? fmt(data[off + i * stride]).padStart(width) : rec(dim + 1, off + i * stride)));
    const sep = last ? ', ' : ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + dim + 1);
    return '[' + items.join(sep) + ']';
  };
  return `tensor(${rec(0, 0)})`;
}

/** Python's repr of a list of strings or numbers: ['I', 'HAD', …] / [1, 56, 2]. */
export function pyList(items: readonly (string | number)[]): string {
  return '[' + items.map((v) => (typeof v === 'number' ? String(v) : pyStr(v))).join(', ') + ']';
}

/** Python's repr of a str (single quotes unless the string has one and no double quote). */
export function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(new RegExp(q, 'g'), '\\' + q);
  return q + body + q;
}

/** torch.Size([8, 4, 256]) */
export const torchSize = (shape: readonly number[]) => `torch.Size([${shape.join(', ')}])`;
