// The page's "Walk the course" view: the stages of `wgpt walk` (src/walk/stages.ts, the same code and numbers)
// one at a time with previous/next, each with its printed lines and its figures (inline SVG). A stage is
// computed when first shown, through the page's GPU task queue. Leaves out: --json export, PNG download.
import type { Gpu } from '../gpu/device.js';
import { Walker, STAGE_NAMES, NOT_YET, stageText, type Stage } from '../walk/stages.js';

export interface WalkViewOptions {
  gpu: Gpu;
  /** the-verdict.txt */
  verdict: string;
  /** runs GPU work one task at a time (the page's queue) */
  gpuTask: <T>(fn: () => Promise<T>) => Promise<T>;
}

const esc = (s: string) => s.replace(/[<&>]/g, (c) => ({ '<': '&lt;', '&': '&amp;', '>': '&gt;' })[c]!);

/** Fills `root` with the Walk view; returns a handle the tests use to step through it. */
export function mountWalk(root: HTMLElement, o: WalkViewOptions): { show(i: number): Promise<Stage>; walker: Walker } {
  root.innerHTML = `
    <h2>Walk the course</h2>
    <p class="note">The course's path on this page's GPU, stage by stage — the same code and numbers as <code>wgpt walk</code>.
      Seeded weights follow <code>torch.manual_seed(123)</code>, so the values are PyTorch's.</p>
    <div class="row">
      <button id="walk-prev" class="secondary">◀ previous</button>
      <select id="walk-pick"></select>
      <button id="walk-next">next ▶</button>
      <span class="stat" id="walk-stat"></span>
    </div>
    <pre id="walk-out" style="white-space: pre-wrap; font: 12.5px/1.4 ui-monospace, monospace; background: #fafbfc; border: 1px solid #e3e6eb; border-radius: 6px; padding: 8px; max-height: 520px; overflow: auto"></pre>
    <div id="walk-figs" style="display: flex; flex-wrap: wrap; gap: 12px"></div>
    ${NOT_YET.length ? `<p class="note">Not in the walk yet: ${NOT_YET.map((s) => esc(s.what)).join('; ')}.</p>` : ''}`;
  const $ = <T extends HTMLElement>(id: string) => root.querySelector<T>('#' + id)!;
  const pick = $<HTMLSelectElement>('walk-pick');
  STAGE_NAMES.forEach((n, i) => pick.add(new Option(`${i + 1}. ${n}`, String(i))));
  const walker = new Walker(o.gpu, { verdict: o.verdict });
  let current = 0;
  let latest = 0; // only the most recent request renders (requests queue behind the page's GPU tasks)

  async function show(i: number): Promise<Stage> {
    const me = ++latest;
    current = Math.max(0, Math.min(STAGE_NAMES.length - 1, i));
    const idx = current;
    pick.value = String(current);
    $<HTMLButtonElement>('walk-prev').disabled = current === 0;
    $<HTMLButtonElement>('walk-next').disabled = current === STAGE_NAMES.length - 1;
    $('walk-stat').textContent = `computing ${STAGE_NAMES[idx]}…`;
    try {
      const s = await o.gpuTask(() => walker.stage(STAGE_NAMES[idx]));
      if (me !== latest) return s;
      $('walk-out').textContent = stageText(s, idx);
      $('walk-figs').innerHTML = s.figures.map((f) => `<figure style="margin:0; max-width:100%; overflow-x:auto">${f.svg}<figcaption class="stat">${esc(f.title)}</figcaption></figure>`).join('');
      $('walk-stat').textContent = `${s.seconds?.toFixed(2)} s`;
      return s;
    } catch (e) {
      if (me === latest) $('walk-stat').textContent = `error: ${(e as Error).message}`;
      throw e;
    }
  }
  const go = (i: number) => void show(i).catch(() => {});
  $('walk-prev').addEventListener('click', () => go(current - 1));
  $('walk-next').addEventListener('click', () => go(current + 1));
  pick.addEventListener('change', () => go(Number(pick.value)));
  go(0);
  return { show, walker };
}
