// `wgpt` entry point: dispatches to one module per command (loaded lazily, so `wgpt tokenize`
// never initialises a GPU). Errors print one line and exit non-zero; usage errors print the usage line.
import { type Command, UsageError, parse } from './command.js';

const commands: Record<string, () => Promise<{ default: Command }>> = {
  info: () => import('./info.js'),
  tokenize: () => import('./tokenize.js'),
  batches: () => import('./batches.js'),
  'bpe-train': () => import('./bpe-train.js'),
  train: () => import('./train.js'),
  generate: () => import('./generate.js'),
  logits: () => import('./logits.js'),
  demo: () => import('./demo.js'),
  bench: () => import('./bench.js'),
  serve: () => import('./serve.js'),
  walk: () => import('./walk.js'),
};

async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = ['usage: wgpt <command> [options]', '', 'commands:'];
    for (const [n, load] of Object.entries(commands)) {
      try {
        lines.push(`  ${n.padEnd(10)} ${(await load()).default.summary}`);
      } catch {
        /* command not available in this build */
      }
    }
    console.log(lines.join('\n'));
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`wgpt: unknown command '${name}' (commands: ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  const cmd = (await load()).default;
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      console.log(`usage: ${cmd.usage}`);
      return 0;
    }
    const { values, positionals } = parse(cmd, argv.slice(1));
    const rc = await cmd.run(values as Record<string, string | boolean | string[] | undefined>, positionals);
    return rc ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`wgpt ${name}: ${e.message}\nusage: ${cmd.usage}`);
      return 2;
    }
    const msg = (e as Error)?.message ?? String(e);
    console.error(`wgpt ${name}: ${msg.split('\n')[0]}`);
    if (process.env.WGPT_DEBUG) console.error(e);
    return 1;
  }
}

const rc = await main(process.argv.slice(2));
// Let stdout drain, then exit (Dawn keeps the event loop alive otherwise).
process.stdout.write('', () => process.exit(rc));
