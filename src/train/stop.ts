// Graceful stop for long runs (Node): the first SIGINT/SIGTERM asks the training loop to finish its current
// step and save; a second one quits at once. Under `npx wgpt …` the signal usually goes to npm's launcher, which
// dies without passing it on (npm 11: `npm exec` → `sh -c` → node): so when npm launched this process and its
// parent goes away (the ppid changes), that is a stop request too. Leaves out: Windows console events other than Ctrl-C.

export interface StopRequest {
  /** the signal received, or null while none has been */
  requested(): NodeJS.Signals | null;
  /** removes the handlers (the default behaviour of the signals comes back) */
  dispose(): void;
}

/** Installs the handlers; `say` prints the one-line notice (stderr by default). */
export function catchStopSignals(say: (line: string) => void = (l) => process.stderr.write(l + '\n')): StopRequest {
  let got: NodeJS.Signals | null = null;
  const handler = (sig: NodeJS.Signals) => {
    if (got) {
      say(`wgpt: ${sig} again: quitting without saving`);
      process.exit(130);
    }
    got = sig;
    say(`wgpt: ${sig}: finishing the current step, then saving a checkpoint (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again quits without saving)`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  // npx / npm exec: a SIGTERM sent to the launcher ends it and orphans this process; notice that within a second
  let watch: ReturnType<typeof setInterval> | null = null;
  if (launchedByNpm()) {
    const parent = process.ppid;
    watch = setInterval(() => {
      if (process.ppid !== parent && !got) {
        got = 'SIGTERM';
        say(`wgpt: the npm launcher (npx, pid ${parent}) exited: finishing the current step, then saving a checkpoint`);
      }
    }, 1000);
    watch.unref();
  }
  return {
    requested: () => got,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      if (watch) clearInterval(watch);
    },
  };
}

/** Whether npm's launcher started this process (`npx wgpt …`, `npm exec`, an npm script): npm sets npm_command. */
export function launchedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_command === 'exec' || env.npm_command === 'run-script' || env.npm_command === 'run';
}

/** A path as one shell word (quoted only when it needs to be). */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
