// Graceful stop for long runs (Node): the first SIGINT/SIGTERM asks the training loop to finish its current
// step and save; a second one quits at once. Leaves out: Windows console events other than Ctrl-C.

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
  return {
    requested: () => got,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** A path as one shell word (quoted only when it needs to be). */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
