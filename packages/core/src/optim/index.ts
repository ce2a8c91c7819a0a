/**
 * Torch's `optim` package on lists of tfjs variables: `optim.sgd(feval,
 * params, config, state)` and friends, with Torch's config keys, defaults
 * and formulas, a PyTorch-style `Optimizer` wrapper, and learning-rate
 * schedules.
 */
import { adadelta } from './adadelta';
import { adagrad } from './adagrad';
import { adam } from './adam';
import { disposeOptimState } from './common';
import { sgd } from './sgd';
import { rmsprop } from './rmsprop';

export { sgd, type SgdConfig } from './sgd';
export { adam, type AdamConfig } from './adam';
export { adadelta, type AdadeltaConfig } from './adadelta';
export { rmsprop, type RmspropConfig } from './rmsprop';
export { adagrad, type AdagradConfig } from './adagrad';
export { disposeOptimState, type FEval, type OptimMethod, type OptimResult, type OptimState } from './common';
export { Optimizer, methods, type OptimName, type HasParameters } from './Optimizer';
export { SCHEDULES, SCHEDULE_DEFAULTS, checkSchedule, scheduledRate, finalRate, type Schedule, type ScheduleName } from './schedule';

/** The namespace as Torch users write it: `optim.sgd(feval, params, config)`. */
export const optim = { sgd, adam, adadelta, rmsprop, adagrad, disposeOptimState };
