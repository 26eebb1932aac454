// Learning-rate schedules as Hugging Face transformers' get_scheduler builds them (a LambdaLR over the base lr):
// the lr of optimizer step k (0-based: the k-th optimizer.step()) is base·λ(k). Leaves out: polynomial,
// inverse-sqrt, cosine with restarts, reduce-on-plateau.

export type ScheduleName = 'constant' | 'linear' | 'cosine';
export const SCHEDULES: readonly ScheduleName[] = ['constant', 'linear', 'cosine'];

export interface Schedule {
  name: ScheduleName;
  /** optimizer steps of linear warmup from 0 */
  warmupSteps: number;
  /** optimizer steps in all (the decay reaches 0 there) */
  totalSteps: number;
}

/**
 * TrainingArguments.get_warmup_steps: `warmup_steps` when > 0, else ceil(total·warmup_ratio).
 * Both given (> 0) is refused by the CLI, as one of them would be ignored.
 */
export function warmupSteps(totalSteps: number, o: { warmupSteps?: number; warmupRatio?: number }): number {
  if (o.warmupSteps && o.warmupSteps > 0) return o.warmupSteps;
  return Math.ceil(totalSteps * (o.warmupRatio ?? 0));
}

/**
 * λ(step), the multiplier of the base lr at optimizer step `step` (0-based), as transformers' lambdas:
 * - constant: 1 (with warmup: get_constant_schedule_with_warmup, step/max(1, warmup) during warmup)
 * - linear: warmup, then max(0, (total − step)/max(1, total − warmup))
 * - cosine: warmup, then max(0, ½(1 + cos(π·2·0.5·progress))), progress = (step − warmup)/max(1, total − warmup)
 */
export function lrLambda(s: Schedule, step: number): number {
  const { warmupSteps: w, totalSteps: n } = s;
  if (step < w) return step / Math.max(1, w);
  switch (s.name) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (n - step) / Math.max(1, n - w));
    case 'cosine': {
      const progress = (step - w) / Math.max(1, n - w);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)));
    }
  }
}

export function checkSchedule(name: string): ScheduleName {
  if (!(SCHEDULES as readonly string[]).includes(name)) throw new Error(`--lr-schedule must be constant, linear or cosine, got '${name}'`);
  return name as ScheduleName;
}
