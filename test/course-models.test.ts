// The course's models by name (issue #27): the real config.json / generation_config.json / tokenizer_config.json of
// gpt2, bert-base-cased and Helsinki-NLP/opus-mt-ko-en (test/fixtures/hub_models, provenance in its README) read as
// transformers reads them; then copies with reduced sizes and random weights, served by the stand-in Hub under those
// names, run through the CLI: generate, fill-mask, translate with generation_config.json's num_beams, max_length,
// bad_words_ids and decoder_start_token_id honoured as generate() would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig, readGenerationConfig } from '../src/hub/load.ts';
import { checkpointTokenizer } from '../src/hub/tokenizer-spec.ts';
import { memorySource } from '../src/hub/files.ts';
import { initParams } from '../src/model/model.ts';
import { serializeSafetensors } from '../src/io/safetensors.ts';
import { SentencePieceProcessor } from '../src/tokenizer/sentencepiece.ts';
import { startHub, type StandInRepo } from './hub-server.ts';
import { FIXTURES } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const HM = join(FIXTURES, 'hub_models');
const real = (repo: string, file: string) => JSON.parse(readFileSync(join(HM, repo.replace('/', '--'), file), 'utf8')) as Record<string, unknown>;
const enc = (s: string) => new TextEncoder().encode(s);
const root = mkdtempSync(join(tmpdir(), 'wgpt-course-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('the real config files: architecture, sizes and generation settings as transformers reads them', () => {
  const g = readConfig(real('gpt2', 'config.json'));
  assert.is(g.arch.modelType, 'gpt2');
  assert.equal([g.config.n_layers, g.config.d_model, g.config.n_heads, g.config.vocab_size, g.config.context_length, g.config.tie_embeddings], [12, 768, 12, 50257, 1024, true]);
  const b = readConfig(real('bert-base-cased', 'config.json'));
  assert.equal([b.arch.modelType, b.config.vocab_size, b.config.hidden_size, b.config.num_hidden_layers, b.config.layer_norm_eps], ['bert', 28996, 768, 12, 1e-12]);
  // the 2019 file has no model_type: its architectures name BertForMaskedLM
  const old = readConfig(real('bert-base-cased-2019', 'config.json'));
  assert.equal([old.arch.modelType, old.config.vocab_size], ['bert', 28996]);
  const m = readConfig(real('Helsinki-NLP/opus-mt-ko-en', 'config.json'));
  assert.is(m.arch.modelType, 'marian');
  assert.equal([m.config.activation_function, m.config.decoder_start_token_id, m.config.pad_token_id, m.config.eos_token_id, m.config.num_beams, m.config.max_length], ['swish', 65000, 65000, 0, 4, 512]);
  const files = new Map([['config.json', enc(JSON.stringify(real('Helsinki-NLP/opus-mt-ko-en', 'config.json')))], ['generation_config.json', enc(JSON.stringify(real('Helsinki-NLP/opus-mt-ko-en', 'generation_config.json')))]]);
  const gen = readGenerationConfig(memorySource(files, 'opus'), real('Helsinki-NLP/opus-mt-ko-en', 'config.json'));
  assert.equal([gen.num_beams, gen.max_length, gen.bad_words_ids, gen.decoder_start_token_id, gen.renormalize_logits], [4, 512, [[65000]], 65000, true]);
  // without generation_config.json, config.json's generation keys (transformers' from_model_config)
  files.delete('generation_config.json');
  const fromCfg = readGenerationConfig(memorySource(files, 'opus'), real('Helsinki-NLP/opus-mt-ko-en', 'config.json'));
  assert.equal([fromCfg.num_beams, fromCfg.max_length, fromCfg.bad_words_ids], [4, 512, [[65000]]]);
  assert.equal(readGenerationConfig(memorySource(new Map(), 'gpt2'), real('gpt2', 'config.json')), { bos_token_id: 50256, eos_token_id: 50256 });
});

