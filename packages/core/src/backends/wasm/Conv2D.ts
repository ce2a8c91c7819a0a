/**
 * `Conv2D` for wasm: wasm SIMD for a gray image's 3×3 stride-1 pad-1 first
 * layer (XNNPACK runs one input channel slowly), Winograd (winograd.ts) for
 * the 3×3 stride-1 pad-1 layers it is chosen for, the stock XNNPACK kernel
 * for everything else.
 */
import { backend_util, Conv2D, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { channelKernels, isGray3x3Same } from './channelKernels';
import { type BackendWasm, captureStock, runStock } from './kernel_utils';
import { tryWinograd } from './winograd';

/** A gray image's 3×3 stride-1 pad-1 convolution in wasm SIMD (output channels in fours), or null where it does not apply. */
function grayConv(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | null {
  const fits = isGray3x3Same(info) && x.dtype === 'float32' && filter.dtype === 'float32';
  const simd = fits ? channelKernels(backend, info.outChannels) : null;
  if (!simd) return null;
  const y = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
  simd.conv3x3C1(x, filter, y);
  return y;
}

function conv2d(args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Record<string, unknown> }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dilations: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (dataFormat !== 'NCHW' && x.shape.length === 4 && filter.shape.length === 4) {
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const gray = grayConv(backend, x, filter, info);
    if (gray) return gray;
    const { top, bottom, left, right } = info.padInfo;
    const y = tryWinograd(backend, x, filter, [info.strideHeight, info.strideWidth], [info.dilationHeight, info.dilationWidth], { top, bottom, left, right });
    if (y) return y;
  }
  return runStock(backend, Conv2D, inputs as unknown as Record<string, TensorInfo>, attrs as NamedAttrMap);
}

export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(Conv2D)?.setupFunc?.(backend),
  kernelFunc: conv2d as unknown as KernelFunc,
};
