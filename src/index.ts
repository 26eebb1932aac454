// wgpt's public API (Node and browser): device, tensors/autograd, ops, model, training, generation, tokenizers, data.
// Node-only pieces (checkpoint folders, .bin files, the training runner) are exported from their own modules.
export { getGpu, Gpu, type AdapterSummary } from './gpu/device.js';
export { selfCheck } from './gpu/selfcheck.js';
export { Tensor, IdBatch, backward, noGrad } from './autograd/tensor.js';
export * from './ops/matmul.js';
export * from './ops/embedding.js';
export * from './ops/elementwise.js';
export * from './ops/layernorm.js';
export * from './ops/attention.js';
export * from './ops/loss.js';
export { AdamW, gradNorm, clipGradNorm } from './train/adamw.js';
export { Trainer, type TrainerOptions, type Batch } from './train/trainer.js';
export { GPT } from './model/gpt.js';
export { type GPTConfig, PRESETS, DEFAULT_CONFIG, validateConfig } from './model/config.js';
export { paramShapes, countParams } from './model/params.js';
export { generate, sampleLogits, streamDecoder, type SampleOptions } from './model/generate.js';
export * from './tokenizer/index.js';
export * from './data/index.js';
export { parseSafetensors, serializeSafetensors } from './io/safetensors.js';
export * from './model/model.js';
export { gpt2, type LMBatch } from './model/gpt.js';
export { ARCHITECTURES, architectureOf, architectureByName, modelTypesText } from './model/architectures.js';
export { gptParamTable } from './model/params.js';
export type { OptimizerState } from './train/adamw.js';
export { softmax, causalMask, type SoftmaxOptions } from './ops/softmax.js';
export { dropThreshold } from './ops/random.js';
// elementwise / shape op families (add, scale and gelu also come through ./ops/elementwise.js above)
export { unary, activation, tanh, sigmoid, silu, relu, geluErf, type UnaryName } from './ops/unary.js';
export { sub, mul, broadcastShape } from './ops/binary.js';
export { reshape, slice, concat, transpose } from './ops/shape.js';
export { encodeColSum, type ColSumOptions } from './ops/reduce.js';
export { rnn, lstm, rnnParamShapes, initRnnWeights, RNN_DISPATCHES_PER_STEP, type RnnCell, type RnnConfig, type RnnWeights, type RnnOutputs } from './ops/rnn.js';
export { rnnSeq2seq, Seq2SeqModel, seq2seqParamTable, parseTsvPairs, makeBatch, SEQ2SEQ_MODEL_TYPE, SEQ2SEQ_PRESETS, type Seq2SeqConfig, type Seq2SeqBatch, type Seq2SeqInput, type GreedyResult } from './model/rnn-seq2seq.js';
export { attentionSvg } from './train/attention-plot.js';
// torch-compatible seeded init, the course walk, figures (issue #17)
export { TorchGenerator, initEmbedding, initLinear, initLayerNorm, initRecurrent, initCourseGPT, torchGPTParams, type InitTensor, type NormalVector } from './model/torch-init.js';
export { walk, Walker, stageText, STAGE_NAMES, NOT_YET, COURSE, type Stage, type WalkOptions } from './walk/stages.js';
export { formatTensor } from './walk/format.js';
export { heatmapsSvg, attentionSvg as attentionMapSvg, coolwarm, viridis } from './plot/figures.js';
export { rasterizeSvg, type Raster } from './plot/raster.js';
export { encodePng } from './plot/png.js';
export { translateIds, generatedTokens, type TranslateOptions, type TranslateResult } from './model/seq2seq-translate.js';
export { greedySearch, beamSearch, type Seq2SeqStep, type Seq2SeqGenerateOptions, type Seq2SeqResult } from './model/seq2seq-generate.js';
export { Bert, bert, fillMask, bertSpecialIds, type BertInput, type FillMaskResult } from './model/bert.js';
export { type BertConfig, BERT_PRESETS, BERT_BASE, validateBertConfig, bertConfigFromHF, bertConfigToHF, bertParamTable } from './model/bert-config.js';
export { Marian, marian, marianSinusoids, type MarianInput, type Seq2SeqBatch as MarianBatch } from './model/marian.js';
export { type MarianConfig, MARIAN_PRESETS, OPUS_MT, validateMarianConfig, marianConfigFromHF, marianConfigToHF, marianParamTable } from './model/marian-config.js';
export { diffCounters, zeroCounters, type GpuCounters, type ProfileEntry, type ProfileResult } from './gpu/device.js';
export { layerNormLinear, layerNormLinearFits, LN_LINEAR_MAX_K, LN_LINEAR_MAX_HEAD, type LayerNormLinearOptions } from './ops/matmul-ln.js';
export { ADAMW_CHUNK } from './train/adamw.js';
// loading models as the Hub ships them (browser-safe core; Node folders and downloads are in 'wgpt/node')
export { type FileSource, memorySource } from './hub/files.js';
export { loadFromSource, readConfig, readGenerationConfig, type LoadedCheckpoint, type GenerationConfig } from './hub/load.js';
export { readWeights, WEIGHT_FILES } from './hub/weights.js';
export { tokenizerOfSource } from './hub/tokenizer.js';
export { parseModelRef, type ModelRef } from './hub/ref.js';
export { fetchModelFiles, loadModelByName, type BrowserHubOptions } from './hub/browser.js';
export { parseTorchStateDict } from './io/torch.js';
