// Issue #26, the non-matmul part of a training step: one GPT training step (AdamW) of the `bench peer-train --quick`
// cases (tiny: B 4, T 32; small: B 4, T 64; V 1416, dropout 0) with the source of a git revision (A, default main,
// unpacked by `git archive` into a temporary folder) against the working tree (B). Each side is a child process of its
// own (the ops are module code, not a policy: one process cannot hold both), kept alive across rounds; the parent asks
// them in turn, alternating A B / B A per round, for STEPS steps and reads back the process CPU ms per step (SwiftShader
// runs kernels on the process's threads, so the figure barely moves with other processes' load), the wall ms per step,
// and the losses. Then each side records one step's dispatches and replays each alone 20 times: process CPU ms per op
// family (robust to load, like the step figure); with --profile also GPU ms per op family (timestamp queries, one
// pass per dispatch: load-sensitive, quote the load average). Checks: each side's losses are bit-identical between two
// models trained from the same seed (run-to-run stability), and A's and B's losses agree to 4 decimals.
// Leaves out: PyTorch and tfjs (bench peer-train), compile time (warm-up steps are not timed).
// Run: node --import ./src/register.mjs bench/step-fuse.ts [REV=main] [ROUNDS=7] [STEPS=5] [--profile] [--only tiny|small]
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CASES = { tiny: { B: 4, T: 32 }, small: { B: 4, T: 64 } } as const;
type CaseName = keyof typeof CASES;
const V = 1416;
/** replays of each recorded dispatch (the per-family CPU table) */
const REPLAY = 20;

interface RunReply { cpu: number; wall: number; losses: number[] }

async function child(root: string): Promise<void> {
  const { getGpu } = await import(`${root}/src/gpu/device.ts`);
  const { GPT } = await import(`${root}/src/model/gpt.ts`);
  const { PRESETS } = await import(`${root}/src/model/config.ts`);
  const { Trainer } = await import(`${root}/src/train/trainer.ts`);
  const gpu = await getGpu();
  gpu.setPolicy({ tiers: 'best' });
  const sides = new Map<string, { step: (s: number) => Promise<number> }>();
  let stepNo = 10;
  for (const [name, { B, T }] of Object.entries(CASES)) {
    const cfg = { ...PRESETS[name], vocab_size: V, context_length: T, dropout: 0 };
    const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
    const y = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 1) % V);
    const make = () => new Trainer(GPT.init(gpu, cfg, 1), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, seed: 1 });
    // run-to-run stability: two models from the same seed give the same bits (also the warm-up: compiles every kernel)
    const [t1, t2] = [make(), make()];
    const l1: number[] = [];
    const l2: number[] = [];
    for (let s = 0; s < 3; s++) l1.push(await t1.step({ x, y, B, T }, s));
    for (let s = 0; s < 3; s++) l2.push(await t2.step({ x, y, B, T }, s));
    const stable = l1.every((l, i) => Object.is(l, l2[i]));
    process.send!({ stable: { name, stable, losses: l1 } });
    sides.set(name, { step: (s) => t1.step({ x, y, B, T }, s) });
  }
  process.on('message', async (m: { run?: CaseName; steps?: number; profile?: CaseName; kernels?: CaseName; exit?: boolean }) => {
    if (m.exit) process.exit(0);
    if (m.run) {
      const t = sides.get(m.run)!;
      const losses: number[] = [];
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < m.steps!; i++) losses.push(await t.step(stepNo++));
      const c = process.cpuUsage(c0);
      process.send!({ cpu: (c.user + c.system) / 1000 / m.steps!, wall: (performance.now() - t0) / m.steps!, losses } satisfies RunReply);
    }
    if (m.kernels) {
      // record one step's dispatches, then replay each REPLAY times alone: process CPU ms per dispatch, summed per family
      const t = sides.get(m.kernels)!;
      const log: [unknown, unknown][] = [];
      const orig = gpu.dispatch.bind(gpu);
      gpu.dispatch = (k: unknown, a: unknown) => {
        log.push([k, a]);
        orig(k, a);
      };
      try {
        await t.step(stepNo++);
      } finally {
        gpu.dispatch = orig;
      }
      // the step's buffers stay allocated (the pool keeps released buffers for reuse); replays overwrite their values
      const fam = new Map<string, { ms: number; dispatches: number }>();
      for (const [k, a] of log) {
        const run = () => orig(k, a);
        run();
        await gpu.sync();
        const ts: number[] = [];
        for (let r = 0; r < 3; r++) {
          const c0 = process.cpuUsage();
          for (let i = 0; i < REPLAY; i++) run();
          await gpu.sync();
          const c = process.cpuUsage(c0);
          ts.push((c.user + c.system) / 1000 / REPLAY);
        }
        // the family: the kernel's first file without folder and extension (flash_attention, matmul, …), as profiles name it
        const f = (k as { layout: { file: string } }).layout.file.split(' ')[0].replace(/^.*\//, '').replace(/\.wgsl$/, '');
        const e = fam.get(f) ?? fam.set(f, { ms: 0, dispatches: 0 }).get(f)!;
        e.ms += ts.sort((x, y) => x - y)[1];
        e.dispatches++;
      }
      process.send!({ kernels: [...fam].map(([family, v]) => ({ family, ...v })) });
    }
    if (m.profile) {
      const t = sides.get(m.profile)!;
      const fam = new Map<string, number[]>();
      const disp = new Map<string, number>();
      for (let r = 0; r < 3; r++) {
        gpu.beginProfile();
        await t.step(stepNo++);
        const p = await gpu.endProfile();
        const sum = new Map<string, number>();
        const nd = new Map<string, number>();
        for (const e of p.entries) {
          sum.set(e.family, (sum.get(e.family) ?? 0) + e.gpuMs);
          nd.set(e.family, (nd.get(e.family) ?? 0) + e.dispatches);
        }
        for (const [f, v] of sum) (fam.get(f) ?? fam.set(f, []).get(f)!).push(v);
        for (const [f, v] of nd) disp.set(f, v);
      }
      const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
      process.send!({ families: [...fam].map(([f, v]) => ({ family: f, ms: med(v), dispatches: disp.get(f) })) });
    }
  });
  process.on('disconnect', () => process.exit(0)); // the parent is gone: no orphan keeps the cores busy
  process.send!({ ready: true });
}

