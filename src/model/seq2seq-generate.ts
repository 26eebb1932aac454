// Encoder–decoder generation on the host, as Hugging Face's generate() does it for Marian-style models: greedy search
// and beam search (BeamSearchScorer / BeamHypotheses: length_penalty, early_stopping), the pad token banned, EOS forced
// at max_length − 1, finished rows padded. The model is a step function that returns next-token logits for every row
// and reorders its own caches. Browser-safe, no GPU code here. Leaves out: sampling, diverse/constrained beams,
// repetition penalties, min_length.

export interface Seq2SeqStep {
  /**
   * Next-token logits [rows × V] (row-major) for the last token of every row of `ids` (each row: the decoder start
   * token and the tokens chosen so far). `reorder`, when given, says which previous row each row continues
   * (beam search): a cached model permutes its caches by it before reading the new tokens.
   */
  (ids: readonly (readonly number[])[], reorder: readonly number[] | null): Promise<Float32Array>;
}

export interface Seq2SeqGenerateOptions {
  decoderStartId: number;
  eosId: number;
  padId: number;
  /** total length including the start token (Hugging Face's max_length) */
  maxLength: number;
  numBeams?: number;
  lengthPenalty?: number;
  earlyStopping?: boolean;
  /** ids whose logits are always −inf (Marian: [pad]) */
  badIds?: readonly number[];
  /** force EOS at max_length − 1 (Hugging Face's ForcedEOS; default true); false: the course's loop, cut at the cap */
  forcedEos?: boolean;
}

export interface Seq2SeqResult {
  /** one row per source, beginning with the start token, padded with pad (as generate returns) */
  sequences: number[][];
  /** beam search: the length-normalised score of each returned sequence */
  scores?: number[];
}

function check(o: Seq2SeqGenerateOptions, batch: number): void {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`generate: the batch must hold at least one source, got ${batch}`);
  if (!Number.isInteger(o.maxLength) || o.maxLength < 2) throw new Error(`generate: max_length must be an integer ≥ 2 (start token + one), got ${o.maxLength}`);
  const nb = o.numBeams ?? 1;
  if (!Number.isInteger(nb) || nb < 1) throw new Error(`generate: num_beams must be an integer ≥ 1, got ${nb}`);
}

/** Bans the bad ids and forces EOS at max_length − 1 (NoBadWords + ForcedEOS processors), in place on rows × V. */
function process(scores: Float32Array, V: number, curLen: number, o: Seq2SeqGenerateOptions): void {
  const rows = scores.length / V;
  for (let r = 0; r < rows; r++) {
    const row = scores.subarray(r * V, (r + 1) * V);
    for (const b of o.badIds ?? []) row[b] = -Infinity;
    if (curLen === o.maxLength - 1 && o.forcedEos !== false) {
      row.fill(-Infinity);
      row[o.eosId] = 0;
    }
  }
}

/** Greedy decoding of `batch` sources. */
export async function greedySearch(step: Seq2SeqStep, batch: number, o: Seq2SeqGenerateOptions): Promise<Seq2SeqResult> {
  check(o, batch);
  const ids: number[][] = Array.from({ length: batch }, () => [o.decoderStartId]);
  const open = new Array<boolean>(batch).fill(true);
  for (;;) {
    const logits = await step(ids, null);
    const V = logits.length / batch;
    process(logits, V, ids[0].length, o);
    for (let b = 0; b < batch; b++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[b * V + v] > logits[b * V + best]) best = v;
      const tok = open[b] ? best : o.padId;
      ids[b].push(tok);
      if (tok === o.eosId) open[b] = false;
    }
    if (!open.some(Boolean) || ids[0].length >= o.maxLength) return { sequences: ids };
  }
}

