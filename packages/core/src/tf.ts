/**
 * The one TensorFlow.js instance the library uses, re-exported so that users
 * never load a second copy of tfjs-core.
 *
 * tfjs-core's main entry registers neither gradients nor chained ops. Their
 * registration modules are ESM deep paths with extensionless imports that
 * plain Node ESM cannot load, so tsup bundles them into our dist (see
 * tsup.config.ts). The copies of tfjs-core helpers they drag in use the same
 * global engine, kernel registry and Tensor class as the user's tfjs-core.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// Chained ops (`x.add(y)`), as the @tensorflow/tfjs union package has them;
// they patch the global Tensor class, so the bundled copy serves the user's.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Variable, Rank } from '@tensorflow/tfjs-core';
