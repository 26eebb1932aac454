// WGSL kernel loader: reflects a shader with wgsl_reflect to build explicit bind-group layouts and
// uniform-struct layouts, so dispatch code passes named buffers and named parameters and never
// hand-computes byte offsets; splices `//!include prelude` lines (shaders/prelude.wgsl) and maps compile
// errors back to file:line. Leaves out: textures/samplers (wgpt only uses buffers), nested includes.
import { WgslReflect, StructInfo, ArrayInfo, TemplateInfo, type TypeInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import preludeWgsl from '../../shaders/prelude.wgsl';
import matmulRowWgsl from '../../shaders/matmul_row.wgsl';

/** What a `.wgsl` import gives (the Node loader hook and the esbuild plugin both produce this). */
export interface ShaderSource {
  file: string;
  code: string;
}

/** A shader with its includes spliced in; lines[k] is where line k+1 of `code` came from. */
export interface ResolvedShader extends ShaderSource {
  lines: { file: string; line: number }[];
}

/**
 * Invocations per workgroup of wgpt's 1-D kernels: the prelude's `GRID_WG` (shaders/prelude.wgsl: flat_index) and
 * Gpu.grid's default workgroup size; test/gpu.test.ts checks the two agree.
 */
export const GRID_WG = 64;

/** What `//!include NAME` may name. */
const INCLUDES: Record<string, ShaderSource> = { prelude: preludeWgsl, matmul_row: matmulRowWgsl };
const INCLUDE_RE = /^\s*\/\/!include\s+(\S+)\s*$/;
const resolved = new WeakMap<ShaderSource, ResolvedShader>();

/**
 * Replaces each `//!include NAME` line with that include's text (once per shader; a second include of
 * the same name becomes an empty line) and records, for every line, its file and line number.
 */
export function resolveShader(src: ShaderSource): ResolvedShader {
  const hit = resolved.get(src);
  if (hit) return hit;
  const out: string[] = [];
  const lines: ResolvedShader['lines'] = [];
  const seen = new Set<string>();
  src.code.split('\n').forEach((text, k) => {
    const m = INCLUDE_RE.exec(text);
    if (!m) {
      out.push(text);
      lines.push({ file: src.file, line: k + 1 });
      return;
    }
    const inc = INCLUDES[m[1]];
    if (!inc) throw new Error(`${src.file}:${k + 1}: unknown include '${m[1]}' (known: ${Object.keys(INCLUDES).join(', ')})`);
    if (seen.has(m[1])) {
      out.push('');
      lines.push({ file: src.file, line: k + 1 });
      return;
    }
    seen.add(m[1]);
    inc.code.split('\n').forEach((t, j) => {
      out.push(t);
      lines.push({ file: inc.file, line: j + 1 });
    });
  });
  const r: ResolvedShader = { file: src.file, code: seen.size ? out.join('\n') : src.code, lines };
  resolved.set(src, r);
  return r;
}

export interface KernelDef {
  shader: ShaderSource;
  /** compute entry point; defaults to the only one in the file */
  entry?: string;
  /** values for `override` declarations; part of the pipeline cache key */
  constants?: Record<string, number>;
}

export type UniformValue = number | number[];

interface UniformMember {
  name: string;
  offset: number;
  scalar: 'u32' | 'i32' | 'f32';
  count: number; // 1 for scalars, N for vecN
}

export interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'storage' | 'read-only-storage';
  /** for uniform bindings: byte size and members */
  size?: number;
  members?: UniformMember[];
}

interface ReflectType {
  name: string;
  format?: ReflectType | null;
  members?: { name: string; offset: number; size: number; type: ReflectType }[] | null;
}

/** wgsl_reflect's type classes as the plain shape scalarOf reads (vectors' and arrays' element type, struct members). */
function reflectType(t: TypeInfo): ReflectType {
  const format = t instanceof ArrayInfo || t instanceof TemplateInfo ? t.format : null;
  return {
    name: t.name,
    format: format ? reflectType(format) : null,
    members: t instanceof StructInfo ? t.members.map((m) => ({ name: m.name, offset: m.offset, size: m.size, type: reflectType(m.type) })) : null,
  };
}

function scalarOf(t: ReflectType, where: string): { scalar: 'u32' | 'i32' | 'f32'; count: number } {
  const n = t.name;
  if (n === 'u32' || n === 'i32' || n === 'f32') return { scalar: n, count: 1 };
  const m = /^vec([234])([uif])?$/.exec(n);
  if (m) {
    const f = m[2] ? ({ u: 'u32', i: 'i32', f: 'f32' } as const)[m[2] as 'u' | 'i' | 'f'] : (t.format?.name as 'u32' | 'i32' | 'f32');
    if (f === 'u32' || f === 'i32' || f === 'f32') return { scalar: f, count: Number(m[1]) };
  }
  throw new Error(`${where}: uniform member type ${n} is not supported (use u32, i32, f32 or vecN of them)`);
}

/** Reflected description of one entry point of one shader file. */
export interface KernelLayout {
  file: string;
  entry: string;
  workgroupSize: [number, number, number];
  bindings: BindingInfo[];
}

