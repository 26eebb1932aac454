// replay each dispatch of one training step REPS times; CPU ms per dispatch, grouped by kernel
const root = process.env.ROOT ?? '/work/wt/fuse';
const { getGpu } = await import(`${root}/src/gpu/device.ts`);
const { GPT } = await import(`${root}/src/model/gpt.ts`);
const { PRESETS } = await import(`${root}/src/model/config.ts`);
const { Trainer } = await import(`${root}/src/train/trainer.ts`);
const preset = process.argv[2] ?? 'small';
const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const T = preset === 'tiny' ? 32 : 64, B = 4, V = 1416;
const cfg = { ...PRESETS[preset], vocab_size: V, context_length: T, dropout: 0 };
const tr = new Trainer(GPT.init(gpu, cfg, 1), { lr: 1e-3, weightDecay: 0.1, seed: 1 });
const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
const y = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 1) % V);
for (let s = 0; s < 3; s++) await tr.step({ x, y, B, T }, s);
const log: { k: any; args: any }[] = [];
const orig = gpu.dispatch.bind(gpu);
gpu.dispatch = (k: any, args: any) => { log.push({ k, args }); orig(k, args); };
await tr.step({ x, y, B, T }, 5);
gpu.dispatch = orig;
// keep buffers alive: the pool does not destroy released buffers (reuse)
const reps = Number(process.argv[3] ?? 30);
const per = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const { k, args } of log) {
  const name = `${k.layout.file.replace(/^.*shaders\//, '').slice(0, 70)}:${k.layout.entry} ${JSON.stringify(args.workgroups)}`;
  const run = () => orig(k, args);
  run(); await gpu.sync();
  const ts: number[] = [];
  for (let r = 0; r < 3; r++) { const c0 = process.cpuUsage(); for (let i = 0; i < reps; i++) run(); await gpu.sync(); const c = process.cpuUsage(c0); ts.push((c.user + c.system) / 1000 / reps); }
  ts.sort((a, b) => a - b);
  const e = per.get(name) ?? { ms: 0, n: 0 }; e.ms += ts[1]; e.n++; per.set(name, e); total += ts[1];
}
const rows = [...per].sort((a, b) => b[1].ms - a[1].ms);
for (const [n, e] of rows) console.log(e.ms.toFixed(3).padStart(8), `×${e.n}`, n);
console.log('total CPU ms of the replayed dispatches', total.toFixed(1), 'dispatches', log.length);
process.exit(0);
