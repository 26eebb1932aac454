// BERT checkpoint folders on disk (Node): the model through the checkpoint loader, the tokenizer as Hugging Face
// folders carry it (tokenizer.json, else vocab.txt with tokenizer_config.json's do_lower_case), and the files wgpt
// writes beside its own BERT checkpoints so transformers reads them back. Leaves out: sentencepiece-based BERTs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpu } from '../gpu/device.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { loadTokenizerFile } from '../tokenizer/node.js';
import { loadCheckpoint } from './checkpoint.js';
import { skippedLine } from './model.js';
import { MaskedLM, specialIdsOf } from './encoder.js';

/** The tokenizer of a BERT folder: tokenizer.json, else vocab.txt (lowercased unless tokenizer_config.json says do_lower_case false, as HF's BertTokenizer). */
export function bertFolderTokenizer(dir: string): Tokenizer {
  const tj = join(dir, 'tokenizer.json');
  if (existsSync(tj)) return loadTokenizerFile(tj);
  const vt = join(dir, 'vocab.txt');
  if (!existsSync(vt)) throw new Error(`${dir} has neither tokenizer.json nor vocab.txt; give --tokenizer`);
  let lowercase = true;
  const tc = join(dir, 'tokenizer_config.json');
  if (existsSync(tc)) {
    let j: unknown;
    try {
      j = JSON.parse(readFileSync(tc, 'utf8'));
    } catch (e) {
      throw new Error(`${tc} is not valid JSON (${String((e as Error).message).split('\n')[0]})`);
    }
    const v = (j as Record<string, unknown>)?.do_lower_case;
    if (v !== undefined) lowercase = v === true;
  }
  return loadTokenizerFile(vt, { lowercase });
}

/**
 * A masked-LM folder (BERT, RoBERTa, DistilBERT; Hugging Face or wgpt) → model, tokenizer and the one line naming
 * skipped tensors (or '').
 */
export function loadBertFolder(gpu: Gpu, dir: string, tokenizerPath?: string): { model: MaskedLM<unknown>; tokenizer: Tokenizer; skipped: string } {
  const ck = loadCheckpoint(dir);
  const model = ck.arch.create(gpu, ck.config, ck.params);
  if (!(model instanceof MaskedLM)) {
    model.dispose();
    throw new Error(`${dir} holds a ${ck.arch.name} model; this command needs a BERT, RoBERTa or DistilBERT masked-LM folder (…ForMaskedLM)`);
  }
  try {
    const tokenizer = tokenizerPath ? loadTokenizerFile(tokenizerPath) : bertFolderTokenizer(ck.dir);
    specialIdsOf(model.tokens, tokenizer.specialTokens, `tokenizer of ${dir}`, ck.arch.name);
    if (tokenizer.vocabSize > model.vocabSize) throw new Error(`the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${model.vocabSize}`);
    return { model, tokenizer, skipped: skippedLine(ck.skipped) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Files wgpt writes beside a BERT checkpoint: vocab.txt (+ tokenizer_config.json) or the tokenizer.json it trained with. */
export function bertTokenizerFiles(tokenizerPath: string): Record<string, string> {
  const text = readFileSync(tokenizerPath, 'utf8');
  if (tokenizerPath.endsWith('.txt')) return { 'vocab.txt': text, 'tokenizer_config.json': JSON.stringify({ do_lower_case: false, tokenizer_class: 'BertTokenizer' }) + '\n' };
  return { 'tokenizer.json': text };
}
