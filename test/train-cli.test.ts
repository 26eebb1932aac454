// Training never loses work (issue #18): Ctrl-C during `wgpt train` finishes the step, saves a checkpoint and
// prints the exact resume command; resuming a finished run says so and how to train further; an existing
// checkpoint folder is never replaced without --overwrite; `wgpt demo` picks a free folder. The signal cases spawn
// the CLI (the process is the point); the rest run it in-process (test/cli-inproc.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { runWgpt, type WgptRun } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const VERDICT = fileURLToPath(new URL('../src/data/the-verdict.txt', import.meta.url));
const FAST = ['--data', VERDICT, '--tokenizer', 'simple-v2', '--preset', 'tiny', '--context', '16', '--batch', '2', '--val-fraction', '0'];

type Run = WgptRun;
/** Runs the CLI; `onOut(text, child)` sees stdout as it arrives. */
const wgpt = (args: string[], cwd?: string, onOut?: (out: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Run> => runWgpt(args, { cwd, onOut });
/** In-process: no signals needed. */
const inproc = (args: string[], cwd?: string) => runCli(args, cwd);

const stepOf = (dir: string) => (JSON.parse(readFileSync(join(dir, 'training_state.json'), 'utf8')) as { step: number }).step;

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`${sig} during wgpt train: the step finishes, a checkpoint is saved, the exact resume command is printed and works`, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'wgpt-sig-'));
    try {
      const dir = join(tmp, 'run');
      let sent = false;
      const r = await wgpt(['train', ...FAST, '--steps', '500', '--out', dir], undefined, (out, kill) => {
        if (!sent && /^step 1\/500 /m.test(out)) {
          sent = true;
          kill(sig);
        }
      });
      assert.ok(sent, `no step line: ${r.out} ${r.err}`);
      assert.is(r.code, 130, `exit code ${r.code}: ${r.err}`);
      assert.match(r.err, new RegExp(`^wgpt: ${sig}: finishing the current step, then saving a checkpoint \\(${sig === 'SIGINT' ? 'Ctrl-C' : sig} again quits without saving\\)$`, 'm'));
      const m = /^wgpt: (SIG\w+) at step (\d+)\/500: checkpoint saved to (.+)$/m.exec(r.out);
      assert.ok(m, `no checkpoint line in: ${r.out}`);
      assert.is(m![1], sig);
      assert.is(m![3], dir);
      const at = Number(m![2]);
      assert.is(stepOf(dir), at);
      const cmdLine = /^wgpt: resume with: (.+)$/m.exec(r.out)?.[1];
      assert.is(cmdLine, `wgpt train --resume ${dir}`);
      console.log(`  ${sig} after "step 1/500": saved at step ${at}; resume with: ${cmdLine}`);
      // the printed command, run as printed (plus a short --steps so the test stays quick)
      const argv = cmdLine!.split(' ').slice(1);
      const res = await inproc([...argv, '--steps', String(at + 2)]);
      assert.is(res.code, 0, res.err);
      assert.match(res.out, new RegExp(`resuming at step ${at} of ${at + 2} steps`));
      assert.is(stepOf(dir), at + 2);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('under npx: the launcher killed without passing the signal on (as npm exec does), the run still stops, saves and can resume', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-npx-'));
  try {
    const dir = join(tmp, 'run');
    // a stand-in for npm's launcher: spawns the CLI with npm's environment, sharing its output streams
    const launcher = `const c = require('node:child_process').spawn(process.execPath, ${JSON.stringify([fileURLToPath(new URL('../src/cli/wgpt.js', import.meta.url)), 'train', ...FAST, '--steps', '500', '--out', dir])}, { stdio: 'inherit', env: { ...process.env, npm_command: 'exec', WGPT_QUIET: '1' } }); setInterval(() => {}, 1000);`;
    const r = await new Promise<{ out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, ['-e', launcher]);
      let out = '', err = '', killed = false;
      p.stdout.on('data', (d) => {
        out += d;
        if (!killed && /^step 1\/500 /m.test(out)) {
          killed = true;
          p.kill('SIGKILL'); // npm exec ends on SIGTERM without telling its child; SIGKILL is the same for the child
        }
      });
      p.stderr.on('data', (d) => (err += d));
      p.on('close', () => resolve({ out, err })); // the streams close when the orphaned CLI exits
    });
    assert.match(r.err, /^wgpt: the npm launcher \(npx, pid \d+\) exited: finishing the current step, then saving a checkpoint$/m);
    const m = /^wgpt: SIGTERM at step (\d+)\/500: checkpoint saved to (.+)$/m.exec(r.out);
    assert.ok(m, `no checkpoint line in: ${r.out} ${r.err}`);
    assert.is(stepOf(dir), Number(m![1]));
    console.log(`  launcher killed after "step 1/500": the CLI saved at step ${m![1]} and exited`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('--resume of a finished run says it is finished and how to train further; --steps continues it', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-fin-'));
  try {
    const dir = join(tmp, 'run');
    assert.is((await inproc(['train', ...FAST, '--steps', '3', '--out', dir])).code, 0);
    const r = await inproc(['train', '--resume', dir]);
    assert.is(r.code, 1);
    assert.is(r.err, `wgpt train: the run in ${dir} is finished (3 of 3 steps done); to train 3 more: wgpt train --resume ${dir} --steps 6 (--steps is the run's new total)\n`);
    assert.not.match(r.out, /NaN/);
    const more = await inproc(['train', '--resume', dir, '--steps', '4']);
    assert.is(more.code, 0, more.err);
    assert.match(more.out, /resuming at step 3 of 4 steps/);
    assert.is(stepOf(dir), 4);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('an existing checkpoint folder is never replaced by another run without --overwrite', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-ow-'));
  try {
    const dir = join(tmp, 'run');
    assert.is((await inproc(['train', ...FAST, '--steps', '2', '--out', dir])).code, 0);
    const r = await inproc(['train', ...FAST, '--steps', '1', '--seed', '7', '--out', dir]);
    assert.is(r.code, 1);
    assert.is(r.err, `wgpt train: ${dir} already holds a checkpoint of another run; give --overwrite to replace it, another --out folder, or --resume ${dir} to continue it\n`);
    assert.is(stepOf(dir), 2, 'the old checkpoint is untouched');
    const ow = await inproc(['train', ...FAST, '--steps', '1', '--seed', '7', '--out', dir, '--overwrite']);
    assert.is(ow.code, 0, ow.err);
    assert.is(stepOf(dir), 1);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('wgpt demo never replaces runs/demo: it picks runs/demo-2 and says so; --out of a busy folder needs --overwrite', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-demo-'));
  try {
    const a = await inproc(['demo', '--steps', '1'], tmp);
    assert.is(a.code, 0, a.err);
    assert.ok(existsSync(join(tmp, 'runs/demo/model.safetensors')));
    // the time budget (npm start stays under 3 minutes on any machine): training stops, the run is saved, generation follows
    const b = await inproc(['demo', '--steps', '50', '--time-budget', '0.001'], tmp);
    assert.is(b.code, 0, b.err);
    assert.match(b.out, /^wgpt: runs\/demo holds an earlier run; this one goes to runs\/demo-2 \(--out DIR --overwrite reuses a folder\)$/m);
    assert.ok(b.out.includes(`\nwgpt: the 0.001 s time budget ran out at step 1/50: checkpoint saved to ${join(tmp, 'runs/demo-2')}\n`), b.out);
    assert.match(b.out, /\n\nEvery effort moves you.+\n\nnext: npx wgpt generate --model .*runs\/demo-2 --prompt "Every effort moves you"\n$/s);
    assert.ok(existsSync(join(tmp, 'runs/demo-2/model.safetensors')));
    const c = await inproc(['demo', '--steps', '1', '--out', 'runs/demo'], tmp);
    assert.is(c.code, 1);
    assert.is(c.err, `wgpt demo: ${join(tmp, 'runs/demo')} already holds files; give --overwrite to replace it, or another --out folder\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
