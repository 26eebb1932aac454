// `wgpt fill-mask`: a BERT folder (Hugging Face or wgpt) fills every [MASK] of a sentence: top-k tokens with their
// probabilities and the restored sentences, as the course prints them. Leaves out: batches of sentences, targets lists.
import { type Command, UsageError, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadModel } from '../hub/node.js';
import { fillMask } from '../model/bert.js';
import { skippedLine } from '../model/model.js';
import { ADAPTER_OPTION, ADAPTER_HELP, applyAdapter } from './adapter.js';
import { MaskedLM, specialIdsOf } from '../model/encoder.js';

const cmd: Command = {
  summary: 'fill the [MASK]s (RoBERTa: <mask>) of a sentence with a masked-LM folder: top-k tokens, probabilities, restored sentences',
  usage: 'wgpt fill-mask --model DIR|NAME --text "I [MASK] to school." [--top-k 5] [--tokenizer FILE] [--json] [--adapter DIR]',
  options: { model: { type: 'string' }, text: { type: 'string' }, 'top-k': { type: 'string' }, tokenizer: { type: 'string' }, json: { type: 'boolean' }, ...ADAPTER_OPTION },
  help: {
    ...ADAPTER_HELP,
    model: ['DIR|NAME', 'masked-LM folder (BERT, RoBERTa, DistilBERT: config.json, weights, tokenizer.json or vocab.txt) or a model on the Hub (bert-base-cased, ORG/NAME[@REV]); required'],
    text: ['"…"', 'sentence with one or more [MASK] tokens; required'],
    'top-k': ['K', 'candidates per [MASK]', '5'],
    tokenizer: ['FILE', "tokenizer.json or vocab.txt instead of the folder's"],
    json: ['', 'print the results as JSON'],
  },
  async run(v) {
    if (!v.model) throw new UsageError('--model is required');
    if (v.text === undefined) throw new UsageError('--text is required');
    const topK = num(v, 'top-k', 5, { int: true, min: 1 });
    const text = v.text as string;
    const gpu = await getGpu();
    const loaded = await loadModel(gpu, v.model as string, {
      tokenizer: v.tokenizer as string | undefined,
      // checked before the tokenizer is read: a GPT folder is refused for what it is
      checkModel: (m, ck) => {
        if (!(m instanceof MaskedLM)) throw new Error(`${v.model} holds a ${ck.arch.name} model; this command needs a BERT, RoBERTa or DistilBERT masked-LM folder (…ForMaskedLM)`);
      },
    });
    const model = loaded.model as MaskedLM<unknown>;
    const { tokenizer } = loaded;
    const skipped = skippedLine(loaded.skipped);
    try {
      applyAdapter(gpu, model, v.adapter);
      const names = model.tokens;
      if (!text.includes(names.mask)) throw new Error(`the text has no ${names.mask} token to fill (write ${names.mask} where a word is missing)`);
      if (skipped) console.error(`wgpt: ${skipped}`);
      const sp = specialIdsOf(names, tokenizer.specialTokens, 'the tokenizer', model.arch.name);
      const body = tokenizer.encode(text, { allowedSpecial: [names.mask] });
      const ids = [sp.cls, ...body, sp.sep];
      if (ids.length > model.maxTokens) throw new Error(`the text is ${ids.length} tokens with ${names.cls} and ${names.sep}; the model takes at most ${model.maxTokens}`);
      const tok = tokenizer as typeof tokenizer & { idToToken?: (id: number) => string };
      const tokenOf = (id: number) => (tok.idToToken ? tok.idToToken(id) : tokenizer.decode([id]));
      const results = await fillMask(model, ids, sp.mask, topK, tokenOf);
      // a restored sentence fills this [MASK] with the candidate and every other [MASK] with its own best guess
      const best = new Map(results.map((r) => [r.position, r.candidates[0].id]));
      const restore = (pos: number, id: number) => tokenizer.decode(ids.map((x, i) => (i === pos ? id : best.get(i) ?? x)).slice(1, -1));
      if (v.json) {
        console.log(JSON.stringify(results.map((r) => ({ position: r.position, candidates: r.candidates.map((c) => ({ ...c, sequence: restore(r.position, c.id) })) })), null, 1));
        return;
      }
      results.forEach((r, k) => {
        console.log(`${names.mask} ${k + 1} of ${results.length} (token ${r.position}):`);
        for (const c of r.candidates) console.log(`  ${c.prob.toFixed(4)}  ${c.token.padEnd(12)}  ${restore(r.position, c.id)}`);
      });
    } finally {
      model.dispose();
    }
  },
};
export default cmd;