test('a --tokenizer file is read as given, not replaced by the folder\'s own tokenizer.json; a vocab.txt folder is read as BertTokenizer reads it', () => {
  const own = checkpointTokenizer(join(FIXTURES, 'bert_tiny_noprefix'), 'bert', 1000);
  assert.match(own.name, /tokenizer\.json/);
  const given = checkpointTokenizer(join(FIXTURES, 'bert_tiny_noprefix'), 'bert', 1000, join(FIXTURES, 'bert_tiny', 'vocab.txt'));
  assert.match(given.name, /bert_tiny\/vocab\.txt/);
  // bert_tiny has vocab.txt + tokenizer_config.json (do_lower_case false): cased
  const cased = checkpointTokenizer(join(FIXTURES, 'bert_tiny'), 'bert', 1000);
  assert.is(cased.decode(cased.encode('The')), 'The');
});

/** The real config with the size keys replaced (random weights at full size would be 0.5 GB) and random weights. */
function scaledRepo(repo: string, sizes: Record<string, number>, extra: Map<string, Uint8Array>, tweak?: (p: Map<string, { shape: number[]; data: Float32Array }>) => void): StandInRepo {
  const cfgJson = { ...real(repo, 'config.json'), ...sizes };
  const { arch, config } = readConfig(cfgJson);
  const table = arch.paramTable(config);
  const params = initParams(table, 27);
  tweak?.(params);
  const files = new Map(extra);
  files.set('config.json', enc(JSON.stringify(cfgJson, null, 2)));
  files.set('model.safetensors', serializeSafetensors(table.map(({ name }) => ({ name, shape: params.get(name)!.shape, data: params.get(name)!.data })), { format: 'pt' }));
  return { repo, files };
}

