// Which parameters train, and with which weight decay, by name: Hugging Face Trainer's default decay grouping
// (no decay for biases and LayerNorm weights) and the --freeze / --train-only patterns. Host-side, browser-safe.
// Leaves out: per-group learning rates.

/**
 * A parameter is a LayerNorm's when its module (the name without the last part) is one: GPT-2's ln_1/ln_2/ln_f,
 * BERT's LayerNorm, Marian's *_layer_norm, the course's norm1/norm2/final_norm. Trainer decides by module type
 * (nn.LayerNorm); the names are how the type shows in a checkpoint.
 */
const LAYERNORM_MODULE = /(^|\.)(ln(_\w+)?|\w*layer_?norm\w*|\w*_norm|norm\d*)$/i;

/** Trainer's get_decay_parameter_names, negated: true for biases and LayerNorm parameters (weight decay 0). */
export function noDecay(name: string): boolean {
  if (/bias/i.test(name)) return true;
  const dot = name.lastIndexOf('.');
  return dot > 0 && LAYERNORM_MODULE.test(name.slice(0, dot));
}

/** Weight decay per parameter name: 'hf' = Trainer's grouping, 'all' = the course book's (every parameter). */
export function weightDecayOf(name: string, wd: number, grouping: 'hf' | 'all'): number {
  return grouping === 'all' || !noDecay(name) ? wd : 0;
}

const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/**
 * A name pattern: `*` is any run of characters; a pattern matches a parameter when it matches its whole name or a
 * module the name is inside (`h.11` matches `h.11.attn.c_attn.weight`, `h.*.ln_1` every block's ln_1 parameters).
 */
export function patternMatcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(`^${pattern.split('*').map(escape).join('.*')}(\\..*)?$`);
  return (name) => re.test(name);
}

/**
 * The frozen predicate of --freeze P… (these frozen) or --train-only P… (everything else frozen). Every pattern must
 * match at least one parameter (a pattern matching nothing is a typo, named in one line).
 */
export function freezePredicate(names: readonly string[], o: { freeze?: readonly string[]; trainOnly?: readonly string[] }): ((name: string) => boolean) | null {
  if (o.freeze?.length && o.trainOnly?.length) throw new Error('give --freeze or --train-only, not both');
  const flag = o.freeze?.length ? '--freeze' : '--train-only';
  const patterns = o.freeze?.length ? o.freeze : o.trainOnly;
  if (!patterns?.length) return null;
  const ms = patterns.map((p) => {
    const m = patternMatcher(p);
    if (!names.some(m)) throw new Error(`${flag} ${p} matches no parameter (names look like ${names.slice(0, 3).join(', ')})`);
    return m;
  });
  const hit = (n: string) => ms.some((m) => m(n));
  const pred = o.freeze?.length ? hit : (n: string) => !hit(n);
  if (names.every(pred)) throw new Error(`${flag} ${patterns.join(',')} leaves no parameter to train`);
  return pred;
}
