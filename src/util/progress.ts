// A one-line progress bar on a terminal (stderr), silent when stderr is not a TTY, and duration formatting: used by
// the CLI and by library code (training runner, token-file writer), so it lives outside src/cli.
// Leaves out: multi-line layouts, colour.

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const r = Math.round(s); // round once, so 119.6 s is 2m00s (not 1m60s)
  if (r < 60) return `${r}s`;
  if (r < 3600) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressBar {
  private t0 = performance.now();
  private last = 0;
  readonly enabled: boolean;
  constructor(
    private total: number,
    private start = 0,
    enabled = !!process.stderr.isTTY,
  ) {
    this.enabled = enabled;
  }
  update(done: number, fields: Record<string, string>): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const frac = Math.min(1, done / this.total);
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.t0) / 1000;
    const rate = (done - this.start) / elapsed;
    const eta = rate > 0 ? (this.total - done) / rate : NaN;
    const f = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ');
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total}  ${f}  ETA ${formatDuration(eta)}`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 120) - 1)}\x1b[K`);
  }
  done(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}
