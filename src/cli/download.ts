// `wgpt download`: fetch a model from the Hub into the Hugging Face cache ahead of time (for offline use later) and
// print its snapshot folder; `--list` shows what the cache holds. Leaves out: deleting from the cache (huggingface-cli
// delete-cache does it on the same layout), datasets.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, UsageError } from './command.js';
import { downloadModel } from '../hub/download.js';
import { hubCacheDir } from '../hub/cache.js';
import { parseModelRef, repoIdProblem } from '../hub/ref.js';

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

/** The models of the cache: repo, refs (name → commit), blob bytes, snapshot count. */
function listCache(root: string): string[] {
  if (!existsSync(root)) return [`(no cache at ${root})`];
  const lines: string[] = [];
  for (const d of readdirSync(root).filter((n) => n.startsWith('models--')).sort()) {
    const repo = d.slice('models--'.length).split('--').join('/');
    const dir = join(root, d);
    let bytes = 0;
    try {
      for (const b of readdirSync(join(dir, 'blobs'))) if (!b.endsWith('.incomplete')) bytes += statSync(join(dir, 'blobs', b)).size;
    } catch {
      /* no blobs yet */
    }
    const refs: string[] = [];
    const walk = (p: string, prefix: string) => {
      if (!existsSync(p)) return;
      for (const n of readdirSync(p)) {
        const q = join(p, n);
        if (statSync(q).isDirectory()) walk(q, `${prefix}${n}/`);
        else refs.push(`${prefix}${n}=${readFileSync(q, 'utf8').trim().slice(0, 10)}`);
      }
    };
    walk(join(dir, 'refs'), '');
    const snaps = existsSync(join(dir, 'snapshots')) ? readdirSync(join(dir, 'snapshots')).length : 0;
    lines.push(`${repo.padEnd(40)} ${mb(bytes).padStart(10)}  ${snaps} snapshot${snaps === 1 ? '' : 's'}  ${refs.join(' ')}`);
  }
  return lines.length ? lines : [`(no models in ${root})`];
}

const cmd: Command = {
  summary: 'fetch a model from the Hugging Face Hub into its cache (for offline use); --list shows the cache',
  usage: 'wgpt download ORG/NAME[@REVISION] [--no-weights] | wgpt download --list',
  options: { 'no-weights': { type: 'boolean' }, list: { type: 'boolean' } },
  help: {
    'no-weights': ['', 'config and tokenizer files only'],
    list: ['', 'list the models in the cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub)'],
  },
  positionals: true,
  async run(v, pos) {
    if (v.list) {
      if (pos.length || v['no-weights']) throw new UsageError('--list takes no model name and no other flag');
      for (const l of listCache(hubCacheDir())) console.log(l);
      return;
    }
    if (pos.length !== 1) throw new UsageError(pos.length ? `one model name, got ${pos.length}: ${pos.join(' ')}` : 'give a model name (ORG/NAME[@REVISION])');
    const ref = parseModelRef(pos[0]);
    if (!ref) throw new UsageError(`'${pos[0]}' is not a model name: ${repoIdProblem(pos[0].split('@')[0]) ?? 'a revision after @ cannot be empty, hold spaces or ".."'}`);
    console.log(await downloadModel(ref, { weights: !v['no-weights'] }));
  },
};
export default cmd;
