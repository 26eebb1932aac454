// Encoder–decoder generation on the host, as Hugging Face's generate() does it for Marian-style models: greedy search
// and beam search (BeamSearchScorer / BeamHypotheses: length_penalty, early_stopping), the pad token banned, EOS forced
// at max_length − 1, finished rows padded; and the course's beam search for its RNN/LSTM/GRU models (beamRule
// 'course': a beam that emits the end token is finished and keeps its slot; the search stops when every beam has
// finished, as greedy stops at the end token). The model is a step function that returns next-token logits for every
// row and reorders its own caches. Browser-safe, no GPU code here. Leaves out: sampling, diverse/constrained beams,
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
  /**
   * 'hf' (default): Hugging Face's BeamSearchScorer: a beam that emits EOS leaves the beam for the source's finished
   * hypotheses and the next-best continuation takes its place; a source is done with num_beams finished hypotheses
   * that no live beam can beat (early_stopping: as soon as it has them).
   * 'course': beams are ranked by their summed log-probability; a beam that emits EOS is finished and keeps its slot
   * and score (it is not extended); each step keeps the num_beams best of the finished beams and the num_beams best
   * continuations of each live beam; a source is done when all its beams are finished, or when no live beam can end
   * with a better score than its best finished one any more (log-probabilities only add negative terms, so a live
   * beam ends at best with sum / (max_length − 1)^length_penalty: stopping then never changes the answer);
   * early_stopping: as soon as its best-ranked beam is finished. The answer is the best finished beam by
   * sum(log p) / length^length_penalty (a live one only if none finished by max_length). With one beam: greedy.
   */
  beamRule?: 'hf' | 'course';
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

/**
 * One beam step's scores: the step's logits [rows, V], the bad ids banned (Marian's adjust_logits_during_generation
 * does it before log_softmax), log_softmax, then the processors (bad ids again, forced EOS).
 */
async function stepScores(step: Seq2SeqStep, ids: number[][], reorder: number[] | null, curLen: number, o: Seq2SeqGenerateOptions): Promise<{ scores: Float32Array; V: number }> {
  const scores = await step(ids, reorder);
  const V = scores.length / ids.length;
  for (let r = 0; r < ids.length; r++) for (const b of o.badIds ?? []) scores[r * V + b] = -Infinity;
  logSoftmax(scores, V);
  process(scores, V, curLen, o);
  return { scores, V };
}

/** Beam search over `batch` sources (num_beams ≥ 2): Hugging Face's BeamSearchScorer rules, or the course's (beamRule). */
export async function beamSearch(step: Seq2SeqStep, batch: number, o: Seq2SeqGenerateOptions): Promise<Seq2SeqResult> {
  check(o, batch);
  const nb = o.numBeams ?? 1;
  const rule = o.beamRule ?? 'hf';
  if (rule !== 'hf' && rule !== 'course') throw new Error(`generate: beam rule must be 'hf' or 'course', got '${rule}'`);
  if (rule === 'course') return courseBeamSearch(step, batch, o);
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
    const { scores, V } = await stepScores(step, ids, reorder, curLen, o);
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
  return finalize(hyps.map((h) => h.beams.reduce((a, c) => (c.score >= a.score ? c : a))), o);
}

