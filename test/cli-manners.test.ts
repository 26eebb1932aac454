// CLI manners (issue #18): negative numbers reach the range check, "did you mean" for near-miss flags and
// commands, `wgpt --version`, and `wgpt COMMAND --help` listing every flag with a description and default.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { didYouMean, editDistance, parse, num, renderHelp, type Command } from '../src/cli/command.ts';
import { runWgpt } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

// in-process (test/cli-inproc.ts); --version runs as a process, the one case where the process is the point
const wgpt = (...args: string[]) => runCli(args);

test('negative numbers are values: they get the range message, not "argument is ambiguous"', async () => {
  const cases: [string[], string][] = [
    [['train', '--data', 'x.txt', '--steps', '-5'], 'wgpt train: --steps must be ≥ 1, got -5'],
    [['generate', '--model', 'm', '--prompt', 'hi', '--temperature', '-1'], 'wgpt generate: --temperature must be ≥ 0, got -1'],
  ];
  for (const [args, first] of cases) {
    const r = await wgpt(...args);
    assert.is(r.code, 2, args.join(' '));
    assert.is(r.err.split('\n')[0], first);
    assert.match(r.err.split('\n')[1], new RegExp(`^usage: wgpt ${args[0]} `));
  }
  // the same parse, in-process: exponents and leading dots are numbers too; '-x' is still a flag
  const gen = (await import('../src/cli/generate.ts')).default as Command;
  const v = parse(gen, ['--top-p', '-.5', '--seed', '-1e3', '--prompt', '-7']).values;
  assert.equal([v['top-p'], v.seed, v.prompt], ['-.5', '-1e3', '-7']);
  assert.throws(() => num(v, 'top-p', 1, { min: 0, max: 1 }), /^--top-p must be ≥ 0, got -\.5$/);
  assert.throws(() => parse(gen, ['--prompt', '-x']), /argument is ambiguous|Unknown option/);
});

test('did you mean: near-miss flags and commands', async () => {
  const flag = await wgpt('train', '--stps', '3');
  assert.is(flag.code, 2);
  assert.is(flag.err.split('\n')[0], "wgpt train: Unknown option '--stps'; did you mean --steps?");
  const train = (await import('../src/cli/train.ts')).default as Command;
  const gen = (await import('../src/cli/generate.ts')).default as Command;
  assert.throws(() => parse(train, ['--val-frac', '0.2']), (e: Error) => e.message === "Unknown option '--val-frac'; did you mean --val-fraction?");
  assert.throws(() => parse(gen, ['--temprature', '1']), (e: Error) => e.message === "Unknown option '--temprature'; did you mean --temperature?");
  assert.throws(() => parse(train, ['--bogus']), (e: Error) => e.message === "Unknown option '--bogus'", 'no suggestion for a far miss');
  const cmd = await wgpt('trian');
  assert.is(cmd.code, 2);
  assert.match(cmd.err, /^wgpt: unknown command 'trian'; did you mean 'train'\? \(commands: info, /);
  assert.is(didYouMean('tokenise', ['tokenize', 'train']), 'tokenize');
  assert.is(editDistance('trian', 'train'), 1);
  assert.is(didYouMean('step', ['steps', 'stride']), 'steps');
  assert.is(didYouMean('zzz', ['steps', 'stride']), null);
});

test('wgpt --version prints the package version', async () => {
  const r = await runWgpt(['--version']);
  assert.is(r.code, 0);
  assert.is(r.out, `wgpt ${PKG.version} (node ${process.versions.node})\n`);
});

test('wgpt COMMAND --help lists every flag of its option table with a description (and defaults)', async () => {
  const top = await wgpt('--help');
  const names = [...top.out.matchAll(/^ {2}([a-z][\w-]*) /gm)].map((m) => m[1]);
  assert.ok(names.includes('train') && names.includes('generate'), top.out);
  // the commands written with issue #18 must describe every flag; commands added later at least list theirs
  const described = new Set(['info', 'tokenize', 'batches', 'bpe-train', 'train', 'generate', 'logits', 'demo', 'bench', 'serve', 'tokenizer-train', 'translate', 'walk']);
  for (const name of names) {
    const file = fileURLToPath(new URL(`../src/cli/${name}.ts`, import.meta.url));
    if (!existsSync(file)) continue;
    const cmd = (await import(file)).default as Command;
    const r = { out: renderHelp(name, cmd) };
    assert.ok(r.out.startsWith(`usage: ${cmd.usage}\n\n${cmd.summary}\n`), `${name}: ${r.out.slice(0, 200)}`);
    for (const flag of Object.keys(cmd.options)) {
      const line = r.out.split('\n').find((l) => new RegExp(`^ {2}--${flag}( |$)`).test(l));
      assert.ok(line, `${name} --help does not list --${flag}`);
      if (described.has(name)) assert.not.match(line!, /\(no description\)/, `${name} --${flag} has no description`);
    }
  }
  const h = await wgpt('help', 'train');
  assert.is(h.code, 0);
  const train = h.out;
  assert.match(train, /^ {2}--steps N +optimizer steps in all \(with --resume: the run's new total\) \(default: 1 epoch\)$/m);
  assert.match(train, /^ {2}--lr X +AdamW learning rate \(default: 4e-4\)$/m);
});

test.run();
