// `wgpt` entry point: dispatches to one module per command (loaded lazily, so `wgpt tokenize`
// never initialises a GPU). Errors print one line and exit non-zero; usage errors print the usage line.
import { readFileSync } from 'node:fs';
import { type Command, UsageError, parse, didYouMean, renderHelp } from './command.js';

export const commands: Record<string, () => Promise<{ default: Command }>> = {
  info: () => import('./info.js'),
  tokenize: () => import('./tokenize.js'),
  batches: () => import('./batches.js'),
  'tokenizer-train': () => import('./tokenizer-train.js'),
  'bpe-train': () => import('./bpe-train.js'),
  train: () => import('./train.js'),
  merge: () => import('./merge.js'),
  classify: () => import('./classify.js'),
  embed: () => import('./embed.js'),
  generate: () => import('./generate.js'),
  logits: () => import('./logits.js'),
  'fill-mask': () => import('./fill-mask.js'),
  'demo-bert': () => import('./demo-bert.js'),
  translate: () => import('./translate.js'),
  demo: () => import('./demo.js'),
  bench: () => import('./bench.js'),
  serve: () => import('./serve.js'),
  download: () => import('./download.js'),
  walk: () => import('./walk.js'),
};

/** package.json's version (src/cli and dist/cli both sit two folders below it). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Runs one `wgpt` command line in this process and returns its exit code (tests call it in-process). */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    console.log(`wgpt ${version()} (node ${process.versions.node})`);
    return 0;
  }
  // `wgpt help COMMAND` = `wgpt COMMAND --help`
  if (argv[0] === 'help' && argv[1]) argv = [argv[1], '--help'];
  const name = argv[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = ['usage: wgpt <command> [options]', '', 'commands:'];
    for (const [n, load] of Object.entries(commands)) {
      try {
        lines.push(`  ${n.padEnd(15)} ${(await load()).default.summary}`);
      } catch {
        /* command not available in this build */
      }
    }
    console.log(lines.join('\n'));
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    const near = didYouMean(name.replace(/^-+/, ''), Object.keys(commands));
    console.error(`wgpt: unknown command '${name}'${near ? `; did you mean '${near}'?` : ''} (commands: ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  let cmd: Command;
  try {
    cmd = (await load()).default;
  } catch (e) {
    // the npm package leaves out `bench` (its suites live in the repository's bench/ folder)
    console.error(`wgpt ${name}: not available in this installation (${(e as Error).message.split('\n')[0]}); it runs from a clone of the repository`);
    return 1;
  }
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      console.log(renderHelp(name, cmd));
      return 0;
    }
    const { values, positionals } = parse(cmd, argv.slice(1));
    const rc = await cmd.run(values as Record<string, string | boolean | string[] | undefined>, positionals);
    return rc ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`wgpt ${name}: ${e.message.replace(new RegExp(`^(wgpt )?${name}: `), '')}\nusage: ${cmd.usage}`);
      return 2;
    }
    // one prefix: a message that already names the command (thrown by shared code) is not prefixed again
    const msg = ((e as Error)?.message ?? String(e)).split('\n')[0].replace(new RegExp(`^(wgpt )?${name}: `), '');
    console.error(`wgpt ${name}: ${msg}`);
    if (process.env.WGPT_DEBUG) console.error(e);
    return 1;
  }
}

/** The bins' entry: runs process.argv, lets stdout drain, then exits (Dawn keeps the event loop alive otherwise). */
export async function run(): Promise<void> {
  const rc = await main(process.argv.slice(2));
  process.stdout.write('', () => process.exit(rc));
}
