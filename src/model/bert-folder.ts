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
import { Bert, bert, bertSpecialIds } from './bert.js';
import type { BertConfig } from './bert-config.js';

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

/** A BERT folder (Hugging Face or wgpt) → model, tokenizer and the one line naming skipped tensors (or ''). */
export function loadBertFolder(gpu: Gpu, dir: string, tokenizerPath?: string): { model: Bert; tokenizer: Tokenizer; skipped: string } {
  const ck = loadCheckpoint(dir);
  if (ck.arch !== bert) throw new Error(`${dir} holds a ${ck.arch.modelType} model; this command needs a BERT (model_type "bert") folder`);
  const tokenizer = tokenizerPath ? loadTokenizerFile(tokenizerPath) : bertFolderTokenizer(ck.dir);
  bertSpecialIds(tokenizer.specialTokens, `tokenizer of ${dir}`);
  const c = ck.config as BertConfig;
  if (tokenizer.vocabSize > c.vocab_size) throw new Error(`the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${c.vocab_size}`);
  return { model: new Bert(gpu, c, ck.params), tokenizer, skipped: skippedLine(ck.skipped) };
}

/** Files wgpt writes beside a BERT checkpoint: vocab.txt (+ tokenizer_config.json) or the tokenizer.json it trained with. */
export function bertTokenizerFiles(tokenizerPath: string): Record<string, string> {
  const text = readFileSync(tokenizerPath, 'utf8');
  if (tokenizerPath.endsWith('.txt')) return { 'vocab.txt': text, 'tokenizer_config.json': JSON.stringify({ do_lower_case: false, tokenizer_class: 'BertTokenizer' }) + '\n' };
  return { 'tokenizer.json': text };
}