/** The returned rows as generate() pads them: each hypothesis (without its EOS) + EOS, padded to the longest + 1. */
function finalize(best: { score: number; ids: number[] }[], o: Seq2SeqGenerateOptions): Seq2SeqResult {
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

/** beamRule 'course' (see Seq2SeqGenerateOptions.beamRule). */
async function courseBeamSearch(step: Seq2SeqStep, batch: number, o: Seq2SeqGenerateOptions): Promise<Seq2SeqResult> {
  const nb = o.numBeams ?? 1;
  const lp = o.lengthPenalty ?? 1;
  const rows = batch * nb;
  // per row: its tokens (padded once finished, so that every row has the same length), its summed log-probability,
  // and, once finished, its hypothesis without the EOS
  let ids: number[][] = Array.from({ length: rows }, () => [o.decoderStartId]);
  let sums: number[] = Array.from({ length: rows }, (_, i) => (i % nb === 0 ? 0 : -1e9));
  let ended: (number[] | null)[] = new Array(rows).fill(null);
  const done = new Array<boolean>(batch).fill(false);
  let reorder: number[] | null = null;
  for (;;) {
    const curLen = ids[0].length;
    const { scores, V } = await stepScores(step, ids, reorder, curLen, o);
    const nIds: number[][] = [];
    const nSums: number[] = [];
    const nEnded: (number[] | null)[] = [];
    const nFrom: number[] = [];
    for (let b = 0; b < batch; b++) {
      if (done[b]) {
        for (let k = 0; k < nb; k++) {
          const r = b * nb + k;
          nIds.push([...ids[r], o.padId]);
          nSums.push(sums[r]);
          nEnded.push(ended[r]);
          nFrom.push(r);
        }
        continue;
      }
      // candidates in a fixed order (beam, then token rank): finished beams as they are, the nb best tokens of each live one
      const cand: { s: number; r: number; tok: number }[] = [];
      for (let k = 0; k < nb; k++) {
        const r = b * nb + k;
        if (ended[r]) {
          cand.push({ s: sums[r], r, tok: -1 });
          continue;
        }
        const top: number[] = [];
        for (let v = 0; v < V; v++) {
          const x = scores[r * V + v];
          if (x === -Infinity) continue;
          if (top.length < nb || x > scores[r * V + top[top.length - 1]]) {
            let at = top.length;
            while (at > 0 && scores[r * V + top[at - 1]] < x) at--;
            top.splice(at, 0, v);
            if (top.length > nb) top.pop();
          }
        }
        for (const v of top) cand.push({ s: Math.fround(scores[r * V + v] + sums[r]), r, tok: v });
      }
      const kept = cand.map((c, i) => [c, i] as const).sort((x, y) => y[0].s - x[0].s || x[1] - y[1]).slice(0, nb).map((x) => x[0]);
      if (kept.length < nb) throw new Error(`beam search: fewer than ${nb} candidates (vocabulary too small for num_beams ${nb}?)`);
      for (const c of kept) {
        // a live beam's row holds only its own tokens (pads follow only once it has finished)
        const fin = c.tok === -1 ? ended[c.r] : c.tok === o.eosId ? ids[c.r].slice() : null;
        nIds.push([...ids[c.r], c.tok === -1 ? o.padId : c.tok]);
        nSums.push(c.s);
        nEnded.push(fin);
        nFrom.push(c.r);
      }
      const fins = nEnded.slice(-nb).map((e) => e !== null);
      // the best finished score, and the best any live beam could still end with (at the longest length for lp ≥ 0)
      let bestFin = -Infinity;
      let bestLive = -Infinity;
      for (let k = 0; k < nb; k++) {
        const i = nIds.length - nb + k;
        const e = nEnded[i];
        if (e) bestFin = Math.max(bestFin, nSums[i] / e.length ** lp);
        else bestLive = Math.max(bestLive, nSums[i] / (lp >= 0 ? o.maxLength - 1 : curLen + 1) ** lp);
      }
      done[b] = fins.every(Boolean) || (!!o.earlyStopping && fins[0]) || (fins.some(Boolean) && bestLive <= bestFin);
    }
    ids = nIds;
    sums = nSums;
    ended = nEnded;
    reorder = nFrom;
    if (done.every(Boolean) || ids[0].length >= o.maxLength) break;
  }
  // per source: the best finished beam by sum / length^lp (length: start token + the tokens before EOS, as Hugging
  // Face's hypotheses count it); a live one only when none finished
  const best = Array.from({ length: batch }, (_, b) => {
    const beams = Array.from({ length: nb }, (_, k) => b * nb + k);
    const pool = beams.some((r) => ended[r]) ? beams.filter((r) => ended[r]) : beams;
    let bestB: { score: number; ids: number[] } | null = null;
    for (const r of pool) {
      const h = ended[r] ?? ids[r];
      const score = sums[r] / h.length ** lp;
      if (!bestB || score > bestB.score) bestB = { score, ids: h };
    }
    return bestB!;
  });
  return finalize(best, o);
}