function ask<T>(c: ChildProcess, msg: object, key?: string): Promise<T> {
  return new Promise((res, rej) => {
    const died = (code: number | null) => rej(new Error(`child exited with ${code}`));
    const on = (m: Record<string, unknown>) => {
      if (key && !(key in m)) return;
      c.off('message', on);
      c.off('exit', died);
      res(m as T);
    };
    c.on('message', on);
    c.once('exit', died);
    c.send(msg);
  });
}

async function parent(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const flags = process.argv.slice(2);
  for (const f of flags) if (f.startsWith('--') && f !== '--only' && f !== '--profile') throw new Error(`bench/step-fuse.ts: unknown flag ${f} (--profile, --only tiny|small)`);
  const only = flags.includes('--only') ? [flags[flags.indexOf('--only') + 1] as CaseName] : (Object.keys(CASES) as CaseName[]);
  if (!only.every((c) => c in CASES)) throw new Error(`bench/step-fuse.ts: --only takes tiny or small, got ${only[0]}`);
  if (flags.includes('--only')) args.splice(args.indexOf(only[0]), 1);
  if (args.length > 3 || !(Number(args[1] ?? 7) >= 1) || !(Number(args[2] ?? 5) >= 1)) throw new Error('bench/step-fuse.ts: usage: [REV=main] [ROUNDS=7] [STEPS=5] [--profile] [--only tiny|small]');
  const rev = args[0] ?? 'main';
  const rounds = Number(args[1] ?? 7);
  const steps = Number(args[2] ?? 5);
  const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const sha = execFileSync('git', ['rev-parse', rev], { cwd: here, encoding: 'utf8' }).trim();
  const snap = join(tmpdir(), `wgpt-step-fuse-${sha.slice(0, 12)}`);
  if (!existsSync(join(snap, 'src'))) {
    mkdirSync(snap, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C '${snap}'`], { cwd: here });
    symlinkSync(join(here, 'node_modules'), join(snap, 'node_modules'));
  }
  const self = fileURLToPath(import.meta.url);
  const roots = [snap, here];
  const names = [`A (${rev} ${sha.slice(0, 9)})`, 'B (working tree)'];
  const kids = roots.map((r) => fork(self, ['--child', r], { execArgv: ['--import', join(r, 'src/register.mjs')], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const stableMsgs: { name: string; stable: boolean; losses: number[] }[][] = [[], []];
  await Promise.all(kids.map((k, s) => new Promise<void>((res, rej) => {
    k.on('message', (m: { ready?: boolean; stable?: { name: string; stable: boolean; losses: number[] } }) => {
      if (m.stable) stableMsgs[s].push(m.stable);
      if (m.ready) res();
    });
    k.once('exit', (code) => rej(new Error(`${names[s]} exited with ${code} before it was ready`)));
  })));
  const load0 = loadavg()[0];
  console.log(`training step A/B: A = ${rev} (${sha.slice(0, 9)}), B = working tree; ${rounds} rounds × ${steps} steps, alternating; V = ${V}, AdamW; load average at start ${load0.toFixed(2)}`);
  for (const s of [0, 1]) for (const m of stableMsgs[s]) console.log(`${names[s]} ${m.name}: two models from one seed give bit-identical losses: ${m.stable}`);
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  for (const c of only) {
    const cpu: number[][] = [[], []];
    const wall: number[][] = [[], []];
    const losses: number[][] = [[], []];
    for (let r = 0; r < rounds; r++) {
      for (const s of r % 2 ? [1, 0] : [0, 1]) {
        const rep = await ask<RunReply>(kids[s], { run: c, steps }, 'cpu');
        cpu[s].push(rep.cpu);
        wall[s].push(rep.wall);
        losses[s].push(...rep.losses);
      }
    }
    const rc = cpu[0].map((v, i) => v / cpu[1][i]);
    const rw = wall[0].map((v, i) => v / wall[1][i]);
    const maxDiff = Math.max(...losses[0].map((l, i) => Math.abs(l - losses[1][i])));
    console.log(`\n${c} (B = ${CASES[c].B}, T = ${CASES[c].T}) | CPU ms / step | wall ms / step |\n|---|---:|---:|`);
    for (const s of [0, 1]) console.log(`| ${names[s]} | ${med(cpu[s]).toFixed(1)} | ${med(wall[s]).toFixed(1)} |`);
    console.log(`A ÷ B: CPU ${med(rc).toFixed(3)} (${Math.min(...rc).toFixed(2)}–${Math.max(...rc).toFixed(2)}), wall ${med(rw).toFixed(3)} (${Math.min(...rw).toFixed(2)}–${Math.max(...rw).toFixed(2)}); largest |loss A − loss B| over ${losses[0].length} steps ${maxDiff.toExponential(2)} (4 decimals: ${maxDiff < 5e-5})`);
    {
      const ks = await Promise.all([0, 1].map(async (s) => (await ask<{ kernels: { family: string; ms: number; dispatches: number }[] }>(kids[s], { kernels: c }, 'kernels')).kernels));
      const all = [...new Set([...ks[0], ...ks[1]].map((f) => f.family))];
      const get = (s: number, f: string) => ks[s].find((x) => x.family === f);
      const rows = all.map((f) => ({ f, a: get(0, f), b: get(1, f) })).sort((x, y) => (y.a?.ms ?? 0) - (x.a?.ms ?? 0));
      console.log(`\n${c}: process CPU ms per op family, each dispatch of one step replayed alone ${REPLAY}× (median of 3; load average ${loadavg()[0].toFixed(2)})\n| family | A dispatches | A CPU ms | B dispatches | B CPU ms | A ÷ B |\n|---|---:|---:|---:|---:|---:|`);
      for (const { f, a, b } of rows) console.log(`| ${f} | ${a?.dispatches ?? 0} | ${a ? a.ms.toFixed(2) : '–'} | ${b?.dispatches ?? 0} | ${b ? b.ms.toFixed(2) : '–'} | ${a && b ? (a.ms / b.ms).toFixed(2) : '–'} |`);
      const tot = (s: number) => ks[s].reduce((x, y) => x + y.ms, 0);
      const nd = (s: number) => ks[s].reduce((x, y) => x + y.dispatches, 0);
      console.log(`| **total** | ${nd(0)} | ${tot(0).toFixed(2)} | ${nd(1)} | ${tot(1).toFixed(2)} | ${(tot(0) / tot(1)).toFixed(2)} |`);
    }
    if (flags.includes('--profile')) {
      const fams = await Promise.all([0, 1].map(async (s) => (await ask<{ families: { family: string; ms: number; dispatches: number }[] }>(kids[s], { profile: c }, 'families')).families));
      const all = [...new Set([...fams[0], ...fams[1]].map((f) => f.family))];
      const get = (s: number, f: string) => fams[s].find((x) => x.family === f);
      const rows = all.map((f) => ({ f, a: get(0, f), b: get(1, f) })).sort((x, y) => (y.a?.ms ?? 0) - (x.a?.ms ?? 0));
      console.log(`\n${c}: GPU ms per op family (profiled, one pass per dispatch, median of 3 steps; load average ${loadavg()[0].toFixed(2)})\n| family | A dispatches | A ms | B dispatches | B ms |\n|---|---:|---:|---:|---:|`);
      for (const { f, a, b } of rows) console.log(`| ${f} | ${a?.dispatches ?? 0} | ${a ? a.ms.toFixed(2) : '–'} | ${b?.dispatches ?? 0} | ${b ? b.ms.toFixed(2) : '–'} |`);
      const tot = (s: number) => fams[s].reduce((x, y) => x + y.ms, 0);
      const nd = (s: number) => fams[s].reduce((x, y) => x + y.dispatches, 0);
      console.log(`| **total** | ${nd(0)} | ${tot(0).toFixed(2)} | ${nd(1)} | ${tot(1).toFixed(2)} |`);
    }
  }
  for (const k of kids) k.send({ exit: true });
  console.log(`\nload average at the end ${loadavg().map((x) => x.toFixed(2)).join(', ')}`);
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else {
  try {
    await parent();
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  process.exit(0);
}