class Hypotheses {
  beams: { score: number; ids: number[] }[] = [];
  worst = 1e9;
  constructor(
    readonly n: number,
    readonly lp: number,
    readonly early: boolean,
  ) {}
  add(ids: number[], sumLogprobs: number): void {
    const score = sumLogprobs / ids.length ** this.lp;
    if (this.beams.length < this.n || score > this.worst) {
      this.beams.push({ score, ids });
      if (this.beams.length > this.n) {
        const order = this.beams.map((b, i) => [b.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(order[0][1], 1);
        this.worst = order[1][0];
      } else this.worst = Math.min(score, this.worst);
    }
  }
  done(bestSum: number, curLen: number): boolean {
    if (this.beams.length < this.n) return false;
    if (this.early) return true;
    return this.worst >= bestSum / curLen ** this.lp;
  }
}

/** log_softmax of each row of rows × V, in place (float64 accumulation, float32 results like torch). */
function logSoftmax(x: Float32Array, V: number): void {
  for (let r = 0; r < x.length / V; r++) {
    const row = x.subarray(r * V, (r + 1) * V);
    let m = -Infinity;
    for (const v of row) if (v > m) m = v;
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    const lse = m + Math.log(s);
    for (let i = 0; i < V; i++) row[i] = row[i] - lse;
  }
}

/** Beam search over `batch` sources (num_beams ≥ 2), Hugging Face's BeamSearchScorer rules. */
export async function beamSearch(step: Seq2SeqStep, batch: number, o: Seq2SeqGenerateOptions): Promise<Seq2SeqResult> {
  check(o, batch);
  const nb = o.numBeams ?? 1;
  if (nb < 2) return greedySearch(step, batch, o);
  const lp = o.lengthPenalty ?? 1;
  const rows = batch * nb;
  let ids: number[][] = Array.from({ length: rows }, () => [o.decoderStartId]);
  let beamScores: number[] = Array.from({ length: rows }, (_, i) => (i % nb === 0 ? 0 : -1e9));
  const hyps = Array.from({ length: batch }, () => new Hypotheses(nb, lp, o.earlyStopping ?? false));
  const done = new Array<boolean>(batch).fill(false);
  let reorder: number[] | null = null;
  for (;;) {
    const curLen = ids[0].length;
    const scores = await step(ids, reorder);
    const V = scores.length / rows;
    // Marian's adjust_logits_during_generation bans the bad ids before log_softmax; the processors run after it
    for (let r = 0; r < rows; r++) for (const b of o.badIds ?? []) scores[r * V + b] = -Infinity;
    logSoftmax(scores, V);
    process(scores, V, curLen, o);
    const nextIds: number[][] = [];
    const nextScores: number[] = [];
    const nextFrom: number[] = [];
    for (let b = 0; b < batch; b++) {
      if (done[b]) {
        for (let k = 0; k < nb; k++) {
          nextIds.push([...ids[b * nb], o.padId]);
          nextScores.push(0);
          nextFrom.push(b * nb);
        }
        continue;
      }
      // top 2·num_beams of (beam score + token log-prob) over this source's beams × vocabulary, sorted
      const cand: { s: number; beam: number; tok: number }[] = [];
      for (let k = 0; k < nb; k++) {
        const r = b * nb + k;
        for (let v = 0; v < V; v++) {
          const s = Math.fround(scores[r * V + v] + beamScores[r]);
          if (cand.length < 2 * nb || s > cand[cand.length - 1].s) {
            let at = cand.length;
            while (at > 0 && cand[at - 1].s < s) at--;
            cand.splice(at, 0, { s, beam: k, tok: v });
            if (cand.length > 2 * nb) cand.pop();
          }
        }
      }
      let k = 0;
      for (let rank = 0; rank < cand.length && k < nb; rank++) {
        const c = cand[rank];
        const r = b * nb + c.beam;
        if (c.tok === o.eosId) {
          if (rank >= nb) continue;
          hyps[b].add(ids[r].slice(), c.s);
        } else {
          nextIds.push([...ids[r], c.tok]);
          nextScores.push(c.s);
          nextFrom.push(r);
          k++;
        }
      }
      if (k < nb) throw new Error(`beam search: fewer than ${nb} live candidates (vocabulary too small for num_beams ${nb}?)`);
      done[b] = done[b] || hyps[b].done(cand[0].s, curLen);
    }
    ids = nextIds;
    beamScores = nextScores;
    reorder = nextFrom;
    if (done.every(Boolean) || ids[0].length >= o.maxLength) break;
  }
  for (let b = 0; b < batch; b++) {
    if (done[b]) continue;
    for (let k = 0; k < nb; k++) hyps[b].add(ids[b * nb + k], beamScores[b * nb + k]);
  }
  // the best of each source: sorted by score, the last one (on a tie, the one added later), as finalize() pops it
  const best = hyps.map((h) => h.beams.reduce((a, c) => (c.score >= a.score ? c : a)));
  const lens = best.map((h) => h.ids.length);
  const width = Math.min(Math.max(...lens) + 1, o.maxLength);
  const fill = Math.min(...lens) !== Math.max(...lens) ? o.padId : 0;
  const sequences = best.map((h) => {
    const row = new Array<number>(width).fill(fill);
    h.ids.forEach((t, i) => (row[i] = t));
    if (h.ids.length < width) row[h.ids.length] = o.eosId;
    return row;
  });
  return { sequences, scores: best.map((h) => h.score) };
}