export function reflectKernel(def: KernelDef): KernelLayout {
  const { file, code } = resolveShader(def.shader);
  let r: WgslReflect;
  try {
    r = new WgslReflect(code);
  } catch (e) {
    throw new Error(`${file}: WGSL could not be parsed for reflection: ${(e as Error).message}`);
  }
  const entries = r.entry.compute;
  if (entries.length === 0) throw new Error(`${file}: no @compute entry point`);
  let ep = entries[0];
  if (def.entry) {
    const found = entries.find((e) => e.name === def.entry);
    if (!found) throw new Error(`${file}: no @compute entry point named ${def.entry} (has ${entries.map((e) => e.name).join(', ')})`);
    ep = found;
  } else if (entries.length > 1) {
    throw new Error(`${file}: several entry points (${entries.map((e) => e.name).join(', ')}); name one`);
  }
  const used = new Set(ep.resources.map((x) => x.name));
  const bindings: BindingInfo[] = [];
  for (const u of r.uniforms) {
    if (!used.has(u.name)) continue;
    if (u.group !== 0) throw new Error(`${file}: only @group(0) is supported (${u.name})`);
    const t = reflectType(u.type);
    const members: UniformMember[] = [];
    if (t.members) {
      for (const m of t.members) {
        const s = scalarOf(m.type, `${file}: ${u.name}.${m.name}`);
        members.push({ name: m.name, offset: m.offset, ...s });
      }
    } else {
      members.push({ name: u.name, offset: 0, ...scalarOf(t, `${file}: ${u.name}`) });
    }
    bindings.push({ name: u.name, binding: u.binding, kind: 'uniform', size: Math.max(16, Math.ceil(u.size / 16) * 16), members });
  }
  for (const s of r.storage) {
    if (!used.has(s.name)) continue;
    if (s.group !== 0) throw new Error(`${file}: only @group(0) is supported (${s.name})`);
    bindings.push({ name: s.name, binding: s.binding, kind: s.access === 'read' ? 'read-only-storage' : 'storage' });
  }
  bindings.sort((a, b) => a.binding - b.binding);
  // With an `override` workgroup size, reflection reports the declared default; callers that
  // override it pass the constant, and we read it back from there.
  const wg = ep.workgroupSize ? [ep.workgroupSize[0] ?? 1, ep.workgroupSize[1] ?? 1, ep.workgroupSize[2] ?? 1] : [1, 1, 1];
  const m = /@workgroup_size\(([^)]*)\)/.exec(code.slice(code.indexOf(`fn ${ep.name}`) - 200, code.indexOf(`fn ${ep.name}`)));
  if (m && def.constants) {
    const parts = m[1].split(',').map((p) => p.trim());
    parts.forEach((p, i) => {
      if (def.constants && p in def.constants) wg[i] = def.constants[p];
    });
  }
  return { file, entry: ep.name, workgroupSize: wg as [number, number, number], bindings };
}

/** Packs named uniform values into the struct's bytes using reflected offsets. */
export function packUniforms(layout: KernelLayout, b: BindingInfo, values: Record<string, UniformValue>): ArrayBuffer {
  const buf = new ArrayBuffer(b.size!);
  const dv = new DataView(buf);
  const names = new Set(b.members!.map((m) => m.name));
  for (const k of Object.keys(values)) {
    if (!names.has(k)) throw new Error(`${layout.file}:${layout.entry}: uniform ${b.name} has no member '${k}' (members: ${[...names].join(', ')})`);
  }
  for (const m of b.members!) {
    const v = values[m.name];
    if (v === undefined) throw new Error(`${layout.file}:${layout.entry}: uniform ${b.name}.${m.name} was not given`);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length !== m.count) throw new Error(`${layout.file}:${layout.entry}: ${b.name}.${m.name} needs ${m.count} value(s), got ${arr.length}`);
    arr.forEach((x, i) => {
      const off = m.offset + 4 * i;
      if (m.scalar === 'f32') dv.setFloat32(off, x, true);
      else {
        if (!Number.isInteger(x)) throw new Error(`${layout.file}:${layout.entry}: ${b.name}.${m.name} is ${m.scalar} but got ${x}`);
        if (m.scalar === 'u32') {
          if (x < 0 || x > 0xffffffff) throw new Error(`${layout.file}:${layout.entry}: ${b.name}.${m.name}=${x} does not fit in u32`);
          dv.setUint32(off, x, true);
        } else dv.setInt32(off, x, true);
      }
    });
  }
  return buf;
}

/**
 * Formats compilation messages as `file:line:col: error: message` plus the offending line; a line that
 * came from an include is named by the include's own file and line.
 */
export function formatCompileMessages(shader: ResolvedShader, msgs: readonly GPUCompilationMessage[]): string {
  const lines = shader.code.split('\n');
  return msgs
    .map((m) => {
      const src = lines[m.lineNum - 1];
      const at = shader.lines[m.lineNum - 1] ?? { file: shader.file, line: m.lineNum };
      const caret = src !== undefined ? `\n    ${src}\n    ${' '.repeat(Math.max(0, m.linePos - 1))}^` : '';
      return `${at.file}:${at.line}:${m.linePos}: ${m.type}: ${m.message}${caret}`;
    })
    .join('\n');
}
