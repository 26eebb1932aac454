// RoBERTa (model_type "roberta": RobertaForMaskedLM, RobertaForSequenceClassification) on the shared encoder: BERT's
// config keys and layers under `roberta.`, positions counted from padding_idx + 1 over non-pad tokens, one token type,
// lm_head.{dense,layer_norm,bias} (decoder tied to the word embeddings), classifier.{dense,out_proj} on <s>.
// Leaves out: the byte-level BPE tokenizer's RobertaProcessing (any tokenizer.json with <s> </s> <pad> <mask> trains it).
import type { HFMapping } from './model.js';
import { type BertConfig, BERT_PRESETS, BERT_SCHEMA, bertConfigFromHF, bertConfigToHF, validateBertConfig, bertShapedSpec } from './bert-config.js';
import { type EncoderSpec, encoderArchitectures, ROBERTA_TOKENS } from './encoder.js';
import { wantsClassifier, numLabelsOf, labelsOf } from './heads.js';

/** RobertaConfig = BertConfig's keys (roberta-base: pad 1, 514 positions, type vocab 1, eps 1e-5). */
export type RobertaConfig = BertConfig;

const ROBERTA_DEFAULTS: Partial<BertConfig> = { pad_token_id: 1, type_vocab_size: 1, layer_norm_eps: 1e-5, max_position_embeddings: 514 };

function validate(c: RobertaConfig, where = 'config'): RobertaConfig {
  validateBertConfig(c, where);
  if (c.max_position_embeddings < c.pad_token_id + 2) throw new Error(`${where}: max_position_embeddings ${c.max_position_embeddings} leaves no position after padding_idx ${c.pad_token_id} + 1`);
  return c;
}

export function robertaSpec(c: RobertaConfig): EncoderSpec {
  return bertShapedSpec(c, {
    owner: 'RoBERTa',
    prefix: 'roberta.',
    positions: 'padded',
    tokens: ROBERTA_TOKENS,
    head: wantsClassifier(c)
      ? { kind: 'cls', dense: 'classifier.dense', denseAct: 'tanh', out: 'classifier.out_proj', dropBeforeDense: true, p: c.classifier_dropout ?? c.hidden_dropout_prob, numLabels: numLabelsOf(c), labels: labelsOf(c), problemType: c.problem_type }
      // RobertaLMHead applies the erf GELU whatever hidden_act says
      : { kind: 'mlm', dense: 'lm_head.dense', norm: 'lm_head.layer_norm', bias: 'lm_head.bias', act: 'gelu' },
  });
}

const robertaHF: HFMapping<RobertaConfig> = {
  prefixes: [],
  aliases: [[/^(embeddings|encoder|pooler)\./, 'roberta.$1.']],
  skip(name, c) {
    if (/^roberta\.embeddings\.(position_ids|token_type_ids)$/.test(name)) return 'buffers';
    if (name === 'lm_head.decoder.weight') return 'decoder tied to the word embeddings';
    if (name === 'lm_head.decoder.bias') return 'the same Parameter as lm_head.bias';
    if (/^roberta\.pooler\./.test(name)) return `pooler (${wantsClassifier(c) ? 'RobertaForSequenceClassification' : 'RobertaForMaskedLM'} has none)`;
    if (wantsClassifier(c) && /^lm_head\./.test(name)) return 'masked-LM head (RobertaForSequenceClassification has none)';
    if (!wantsClassifier(c) && /^classifier\./.test(name)) return 'classification head (RobertaForMaskedLM has none)';
    return null;
  },
  unexpectedHint: (name) => (/^roberta\.encoder\.layer\.\d+\./.test(name) ? 'a layer beyond num_hidden_layers in config.json' : ''),
  transposedHint: "RoBERTa's Linear weights are torch's [out, in]",
};

export const ROBERTA_PRESETS: Record<string, RobertaConfig> = Object.fromEntries(
  Object.entries(BERT_PRESETS).map(([k, v]) => [k, { ...v, ...ROBERTA_DEFAULTS, vocab_size: 50265, max_position_embeddings: v.max_position_embeddings + 2 }]),
);

const family = encoderArchitectures<RobertaConfig>({
  modelType: 'roberta',
  name: 'roberta',
  loraTargets: ['query', 'value'],
  mlmClass: 'RobertaForMaskedLM',
  clsClass: 'RobertaForSequenceClassification',
  summary: 'RoBERTa encoder (Hugging Face RobertaForMaskedLM / RobertaForSequenceClassification)',
  presets: ROBERTA_PRESETS,
  defaultPreset: 'tiny',
  tokens: ROBERTA_TOKENS,
  validate: (c) => validate(c),
  fromHF: (j, where) => validate(bertConfigFromHF(j, where, 'roberta', ROBERTA_DEFAULTS), where),
  toHF: (c) => bertConfigToHF(validate(c), 'roberta', 'RobertaForMaskedLM'),
  spec: robertaSpec,
  hf: robertaHF,
  fresh(o) {
    const name = o.preset ?? 'tiny';
    const preset = ROBERTA_PRESETS[name];
    if (!preset) throw new Error(`unknown RoBERTa preset '${name}' (presets: ${Object.keys(ROBERTA_PRESETS).join(', ')})`);
    const pad = o.specialTokens?.['<pad>'] ?? preset.pad_token_id;
    const c: RobertaConfig = { ...preset, vocab_size: o.vocabSize, pad_token_id: pad };
    // --context counts tokens; the table holds padding_idx + 1 more rows
    if (o.context !== undefined) c.max_position_embeddings = o.context + pad + 1;
    if (o.dropout !== undefined) c.hidden_dropout_prob = c.attention_probs_dropout_prob = o.dropout;
    return validate(c);
  },
  withDropout: (c, p) => validate({ ...c, hidden_dropout_prob: p, attention_probs_dropout_prob: p }),
  describe: (c) => `${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads, intermediate ${c.intermediate_size} (${c.hidden_act}), ${c.max_position_embeddings - c.pad_token_id - 1} positions, vocab ${c.vocab_size}`,
});

export const roberta = family.mlm;
export const robertaForSequenceClassification = family.cls;
export { BERT_SCHEMA as ROBERTA_SCHEMA };
