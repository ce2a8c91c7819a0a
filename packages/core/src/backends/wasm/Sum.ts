/** `Sum` for wasm: leading-axes reductions in one pass (leadingAxesReduce.ts); anything else stays on the stock kernel. */
import { Sum } from '@tensorflow/tfjs-core';
import { leadingAxesReduceConfig } from './leadingAxesReduce';

export const sumConfig = leadingAxesReduceConfig(Sum, 'sum');
