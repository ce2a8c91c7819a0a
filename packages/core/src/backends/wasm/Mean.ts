/** `Mean` for wasm: leading-axes reductions in one pass (leadingAxesReduce.ts); anything else stays on the stock kernel. */
import { Mean } from '@tensorflow/tfjs-core';
import { leadingAxesReduceConfig } from './leadingAxesReduce';

export const meanConfig = leadingAxesReduceConfig(Mean, 'mean');
