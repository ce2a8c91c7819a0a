/**
 * Conv2D's gradient with dilations. tfjs-core's throws for dilation > 1
 * ("not yet supported in gradients"). A conv with filter w and dilation d is
 * the conv with w spread out by d (zeros between taps) and dilation 1, so the
 * gradients are the stock kernels' with the spread filter, and the filter
 * gradient is the spread one's at the taps. Backend-independent: only ops.
 * Dilation 1 takes tfjs-core's path unchanged.
 */
import {
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  engine,
  pad,
  reshape,
  slice,
  stridedSlice,
  type GradConfig,
  type NamedAttrMap,
  type Tensor,
  type Tensor4D,
} from '@tensorflow/tfjs-core';

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** [kh, kw, ci, co] -> [(kh-1)dh+1, (kw-1)dw+1, ci, co] with zeros between taps. */
export function spreadFilter(f: Tensor4D, dh: number, dw: number): Tensor4D {
  const [kh, kw, ci, co] = f.shape;
  let g: Tensor = f;
  if (dh > 1) {
    g = pad(reshape(g, [kh, 1, kw, ci, co]), [
      [0, 0],
      [0, dh - 1],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    g = slice(reshape(g, [kh * dh, kw, ci, co]), [0, 0, 0, 0], [(kh - 1) * dh + 1, kw, ci, co]);
  }
  const kh2 = g.shape[0];
  if (dw > 1) {
    g = pad(reshape(g, [kh2, kw, 1, ci, co]), [
      [0, 0],
      [0, 0],
      [0, dw - 1],
      [0, 0],
      [0, 0],
    ]);
    g = slice(reshape(g, [kh2, kw * dw, ci, co]), [0, 0, 0, 0], [kh2, (kw - 1) * dw + 1, ci, co]);
  }
  return g as Tensor4D;
}

export const conv2DGradConfig: GradConfig = {
  kernelName: Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x4D, filter] = saved as [Tensor4D, Tensor4D];
    const {
      dilations,
      strides,
      pad: padding,
      dataFormat,
    } = attrs as unknown as {
      dilations: number | [number, number];
      strides: number | [number, number];
      pad: 'valid' | 'same' | number;
      dataFormat: 'NHWC' | 'NCHW';
    };
    const [dh, dw] = pair(dilations ?? 1);
    const dy4 = dy as Tensor4D;
    let spread: Tensor4D | null = null;
    const f = (): Tensor4D => (spread ??= dh === 1 && dw === 1 ? filter : spreadFilter(filter, dh, dw));
    // The kernels directly, as tfjs-core's conv2DBackpropInput/Filter ops (not exported) do.
    const attrs0 = { strides, pad: padding, dataFormat } as unknown as NamedAttrMap;
    return {
      x: () => engine().runKernel(Conv2DBackpropInput, { dy: dy4, filter: f() }, { ...attrs0, inputShape: x4D.shape }) as Tensor,
      filter: () => {
        const g = engine().runKernel(
          Conv2DBackpropFilter,
          { x: x4D, dy: dy4 },
          {
            ...attrs0,
            filterShape: f().shape,
          },
        ) as Tensor4D;
        if (dh === 1 && dw === 1) return g;
        const [kh, kw, ci, co] = filter.shape;
        return stridedSlice(g, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co], [dh, dw, 1, 1]);
      },
    };
  },
};
