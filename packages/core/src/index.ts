/**
 * @captcha-nn/core: Torch7's nn modules, criterions and optim on TensorFlow.js.
 * This file is the table of contents.
 */

// The tfjs instance the library uses: import tf from here, never a second copy.
export { tf } from './tf';
export type { Tensor, Variable } from './tf';

// Backends: wasm by default; await ready() or setBackend() before training.
export { setBackend, ready, type BackendName } from './backend';

// Activities, errors, randomness
export type { Activity } from './util/activity';
export { ShapeError, ModuleError, StateDictError } from './util/errors';
export { manualSeed } from './util/random';

// Module contract
export { Module, type Parameter, type StateDict } from './nn/Module';
export { Criterion, type Target } from './nn/Criterion';

// Containers
export { Container } from './nn/Container';
export { Sequential } from './nn/Sequential';

// Layers
export { Linear } from './nn/Linear';

// Transfer functions
export { ReLU } from './nn/ReLU';

// Criteria
export { ClassNLLCriterion } from './nn/ClassNLLCriterion';