test('gpt2, bert-base-cased and Helsinki-NLP/opus-mt-ko-en by name: generate, fill-mask, translate honouring generation_config.json', async () => {
  // gpt2: the Hub's tokenizer is GPT-2's ranks (js-tiktoken), chosen by model_type with no tokenizer.json
  const gpt2 = scaledRepo('gpt2', { n_layer: 1, n_embd: 16, n_head: 2, n_positions: 64, n_ctx: 64 }, new Map([['generation_config.json', enc(JSON.stringify(real('gpt2', 'generation_config.json')))], ['tokenizer_config.json', enc(JSON.stringify(real('gpt2', 'tokenizer_config.json')))]]));
  // bert-base-cased: a 28,996-line vocab.txt with bert-base-cased's special ids; cased (tokenizer_config.json)
  const vocab = Array.from({ length: 28996 }, (_, i) => (i === 0 ? '[PAD]' : i < 100 ? `[unused${i}]` : `t${i}`));
  Object.assign(vocab, { 100: '[UNK]', 101: '[CLS]', 102: '[SEP]', 103: '[MASK]', 104: 'I', 105: 'to', 106: 'school', 107: '.', 108: 'go', 109: 'i' });
  const bert = scaledRepo('bert-base-cased', { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 64 }, new Map([['vocab.txt', enc(vocab.join('\n') + '\n')], ['tokenizer_config.json', enc(JSON.stringify(real('bert-base-cased', 'tokenizer_config.json')))]]));
  // opus-mt-ko-en: source.spm = target.spm = the Korean unigram fixture, vocab.json </s> 0, <unk> 1, pieces, fillers, <pad> 65000
  const spm = readFileSync(join(FIXTURES, 'spm', 'ko-unigram.model'));
  const sp = SentencePieceProcessor.fromBytes(spm);
  const mv: Record<string, number> = { '</s>': 0, '<unk>': 1 };
  let next = 2;
  for (const p of sp.model.pieces.slice(3)) if (!(p.piece in mv)) mv[p.piece] = next++;
  while (next < 65000) mv[`<filler${next}>`] = next++; // the real vocab.json has 65,001 entries, ids 0…65000
  mv['<pad>'] = 65000;
  // the scaled copy's generation_config.json: the real one with max_length 6 (a random model would run to 512) and a
  // second bad word, id 7, that only generation_config.json bans (the model itself bans pad alone)
  const genCfg = { ...real('Helsinki-NLP/opus-mt-ko-en', 'generation_config.json'), max_length: 6, bad_words_ids: [[65000], [7]] };
  const opus = scaledRepo(
    'Helsinki-NLP/opus-mt-ko-en',
    { d_model: 16, encoder_layers: 1, decoder_layers: 1, encoder_attention_heads: 2, decoder_attention_heads: 2, encoder_ffn_dim: 32, decoder_ffn_dim: 32, max_position_embeddings: 64 },
    new Map([['source.spm', new Uint8Array(spm)], ['target.spm', new Uint8Array(spm)], ['vocab.json', enc(JSON.stringify(mv))], ['generation_config.json', enc(JSON.stringify(genCfg))], ['tokenizer_config.json', enc(JSON.stringify(real('Helsinki-NLP/opus-mt-ko-en', 'tokenizer_config.json')))]]),
    // pad made the most likely token everywhere: only bad_words_ids keeps it out of the output
    (p) => {
      p.get('final_logits_bias')!.data[65000] = 50;
      p.get('final_logits_bias')!.data[7] = 45;
    },
  );
  const hub = await startHub([gpt2, bert, opus], {}, 300_000);
  try {
    const env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: join(root, 'cache') };
    const g = await runCli(['generate', '--model', 'gpt2', '--prompt', 'Hello, I am', '--max-new-tokens', '3', '--temperature', '0'], { env });
    assert.is(g.code, 0, g.err);
    assert.ok(g.out.startsWith('Hello, I am') && g.out.length > 'Hello, I am'.length, g.out);
    const f = await runCli(['fill-mask', '--model', 'bert-base-cased', '--text', 'I [MASK] to school.', '--json'], { env });
    assert.is(f.code, 0, f.err);
    const fm = JSON.parse(f.out) as { position: number; candidates: { id: number; prob: number }[] }[];
    assert.equal(fm.map((r) => [r.position, r.candidates.length]), [[2, 5]], 'cased vocab.txt: I(104) [MASK] to school . → [MASK] at 2');
    const t = await runCli(['translate', '--model', 'Helsinki-NLP/opus-mt-ko-en', '--text', '나는 학교에 간다.', '--json'], { env });
    assert.is(t.code, 0, t.err);
    const tr = JSON.parse(t.out) as { ids: number[][]; scores?: number[] };
    const row = tr.ids[0];
    assert.is(row[0], 65000, 'decoder_start_token_id = pad');
    assert.ok(Array.isArray(tr.scores), 'beam search (num_beams 4 from generation_config.json) reports scores');
    assert.ok(row.length <= 6, `max_length 6 from generation_config.json: ${row}`);
    const body = row.slice(1);
    const eos = body.indexOf(0);
    assert.ok(eos >= 0, `forced EOS by max_length − 1: ${row}`);
    assert.not.ok(body.slice(0, eos).includes(65000), `bad_words_ids [[65000]] kept the (biased) pad out: ${row}`);
    assert.not.ok(body.includes(7), `bad_words_ids [7] from generation_config.json kept the (biased) id 7 out: ${row}`);
    // --num-beams 1 overrides the config: greedy, no scores
    const t1 = await runCli(['translate', '--model', 'Helsinki-NLP/opus-mt-ko-en', '--text', '나는 학교에 간다.', '--json', '--num-beams', '1'], { env: { ...env, HF_HUB_OFFLINE: '1' } });
    assert.is(t1.code, 0, t1.err);
    assert.is((JSON.parse(t1.out) as { scores?: unknown }).scores, undefined);
    // tokenize --model NAME: the model's own (cased) vocab.txt, fetched without the weights into a fresh cache
    const b0 = hub.requests.length;
    const tk = await runCli(['tokenize', '--model', 'bert-base-cased', '--text', 'I go to school.', '--ids'], { env: { ...env, HF_HUB_CACHE: join(root, 'cache-tok') } });
    assert.is(tk.code, 0, tk.err);
    assert.equal(JSON.parse(tk.out), [104, 108, 105, 106, 107]);
    const tokFiles = hub.requests.slice(b0).filter((r) => r.method === 'HEAD').map((r) => r.url.split('/').pop()).sort();
    assert.equal(tokFiles, ['config.json', 'tokenizer_config.json', 'vocab.txt']);
    // only what the loader needs was fetched: tokenizer files and weights, never README/others (none served here)
    const got = new Set(hub.requests.filter((r) => r.method === 'HEAD').map((r) => r.url.split('/').pop()));
    for (const fName of ['config.json', 'generation_config.json', 'model.safetensors', 'vocab.txt', 'source.spm', 'target.spm', 'vocab.json', 'tokenizer_config.json']) assert.ok(got.has(fName), fName);
  } finally {
    await hub.close();
  }
});

test.run();
