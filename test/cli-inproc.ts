// Runs `wgpt …` command lines inside the test process (src/cli/main.ts's main), capturing what they print: for CLI
// cases where the process boundary is not what is tested, so they share one process, one device and its compiled
// pipelines instead of paying node + Dawn + SwiftShader start-up per case. Leaves out: signals, exit codes of
// process.exit (commands return their code). Output is captured and, as for a spawned CLI with pipes, not a TTY.
import { main } from '../src/cli/main.ts';

let queue: Promise<unknown> = Promise.resolve();

/** One command line (in `cwd` when given: the process changes directory for the run); runs are serialised (they share the console). */
export function runCli(argv: string[], cwd?: string): Promise<{ code: number; out: string; err: string }> {
  const job = queue.then(async () => {
    const dir = process.cwd();
    if (cwd) process.chdir(cwd);
    let out = '';
    let err = '';
    const w = { out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error, warn: console.warn };
    const cap = (add: (s: string) => void) => ((chunk: unknown, ...rest: unknown[]) => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
    // as the spawned CLI in tests runs: no adapter status line
    const quiet = process.env.WGPT_QUIET;
    process.env.WGPT_QUIET = '1';
    // and, as for a spawned CLI with piped output, no terminal (no progress bar)
    const tty = [process.stdout.isTTY, process.stderr.isTTY];
    process.stdout.isTTY = process.stderr.isTTY = false;
    process.stdout.write = cap((s) => (out += s));
    process.stderr.write = cap((s) => (err += s));
    console.log = (...a: unknown[]) => void (out += a.map(String).join(' ') + '\n');
    console.error = console.warn = (...a: unknown[]) => void (err += a.map(String).join(' ') + '\n');
    try {
      const code = await main(argv);
      return { code, out, err };
    } finally {
      if (cwd) process.chdir(dir);
      [process.stdout.isTTY, process.stderr.isTTY] = tty;
      if (quiet === undefined) delete process.env.WGPT_QUIET;
      else process.env.WGPT_QUIET = quiet;
      process.stdout.write = w.out;
      process.stderr.write = w.err;
      console.log = w.log;
      console.error = w.error;
      console.warn = w.warn;
    }
  });
  queue = job.catch(() => undefined);
  return job;
}
