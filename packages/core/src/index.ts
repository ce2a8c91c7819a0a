/**
 * @captcha-nn/core: Torch7's nn modules, criterions and optim on TensorFlow.js.
 * This file is the table of contents.
 */

// The tfjs instance the library uses: import tf from here, never a second copy.
export { tf } from './tf';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Variable, Rank } from './tf';

// Backends: wasm by default; await ready() or setBackend() before training.
export { setBackend, ready, setWasmPaths, setWasmThreads, getWasmThreads, MAX_WASM_THREADS, BackendError, BACKEND_NAMES, type BackendName } from './backend';
// How wasm runs 3×3 stride-1 convolutions: Winograd by shape (default) or XNNPACK.
export { setWinograd, getWinograd, winogradCalls, type WinogradMode } from './backends/wasm/winograd';
// Which build of our wasm kernels runs: relaxed SIMD's multiply-add where the engine has it.
export { wasmSimd, describeWasmSimd, allowRelaxedSimdInNode, type WasmSimd } from './backends/wasm/relaxedSimd';

// Activities, errors, randomness
export { disposeActivity, type Activity } from './util/activity';
export { ShapeError, ModuleError, StateDictError } from './util/errors';
export { manualSeed } from './util/random';

// Module contract
export { Module, type Parameter, type StateDict } from './nn/Module';
export { Criterion, type Target } from './nn/Criterion';

// Containers
export { Container } from './nn/Container';
export { Sequential } from './nn/Sequential';
export { Concat } from './nn/Concat';
export { ConcatTable } from './nn/ConcatTable';
export { ResidualDrop } from './nn/ResidualDrop';
export { ParallelTable } from './nn/ParallelTable';

// Table modules
export { Identity } from './nn/Identity';
export { CAddTable } from './nn/CAddTable';
export { CMulTable } from './nn/CMulTable';
export { JoinTable } from './nn/JoinTable';
export { SplitTable } from './nn/SplitTable';
export { SelectTable } from './nn/SelectTable';
export { NarrowTable } from './nn/NarrowTable';
export { FlattenTable } from './nn/FlattenTable';

// Shape modules
export { Reshape } from './nn/Reshape';
export { View } from './nn/View';
export { Transpose } from './nn/Transpose';
export { Squeeze } from './nn/Squeeze';
export { Unsqueeze } from './nn/Unsqueeze';

// Layers
export { Linear } from './nn/Linear';
export { SpatialConvolution } from './nn/SpatialConvolution';
export { SpatialPooling } from './nn/SpatialPooling';
export { SpatialMaxPooling } from './nn/SpatialMaxPooling';
export { SpatialAveragePooling } from './nn/SpatialAveragePooling';
export { BatchNormalization } from './nn/BatchNormalization';
export { SpatialBatchNormalization } from './nn/SpatialBatchNormalization';
export { Dropout } from './nn/Dropout';
export { SpatialDropout } from './nn/SpatialDropout';
export { LookupTable } from './nn/LookupTable';
// Inference: a convolution or Linear and the BatchNormalization after it folded into one layer (PyTorch's fuse_*_bn_eval)
export { fuseConvBnEval, fuseLinearBnEval, foldBatchNorm } from './nn/utils/fusion';

// Attention: a query attends over keys, giving their weighted sum (encoder–decoder models)
export { BahdanauAttention } from './nn/BahdanauAttention';
export { LuongAttention, type LuongScore } from './nn/LuongAttention';

// Transfer functions
export { TransferModule } from './nn/Transfer';
export { ReLU } from './nn/ReLU';
export { LeakyReLU } from './nn/LeakyReLU';
export { ELU } from './nn/ELU';
export { Tanh } from './nn/Tanh';
export { Sigmoid } from './nn/Sigmoid';
export { SoftMax } from './nn/SoftMax';
export { LogSoftMax } from './nn/LogSoftMax';

// Recurrent modules: Element-Research rnn's step modules, decorators and state handling
export { AbstractRecurrent, type StepRecord } from './rnn/AbstractRecurrent';
export { FastLSTM } from './rnn/FastLSTM';
export { LSTM, type LSTMOptions } from './rnn/LSTM';
export { GRU } from './rnn/GRU';
export { Recurrent } from './rnn/Recurrent';
export { Recursor } from './rnn/Recursor';
export { Sequencer } from './rnn/Sequencer';
export type { RememberMode } from './rnn/remember';
export { Repeater } from './rnn/Repeater';
export { BiSequencer } from './rnn/BiSequencer';
export { SeqLSTM, type SeqLSTMOptions } from './rnn/SeqLSTM';
export { MaskZero } from './rnn/MaskZero';
export { LookupTableMaskZero } from './rnn/LookupTableMaskZero';

// Criteria
export { SequencerCriterion } from './rnn/SequencerCriterion';
export { ClassNLLCriterion } from './nn/ClassNLLCriterion';
export { CrossEntropyCriterion } from './nn/CrossEntropyCriterion';
export { MultiCrossEntropyCriterion } from './nn/MultiCrossEntropyCriterion';
export { MSECriterion } from './nn/MSECriterion';
export { BCECriterion } from './nn/BCECriterion';
export { CTCCriterion, type CTCTarget, type CTCReduction, type CTCCriterionOptions } from './nn/CTCCriterion';

// CTC decoding: best path and prefix beam search over [T,N,C] log-probabilities; a reading's log-likelihood
export { ctcGreedy } from './decode/ctcGreedy';
export { ctcBeamSearch, type CTCBeamSearchOptions } from './decode/ctcBeamSearch';
export { ctcLogLikelihood } from './decode/ctcLogLikelihood';
export type { CTCDecodeOptions, CTCDecoded } from './decode/ctcOutput';

// Saving and loading: self-describing models (architecture spec + weights + metadata)
export {
  moduleFromSpec,
  criterionFromSpec,
  registerModule,
  registerCriterion,
  registeredTypes,
  specOf,
  SpecError,
  type ModuleSpec,
  type CriterionSpec,
  type SpecConstructor,
  type SpecBuilder,
} from './io/spec';
export {
  saveModel,
  loadModel,
  encodeModel,
  decodeModel,
  ModelFileError,
  ModelFetchError,
  LOAD_MODEL_TIMEOUT_MS,
  type ModelFile,
  type ModelSource,
  type ModelBytes,
  type LoadedModel,
  type SaveModelOptions,
  type LoadModelOptions,
  type DecodeModelOptions,
} from './io/model';
export { StateDictValueError, checkStateDict, type LoadStateDictOptions } from './io/stateDict';
export {
  encodeSafetensors,
  decodeSafetensors,
  saveSafetensors,
  loadSafetensors,
  writeFileAtomic,
  SafetensorsError,
} from './io/safetensors';

// Data parallelism over worker threads (Torch's DataParallelTable on one machine; Node only)
export {
  DataParallelTable,
  ParallelWorkerError,
  type DataParallelOptions,
  type ReplicaSnapshot,
} from './parallel/DataParallelTable';
export { physicalCores, freeCores } from './parallel/cores';

// Optimisation: torch/optim's functions, a PyTorch-style wrapper, the fused step
export * from './optim';
export { fusedBackward } from './train/fusedStep';
