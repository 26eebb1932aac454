// `wgpt info`: which adapter wgpt runs on, the limits and features that matter, a self-check, and the model types
// (architectures) wgpt reads.
import type { Command } from './command.js';
import { getGpu } from '../gpu/device.js';
import { selfCheck } from '../gpu/selfcheck.js';
import { ARCHITECTURES } from '../model/architectures.js';

const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const cmd: Command = {
  summary: 'show the WebGPU adapter, its limits and features, run a self-check kernel, list the model types wgpt reads',
  usage: 'wgpt info [--json]',
  options: { json: { type: 'boolean' } },
  help: {
    json: ['', 'print the report as JSON'],
  },
  async run(v) {
    const gpu = await getGpu();
    const c0 = { ...gpu.counters };
    const check = await selfCheck(gpu);
    const compile = { pipelines: gpu.counters.pipelines - c0.pipelines, ms: Math.round(gpu.counters.compileMs - c0.compileMs) };
    const limits = Object.fromEntries(LIMITS.map((k) => [k, gpu.limits[k]]));
    const models = ARCHITECTURES.map((a) => ({ model_type: a.modelType, name: a.name, summary: a.summary, presets: Object.keys(a.presets) }));
    const report = { adapter: gpu.info, features: [...gpu.features].sort(), limits, policy: gpu.policy, selfCheck: check, compile, models };
    if (v.json) console.log(JSON.stringify(report, null, 2));
    else {
      const i = gpu.info;
      console.log(`adapter      ${i.description || i.device || '(no description)'}`);
      console.log(`vendor       ${i.vendor || '?'}   architecture ${i.architecture || '?'}   device ${i.device || '?'}`);
      console.log(`kind         ${i.isCpu ? 'CPU (software) adapter' : 'GPU adapter'}${i.fellBack ? ' — fallback: no GPU adapter was found' : ''}   platform ${i.platform}`);
      console.log(`features     ${report.features.join(', ') || '(none)'}`);
      for (const [k, val] of Object.entries(limits)) console.log(`  ${k.padEnd(34)} ${val}`);
      console.log(`policy       matmul ${gpu.policy.matmul} (big's A rows shared by ${gpu.policy.bigTile === 'subgroup' ? 'quad swaps' : 'workgroup memory'}), flash attention ≤ ${gpu.policy.flash.RQ} query / ${gpu.policy.flash.RK} key rows per invocation, tiers ${gpu.policy.tiers}`);
      console.log(`self-check   ${check.ok ? 'PASS' : 'FAIL'}: y = 2.5x − 1 over ${check.n} floats, max |err| ${check.maxErr}, ${check.ms.toFixed(0)} ms`);
      console.log(`compile      ${compile.pipelines} pipeline${compile.pipelines === 1 ? '' : 's'} in ${compile.ms} ms (the self-check's; a model's first step compiles its kernels, see docs/perf.md)`);
      for (const m of models) console.log(`model_type   ${m.model_type.padEnd(18)} ${m.summary} (presets: ${m.presets.join(', ')})`);
    }
    return check.ok ? 0 : 1;
  },
};
export default cmd;
