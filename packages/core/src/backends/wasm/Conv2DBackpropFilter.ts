/**
 * `Conv2DBackpropFilter` for wasm (the stock wasm backend has none, so any
 * convnet training step threw).
 *
 * dW[kh,kw,c,o] = Σ_{n,oh,ow} x[n, oh·s - padTop + kh, ow·s - padLeft + kw, c] · dy[n,oh,ow,o]
 * is one XNNPACK convolution once the batch is made the channel axis:
 * conv(x as [c, H, W, n], dy as filter [oH, oW, n, o], stride 1, dilation s)
 * gives [c, kH, kW, o]; a transpose makes it [kH, kW, c, o].
 * 3×3 stride-1 pad-1 layers take Winograd instead where winograd.ts chooses it,
 * and wasm SIMD where the input is one gray channel (grayFilterGrad).
 */
import { backend_util, Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { channelKernels, isGray3x3Same } from './channelKernels';
import { type BackendWasm, conv2dExplicit, disposeInfos, f32, transpose } from './kernel_utils';
import { tryWinogradFilterGrad } from './winograd';

/**
 * A gray image's first layer (one input channel, 3×3, stride 1, padding 1,
 * output channels in fours) in wasm SIMD: XNNPACK's route transposes the
 * whole dy and runs a convolution with a 3×3 output (6.3 ms of the compact
 * net's step at batch 16). Null where it does not apply.
 */
function grayFilterGrad(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | null {
  const fits = isGray3x3Same(info) && x.dtype === 'float32' && dy.dtype === 'float32';
  const simd = fits ? channelKernels(backend, info.outChannels) : null;
  if (!simd) return null;
  const acc = new Float64Array(9 * info.outChannels);
  simd.conv3x3C1FilterGrad(x, dy, acc);
  const dw = backend.makeOutput([3, 3, 1, info.outChannels], 'float32');
  f32(backend, dw).set(acc);
  return dw;
}

function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Record<string, unknown> }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') {
    throw new Error("captcha-nn wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only");
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { inHeight, inWidth, filterHeight: kH, filterWidth: kW, strideHeight: sH, strideWidth: sW } = info;
  const gray = grayFilterGrad(backend, x, dy, info);
  if (gray) return gray;
  const fast = tryWinogradFilterGrad(backend, x, dy, filterShape, [sH, sW], info.padInfo);
  if (fast) return fast;
  const [, oH, oW] = dy.shape;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Pad (or crop) the far sides so that the output is exactly kH x kW.
  const bottom = kH - 1 + (oH - 1) * sH + 1 - inHeight - top;
  const right = kW - 1 + (oW - 1) * sW + 1 - inWidth - left;

  const xT = transpose(backend, x, [3, 1, 2, 0]); // [c, H, W, n]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [oH, oW, n, o]
  const out = conv2dExplicit(backend, xT, dyT, [1, 1], [sH, sW], { top, bottom, left, right }); // [c, kH, kW, o]
  disposeInfos(backend, xT, dyT);
  const dw = transpose(backend, out, [1, 2, 0, 3]);
  disposeInfos(backend, out);
  return dw;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
