// wgpt's Node-only public API (`import … from 'wgpt/node'`): checkpoint folders, .bin token files, BPE
// files and the training runner. Leaves out everything browser-safe: that is `wgpt` (src/index.ts).
export { saveCheckpoint, loadCheckpoint, type ParamMap } from './hub/folder.js';
export { hasTrainingState, saveTrainingState, loadTrainingState, trainingStateFiles, type TrainingState } from './train/state.js';
export { readTokenFile, writeTokenFile, TokenFileReader, TokenFileWriter, tokenizeFile, tokenizeToBin, readTextFileStrict } from './data/node.js';
export { loadBpeFile, saveBpeFile, tokenizerFromSpec, BUNDLED_CORPUS } from './tokenizer/node.js';
// WordPiece / Hugging Face tokenizer files by path (tokenizer.json, vocab.txt, a folder holding one), the Korean corpus
export { loadWordPiece, loadTokenizerFile, KOREAN_CORPUS } from './tokenizer/node.js';
export { runTraining, type RunOptions, type RunResult, type RunHooks } from './train/run.js';
export { writeFileAtomic, writeFolderAtomic } from './io/atomic.js';
// models by name or folder: the Hub cache (huggingface_hub's layout), downloads, the loader every command uses
export { resolveModelDir, loadModel, loadModelOnly, loadCheckpointByRef, loadTokenizerOf, type LoadedModel, type HubOptions } from './hub/node.js';
export { downloadModel } from './hub/download.js';
export { hubCacheDir, RepoCache } from './hub/cache.js';
export { folderSource, resolveCheckpointDir } from './hub/folder.js';
export { CORPORA, PARALLEL_CORPUS, resolveCorpus } from './data/corpora.js';
