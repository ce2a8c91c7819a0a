/**
 * Our wasm kernels against the cpu backend, through the public ops and
 * tf.grads, the way training calls them. Inputs are seeded arrays so both
 * backends see the same numbers.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { tf } from '../../tf';
import type { Tensor } from '../../tf';
import { expectClose } from '../../nn/testing';
import { spreadFilter } from '../gradients/Conv2D_grad';
import { adam } from '../../optim/adam';
import { AdamUpdate, ReluGrad } from '../kernelNames';
import { reluGradLoop } from './ReluGrad';
import { lstmStep, lstmStepBackward } from '../../rnn/kernels';

type Shape = [number, number, number, number] | number[];
type Inputs = Record<string, { shape: Shape; data: Float32Array }>;

let seed = 12345;
function rand(shape: Shape, relu = false): { shape: Shape; data: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const v = seed / 2147483648 - 0.5;
    data[i] = relu ? Math.max(0, v) : v;
  }
  return { shape, data };
}

/** Runs f on `backend` with fresh tensors from `inputs`; returns outputs as arrays. */
async function on(backend: string, inputs: Inputs, f: (t: Record<string, Tensor>) => Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const ts: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape);
    return f(ts).map((o) => o.dataSync() as Float32Array);
  });
}

/** wasm vs cpu on the same function and inputs, within tol·max(1, |cpu|) elementwise. */
async function parity(inputs: Inputs, f: (t: Record<string, Tensor>) => Tensor[], tol = 1e-4): Promise<void> {
  const ref = await on('cpu', inputs, f);
  const got = await on('wasm', inputs, f);
  expectClose(got, ref, { atol: tol, rtol: tol });
}

afterAll(async () => {
  await tf.setBackend('wasm');
});

type Pad = 'valid' | 'same' | number | [[0, 0], [number, number], [number, number], [0, 0]];
const convCases: { name: string; x: Shape; f: Shape; s: number | [number, number]; pad: Pad; d?: number }[] = [
  { name: 'stride 1 same', x: [2, 7, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  // One gray channel to channels in fours: the SIMD filter gradient (grayFilterGrad); one row, one column too.
  { name: 'stride 1 same, gray to 8', x: [3, 13, 21, 1], f: [3, 3, 1, 8], s: 1, pad: 'same' },
  { name: 'stride 1 same, gray to 4, 1x1 image', x: [2, 1, 1, 1], f: [3, 3, 1, 4], s: 1, pad: 'same' },
  { name: 'stride 1 same, gray to 12, one row', x: [2, 1, 9, 1], f: [3, 3, 1, 12], s: 1, pad: 'same' },
  { name: 'stride 1 valid', x: [2, 7, 9, 3], f: [3, 2, 3, 4], s: 1, pad: 'valid' },
  { name: 'stride 2 valid', x: [2, 9, 8, 3], f: [3, 2, 3, 5], s: 2, pad: 'valid' },
  { name: 'stride 2 same, odd', x: [1, 7, 7, 2], f: [3, 3, 2, 3], s: 2, pad: 'same' },
  { name: 'stride [2,3] same, 5x4', x: [2, 11, 13, 2], f: [5, 4, 2, 3], s: [2, 3], pad: 'same' },
  { name: 'stride 2 explicit number', x: [2, 8, 9, 3], f: [3, 3, 3, 4], s: 2, pad: 1 },
  {
    name: 'stride [2,3] explicit per side',
    x: [2, 9, 10, 3],
    f: [3, 3, 3, 2],
    s: [2, 3],
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
  },
  { name: 'stride 3, kernel 2 (taps < stride)', x: [2, 8, 10, 3], f: [2, 2, 3, 4], s: 3, pad: 'valid' },
  {
    name: 'pad larger than kernel',
    x: [1, 6, 7, 2],
    f: [2, 2, 2, 3],
    s: 2,
    pad: [
      [0, 0],
      [3, 1],
      [2, 4],
      [0, 0],
    ],
  },
  { name: '1x1 stride 2', x: [2, 7, 8, 4], f: [1, 1, 4, 5], s: 2, pad: 'valid' },
  { name: 'dilation 2 same', x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'same', d: 2 },
  { name: 'dilation 2 valid', x: [2, 9, 10, 3], f: [3, 2, 3, 4], s: 1, pad: 'valid', d: 2 },
  {
    name: 'dilation 2 explicit',
    x: [1, 8, 9, 2],
    f: [2, 3, 2, 3],
    s: 1,
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
    d: 2,
  },
];

describe('Conv2DBackpropFilter / Conv2DBackpropInput', () => {
  for (const c of convCases) {
    test(`conv2d gradients, ${c.name}`, async () => {
      const out = tf.tidy(() =>
        tf.conv2d(
          tf.zeros(c.x as [number, number, number, number]) as tf.Tensor4D,
          tf.zeros(c.f as [number, number, number, number]) as tf.Tensor4D,
          c.s,
          c.pad as never,
          'NHWC',
          c.d ?? 1,
        ),
      ).shape;
      const inputs = { x: rand(c.x), f: rand(c.f), dy: rand(out) };
      const f = (t: Record<string, Tensor>) => {
        const g = tf.grads((x: Tensor, w: Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad as never, 'NHWC', c.d ?? 1));
        return g([t.x, t.f], t.dy);
      };
      await parity(inputs, f);
      if (c.d) {
        // An independent formula: the conv with the zero-spread filter, differentiated by tfjs.
        const indep = (t: Record<string, Tensor>) =>
          tf.grads((x: Tensor, w: Tensor) => tf.conv2d(x as tf.Tensor4D, spreadFilter(w as tf.Tensor4D, c.d!, c.d!), c.s, c.pad as never))([t.x, t.f], t.dy);
        expectClose(await on('wasm', inputs, f), await on('cpu', inputs, indep), { atol: 1e-4, rtol: 1e-4 });
      }
    });
  }

  // A gray image's first layer forward (grayConv): rims, one row, one pixel, channels in fours and not.
  for (const [x, cout] of [
    [[3, 13, 21, 1], 8],
    [[2, 1, 9, 1], 12],
    [[2, 1, 1, 1], 4],
    [[1, 50, 200, 1], 8],
    [[2, 5, 6, 1], 6],
  ] as const) {
    test(`conv2d forward, gray [${x}] to ${cout}, 3x3 same`, async () => {
      const inputs = { x: rand([...x]), f: rand([3, 3, 1, cout]) };
      await parity(inputs, (t) => [tf.conv2d(t.x as tf.Tensor4D, t.f as tf.Tensor4D, 1, 'same')]);
    });
  }

  test('conv2dTranspose forward and gradients (stride 2, same)', async () => {
    const inputs = { y: rand([2, 4, 5, 4]), f: rand([3, 3, 3, 4]), dx: rand([2, 8, 10, 3]) };
    await parity(inputs, (t) => [
      tf.conv2dTranspose(t.y as tf.Tensor4D, t.f as tf.Tensor4D, [2, 8, 10, 3], 2, 'same'),
      ...tf.grads((y: Tensor, w: Tensor) => tf.conv2dTranspose(y as tf.Tensor4D, w as tf.Tensor4D, [2, 8, 10, 3], 2, 'same'))([t.y, t.f], t.dx),
    ]);
  });

  test('fused conv2d with bias and relu', async () => {
    const inputs = { x: rand([2, 7, 7, 3]), f: rand([3, 3, 3, 4]), b: rand([4]), dy: rand([2, 4, 4, 4]) };
    await parity(inputs, (t) =>
      tf.grads((x: Tensor, w: Tensor, b: Tensor) =>
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, activation: 'relu', strides: 2, pad: 'same' }),
      )([t.x, t.f, t.b], t.dy),
    );
  });
});

describe('DepthwiseConv2dNative gradients', () => {
  const cases: { name: string; x: Shape; f: Shape; s: number; pad: Pad; d?: number }[] = [
    { name: 'stride 1 same, multiplier 2', x: [2, 7, 8, 3], f: [3, 3, 3, 2], s: 1, pad: 'same' },
    { name: 'stride 2 valid', x: [2, 9, 8, 3], f: [3, 2, 3, 1], s: 2, pad: 'valid' },
    {
      name: 'stride 2 explicit',
      x: [1, 8, 9, 2],
      f: [3, 3, 2, 2],
      s: 2,
      pad: [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const out = tf.tidy(() =>
        tf.depthwiseConv2d(
          tf.zeros(c.x as [number, number, number, number]) as tf.Tensor4D,
          tf.zeros(c.f as [number, number, number, number]) as tf.Tensor4D,
          c.s,
          c.pad as never,
        ),
      ).shape;
      const inputs = { x: rand(c.x), f: rand(c.f), dy: rand(out) };
      await parity(inputs, (t) =>
        tf.grads((x: Tensor, w: Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad as never))([t.x, t.f], t.dy),
      );
    });
  }
});

describe('MaxPoolGrad / AvgPoolGrad', () => {
  const cases: { name: string; x: Shape; k: number | [number, number]; s: number | [number, number]; pad: Pad }[] = [
    { name: '2x2 stride 2 valid', x: [2, 8, 10, 3], k: 2, s: 2, pad: 'valid' },
    { name: '3x3 stride 2 same, odd', x: [2, 7, 9, 3], k: 3, s: 2, pad: 'same' },
    { name: '2x2 stride 2 same, odd (ceil mode)', x: [2, 7, 9, 3], k: 2, s: 2, pad: 'same' },
    // Channels in fours: the SIMD kernel, and the JavaScript loop for a ceil-mode edge.
    { name: '2x2 stride 2 valid, 8 channels', x: [2, 8, 10, 8], k: 2, s: 2, pad: 'valid' },
    { name: '2x2 stride 2 same, odd, 8 channels', x: [2, 7, 9, 8], k: 2, s: 2, pad: 'same' },
    // 2×1 windows that halve the height alone (a CTC reader's pools): SIMD for channels in fours, JavaScript otherwise and for a ceil-mode edge.
    { name: '2x1 stride [2,1] valid, 8 channels', x: [2, 8, 5, 8], k: [2, 1], s: [2, 1], pad: 'valid' },
    { name: '2x1 stride [2,1] same, odd height, 4 channels', x: [3, 7, 3, 4], k: [2, 1], s: [2, 1], pad: 'same' },
    { name: '2x1 stride [2,1] valid, 3 channels', x: [2, 6, 5, 3], k: [2, 1], s: [2, 1], pad: 'valid' },
    { name: '3x3 stride 1 same (overlapping)', x: [1, 5, 6, 2], k: 3, s: 1, pad: 'same' },
    // A number pad only with square windows: tfjs-core 4.22 computes the output
    // shape of a number pad from the window's height alone.
    { name: '3x3 stride 2 explicit 1', x: [2, 7, 8, 2], k: 3, s: 2, pad: 1 },
    {
      name: '3x2 stride [2,1] explicit per side',
      x: [2, 7, 8, 2],
      k: [3, 2],
      s: [2, 1],
      pad: [
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 0],
      ],
    },
  ];
  for (const c of cases) {
    for (const relu of [false, true]) {
      test(`maxPool ${c.name}${relu ? ', ties (ReLU zeros)' : ''}`, async () => {
        const out = tf.tidy(() => tf.maxPool(tf.zeros(c.x as [number, number, number, number]) as tf.Tensor4D, c.k, c.s, c.pad as never)).shape;
        const inputs = { x: rand(c.x, relu), dy: rand(out) };
        await parity(inputs, (t) => tf.grads((x: Tensor) => tf.maxPool(x as tf.Tensor4D, c.k, c.s, c.pad as never))([t.x], t.dy));
      });
    }
    test(`avgPool ${c.name}`, async () => {
      const out = tf.tidy(() => tf.avgPool(tf.zeros(c.x as [number, number, number, number]) as tf.Tensor4D, c.k, c.s, c.pad as never)).shape;
      const inputs = { x: rand(c.x), dy: rand(out) };
      await parity(inputs, (t) => tf.grads((x: Tensor) => tf.avgPool(x as tf.Tensor4D, c.k, c.s, c.pad as never))([t.x], t.dy));
    });
  }
});

describe('UnsortedSegmentSum (gather gradient)', () => {
  test('gather axis 0 with repeated indices (LookupTable)', async () => {
    const inputs = { w: rand([10, 4]), dy: rand([2, 5, 4]) };
    const idx = [3, 1, 3, 9, 0, 1, 1, 7, 3, 2];
    await parity(inputs, (t) => tf.grads((w: Tensor) => tf.gather(w, tf.tensor2d(idx, [2, 5], 'int32'), 0))([t.w], t.dy));
  });
  test('gather axis 1', async () => {
    const inputs = { w: rand([3, 6, 2]), dy: rand([3, 4, 2]) };
    await parity(inputs, (t) => tf.grads((w: Tensor) => tf.gather(w, tf.tensor1d([5, 0, 5, 2], 'int32'), 1))([t.w], t.dy));
  });
  test('unsortedSegmentSum', async () => {
    const inputs = { x: rand([6, 3]) };
    await parity(inputs, (t) => [tf.unsortedSegmentSum(t.x, tf.tensor1d([2, 0, 2, 1, 0, 2], 'int32'), 4)]);
  });
});

describe('BatchMatMul / _FusedMatMul with transposes', () => {
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    test(`matMul transposeA=${ta} transposeB=${tb}`, async () => {
      const a = ta ? [7, 5] : [5, 7];
      const b = tb ? [3, 7] : [7, 3];
      const inputs = { a: rand(a), b: rand(b), dy: rand([5, 3]) };
      await parity(inputs, (t) => [tf.matMul(t.a, t.b, ta, tb), ...tf.grads((x: Tensor, y: Tensor) => tf.matMul(x, y, ta, tb))([t.a, t.b], t.dy)]);
    });
    test(`batched matMul transposeA=${ta} transposeB=${tb}`, async () => {
      const a = ta ? [3, 7, 5] : [3, 5, 7];
      const b = tb ? [3, 4, 7] : [3, 7, 4];
      const inputs = { a: rand(a), b: rand(b), dy: rand([3, 5, 4]) };
      await parity(inputs, (t) => tf.grads((x: Tensor, y: Tensor) => tf.matMul(x, y, ta, tb))([t.a, t.b], t.dy));
    });
    test(`fused matMul + bias + relu, transposeA=${ta} transposeB=${tb}`, async () => {
      const a = ta ? [7, 5] : [5, 7];
      const b = tb ? [3, 7] : [7, 3];
      const inputs = { a: rand(a), b: rand(b), c: rand([3]), dy: rand([5, 3]) };
      await parity(inputs, (t) =>
        tf.grads((x: Tensor, y: Tensor, z: Tensor) =>
          tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z, activation: 'relu', transposeA: ta, transposeB: tb }),
        )([t.a, t.b, t.c], t.dy),
      );
    });
  }
  // A short a against a larger b (Linear's input gradient): gemm.c's product, whole and partial strips of 8 columns
  // (16 past 1024 rows of b) and of 4 rows.
  for (const [a, b] of [
    [
      [16, 64],
      [64, 64],
    ],
    [
      [5, 37],
      [37, 45],
    ],
    [
      [1, 9],
      [9, 16],
    ],
    [
      [32, 20],
      [20, 33],
    ],
    [
      [1, 3, 40],
      [1, 40, 50],
    ],
    [
      [5, 1030],
      [1030, 37],
    ],
  ]) {
    test(`matMul [${a}]·[${b}], a short a`, async () => {
      const inputs = { a: rand(a), b: rand(b) };
      await parity(inputs, (t) => [tf.matMul(t.a, t.b)]);
    });
  }
  // Linear's forward shape: the kernel swaps the operands (packSmallerPays).
  for (const [a, b] of [
    [
      [3, 40],
      [50, 40],
    ],
    [
      [1, 3, 40],
      [1, 50, 40],
    ],
  ]) {
    test(`matMul [${a}]·[${b}]ᵀ, the small operand packed`, async () => {
      const inputs = { a: rand(a), b: rand(b), dy: rand([...a.slice(0, -1), 50]) };
      await parity(inputs, (t) => [tf.matMul(t.a, t.b, false, true), ...tf.grads((x: Tensor, y: Tensor) => tf.matMul(x, y, false, true))([t.a, t.b], t.dy)]);
    });
  }
});

describe('BatchMatMul, the packed product (more than 32 rows)', () => {
  // Whole and partial 4-row tiles and 8-column panels, k of 1, each operand transposed, batches with broadcasting.
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [36, 24], b: [24, 16], ta: false, tb: false },
    { a: [37, 5], b: [5, 13], ta: false, tb: false },
    { a: [33, 1], b: [1, 9], ta: false, tb: false },
    { a: [19, 41], b: [19, 7], ta: true, tb: false },
    { a: [43, 11], b: [3, 11], ta: false, tb: true },
    { a: [9, 38], b: [17, 9], ta: true, tb: true },
    { a: [3, 34, 6], b: [3, 6, 10], ta: false, tb: false },
    { a: [2, 3, 35, 6], b: [6, 12], ta: false, tb: false },
    { a: [40, 6], b: [4, 6, 9], ta: false, tb: false },
    { a: [2, 7, 34], b: [1, 5, 7], ta: true, tb: true },
  ];
  for (const { a, b, ta, tb } of cases) {
    // tfjs's BatchMatMul gradient does not reduce over broadcast batch axes (on any backend), so those cases check the product alone.
    const broadcast = a.slice(0, -2).join() !== b.slice(0, -2).join();
    test(`matMul [${a}]·[${b}] transposeA=${ta} transposeB=${tb}${broadcast ? '' : ', and its gradients'}`, async () => {
      const m = ta ? a[a.length - 1]! : a[a.length - 2]!;
      const n = tb ? b[b.length - 2]! : b[b.length - 1]!;
      const inputs = { a: rand(a), b: rand(b), dy: rand([...a.slice(0, -2), m, n]) };
      await parity(inputs, (t) => [
        tf.matMul(t.a, t.b, ta, tb),
        ...(broadcast ? [] : tf.grads((x: Tensor, y: Tensor) => tf.matMul(x, y, ta, tb))([t.a, t.b], t.dy)),
      ]);
    });
  }
  test('a product with a NaN in one row leaves the other rows finite', async () => {
    await tf.setBackend('wasm');
    const a = tf.tidy(() => tf.concat([tf.fill([1, 9], Number.NaN), tf.ones([36, 9])]));
    const y = tf.matMul(a, tf.ones([9, 11]));
    const v = y.arraySync() as number[][];
    expect(v[0]!.every(Number.isNaN)).toBe(true);
    expect(
      v
        .slice(1)
        .flat()
        .every((x) => x === 9),
    ).toBe(true);
    tf.dispose([a, y]);
  });
});

describe('AdamUpdate', () => {
  // 37·5 parameters: SIMD lanes and a scalar tail. The third gradient is tiny, so that √v is of the order of ε.
  test('three Adam steps, weight decay on, match the composed ops on cpu', async () => {
    expect(tf.getKernel(AdamUpdate, 'wasm')).toBeDefined();
    expect(tf.getKernel(AdamUpdate, 'cpu')).toBeUndefined();
    const shape = [37, 5];
    const inputs = { x: rand(shape), g1: rand(shape), g2: rand(shape), g3: { shape, data: rand(shape).data.map((v) => v * 1e-7) } };
    await parity(
      inputs,
      (t) => {
        const x = tf.variable(t.x.clone());
        const state: Record<string, unknown> = {};
        for (const g of [t.g1, t.g2, t.g3]) adam(() => [0, [g.clone()]], [x], { learningRate: 0.01, weightDecay: 0.1 }, state);
        const bufs = [...(state.m as Tensor[]), ...(state.v as Tensor[])];
        const out = [x.clone(), ...bufs.map((b) => b.clone())];
        x.dispose();
        for (const b of bufs) b.dispose();
        return out;
      },
      1e-6,
    );
  });
});

describe('ReluGrad', () => {
  // Sizes with a scalar tail (not a multiple of 4) and without; a value of x at 0 exactly, where step is 0.
  test.each([[[37, 5]], [[2, 9, 8, 4]], [[3]], [[1]]])('the gradient of relu, %j, equals the composed ops on cpu bit for bit', async (shape) => {
    expect(tf.getKernel(ReluGrad, 'wasm')).toBeDefined();
    expect(tf.getKernel(ReluGrad, 'cpu')).toBeUndefined();
    const x = rand(shape);
    x.data[0] = 0;
    await parity({ x, dy: rand(shape) }, (t) => [tf.grad((x: Tensor) => tf.mul(tf.relu(x), t.dy!))(t.x!)], 0);
  });

  test('NaN and ±∞ pass as dy·cast(step(x)) passes them, in SIMD lanes, the scalar tail and the JavaScript loop', async () => {
    const x = [Number.NaN, 1, -1, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2, -2, Number.NaN, 0.5, -0.5];
    const dy = [1, Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, 3, 4, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 2, 1, 0];
    // What the composed ops give on cpu: NaN x gives NaN, and 0·±∞ or 0·NaN gives NaN.
    const want = [Number.NaN, Number.NaN, Number.NaN, Number.NaN, 3, 0, Number.NEGATIVE_INFINITY, Number.NaN, Number.NaN, 1, 0];
    const inputs = { x: { shape: [11], data: Float32Array.from(x) }, dy: { shape: [11], data: Float32Array.from(dy) } };
    const f = (t: Record<string, Tensor>) => [tf.grad((x: Tensor) => tf.mul(tf.relu(x), t.dy!))(t.x!)];
    const [cpu] = await on('cpu', inputs, f);
    const [wasm] = await on('wasm', inputs, f);
    const loop = new Float32Array(11);
    reluGradLoop(inputs.dy.data, inputs.x.data, loop);
    expect(Array.from(cpu!)).toEqual(want);
    expect(Array.from(wasm!)).toEqual(want);
    expect(Array.from(loop)).toEqual(want);
  });
});

describe('Add', () => {
  // A channel vector over a big enough tensor takes the SIMD path (Add.ts); the rest the stock kernel.
  const cases: [number[], number[]][] = [
    [[16, 10, 12, 8], [8]],
    [[8], [16, 32, 8]],
    [
      [16, 32, 8],
      [1, 1, 8],
    ],
    [[128, 40], [40]],
    [[16, 10, 12, 6], [6]],
    [
      [16, 10, 12, 8],
      [16, 10, 12, 8],
    ],
  ];
  for (const [a, b] of cases)
    test(`[${a}] + [${b}], and its gradients`, async () => {
      const out = tf.tidy(() => tf.add(tf.zeros(a), tf.zeros(b)).shape);
      const inputs = { a: rand(a), b: rand(b), dy: rand(out) };
      // The sum itself is exact; the bias gradient's sum over rows differs in rounding order.
      await parity(inputs, (t) => [tf.add(t.a, t.b)], 0);
      await parity(inputs, (t) => tf.grads((x: Tensor, y: Tensor) => tf.add(x, y))([t.a, t.b], t.dy));
    });
});

describe('Slice / Unpack / SplitV (copying only what they return)', () => {
  // Exact: a slice moves numbers. Whole trailing dimensions make one run per outer index; a
  // partial last dimension one run per row; ranks 1 to 4, sizes of −1, a dimension of 1.
  const slices: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [
      [5, 6],
      [1, 0],
      [3, 6],
    ],
    [
      [5, 6],
      [1, 2],
      [-1, 3],
    ],
    [
      [4, 3, 5],
      [1, 1, 2],
      [2, 1, 3],
    ],
    [
      [4, 3, 5],
      [3, 0, 0],
      [1, -1, -1],
    ],
    [
      [2, 3, 4, 5],
      [1, 0, 1, 0],
      [1, 3, 2, 5],
    ],
    [
      [2, 3, 4, 5],
      [0, 1, 0, 2],
      [2, 2, 4, 3],
    ],
    [
      [1, 4, 1],
      [0, 1, 0],
      [1, 2, 1],
    ],
  ];
  for (const [shape, begin, size] of slices)
    test(`[${shape}] from [${begin}] size [${size}], and its gradient`, async () => {
      const out = tf.tidy(() => tf.slice(tf.zeros(shape), begin, size).shape);
      const inputs = { x: rand(shape), dy: rand(out) };
      await parity(inputs, (t) => [tf.slice(t.x, begin, size)], 0);
      await parity(inputs, (t) => tf.grads((x: Tensor) => tf.slice(x, begin, size))([t.x], t.dy), 0);
    });
  test('unstack along each axis, and split into equal and unequal parts along each axis', async () => {
    const inputs = { x: rand([3, 4, 5]) };
    for (const axis of [0, 1, 2]) {
      await parity(inputs, (t) => tf.unstack(t.x, axis), 0);
      await parity(inputs, (t) => tf.split(t.x, [1, -1], axis), 0);
    }
    await parity(inputs, (t) => tf.split(t.x, 2, 1), 0);
    await parity({ x: rand([16, 512]) }, (t) => tf.split(t.x, 4, 1), 0);
  });
  test('int32 and bool keep their dtype and values; an empty slice is empty', async () => {
    await tf.setBackend('wasm');
    tf.tidy(() => {
      const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
      const s = tf.slice(i, [0, 1], [2, 2]);
      expect(s.dtype).toBe('int32');
      expect(Array.from(s.dataSync())).toEqual([2, 3, 5, 6]);
      expect(tf.unstack(i, 1).map((t) => Array.from(t.dataSync()))).toEqual([
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      const b = tf.split(tf.tensor1d([1, 0, 1], 'bool'), [2, 1]);
      expect(b.map((t) => [t.dtype, Array.from(t.dataSync())])).toEqual([
        ['bool', [1, 0]],
        ['bool', [1]],
      ]);
      expect(tf.slice(i, [1, 0], [0, 3]).shape).toEqual([0, 3]);
    });
  });
});

describe('LstmCell / LstmCellGrad (one LSTM step, fused)', () => {
  // H a multiple of 4 runs lstm.c's SIMD loops; H = 5 the JavaScript ones. cpu has no such kernel, so it runs
  // the composed ops (kernels.ts's lstmForward and lstmBackward) that the fused step replaces.
  for (const [n, h, scale] of [
    [3, 8, 1],
    [2, 5, 1],
    [4, 4, 40],
  ])
    test(`N = ${n}, H = ${h}, pre-activations up to ±${scale / 2}: h, c, and dpre and dcPrev with and without the next dc`, async () => {
      const big = (shape: number[]) => {
        const r = rand(shape);
        return { shape, data: r.data.map((v) => v * scale) };
      };
      const inputs = { pre: big([n, 4 * h]), c: rand([n, h]), dh: rand([n, h]), dc: rand([n, h]) };
      await parity(
        inputs,
        (t) => {
          const s = lstmStep(t.pre, t.c);
          return [s.h, s.c];
        },
        2e-6,
      );
      await parity(
        inputs,
        (t) => {
          const s = lstmStep(t.pre, t.c);
          const a = lstmStepBackward(s.cache, t.c, s.c, t.dh, t.dc);
          const b = lstmStepBackward(s.cache, t.c, s.c, t.dh, null);
          return [a.dPre, a.dcPrev, b.dPre, b.dcPrev];
        },
        2e-6,
      );
    });
  test('the wasm step keeps one [N, 5H] tensor for its backward, and NaN stays NaN', async () => {
    await tf.setBackend('wasm');
    tf.tidy(() => {
      const s = lstmStep(tf.tensor2d([Number.NaN, 0, 0, 0, 1, 2, 3, 4], [2, 4]), tf.zeros([2, 1]));
      expect(s.cache.map((t) => t.shape)).toEqual([[2, 5]]);
      expect(Number.isNaN(s.h.dataSync()[0])).toBe(true);
      expect(Number.isNaN(s.h.dataSync()[1])).toBe(false);
    });
  });
});

describe('FusedBatchNorm (inference batch norm)', () => {
  // Channels a multiple of 4 take the SIMD affine pass (FusedBatchNorm.ts); 6 the stock kernel.
  const cases: [string, number[], boolean][] = [
    ['[16,10,12,8] with offset and scale', [16, 10, 12, 8], true],
    ['[16,10,12,8] without', [16, 10, 12, 8], false],
    ['[32,40] (BatchNormalization)', [32, 40], true],
    ['[4,5,7,6] (6 channels)', [4, 5, 7, 6], true],
  ];
  for (const [name, shape, affine] of cases)
    test(name, async () => {
      const c = shape[shape.length - 1]!;
      const variance = rand([c]);
      variance.data.forEach((v, i) => (variance.data[i] = v + 0.6));
      const inputs = { x: rand(shape), mean: rand([c]), variance, offset: rand([c]), scale: rand([c]) };
      await parity(inputs, (t) => [tf.batchNorm(t.x, t.mean, t.variance, affine ? t.offset : undefined, affine ? t.scale : undefined, 1e-5)], 1e-5);
    });
});

describe('Sum / Mean', () => {
  // Leading-axes reductions take the product path; the others must still reach the stock kernel.
  const cases: { x: number[]; axis: number | number[] }[] = [
    { x: [4, 5, 6, 7], axis: [0, 1, 2] },
    { x: [4, 5, 6, 7], axis: [2, 0, 1] },
    { x: [4, 5, 6, 7], axis: [0, 1] },
    { x: [4, 5, 6, 7], axis: 0 },
    { x: [33, 17], axis: 0 },
    { x: [33, 17], axis: -2 },
    { x: [4, 5, 6, 7], axis: [0, 2] },
    { x: [4, 5, 6, 7], axis: 3 },
    { x: [4, 5, 6, 7], axis: [0, 1, 2, 3] },
    // Kept sizes in fours take the SIMD sums (channelKernels.ts), over rows in and past a block.
    { x: [16, 50, 20, 8], axis: [0, 1, 2] },
    { x: [33, 64], axis: 0 },
  ];
  for (const { x, axis } of cases)
    for (const keepDims of [false, true])
      test(`x [${x}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`, async () => {
        const inputs = { x: rand(x) };
        await parity(inputs, (t) => [tf.sum(t.x, axis, keepDims), tf.mean(t.x, axis, keepDims)]);
        const shape = (await on('wasm', inputs, (t) => [tf.sum(t.x, axis, keepDims)]))[0].length;
        expect(shape).toBe((await on('cpu', inputs, (t) => [tf.sum(t.x, axis, keepDims)]))[0].length);
      });
  test('keeps the stock output shape, and int32 sums stay exact', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([3, 4, 5]);
    expect(tf.sum(x, [0, 1], true).shape).toEqual([1, 1, 5]);
    expect(tf.mean(x, [1, 0]).shape).toEqual([5]);
    const i = tf.tensor(
      [
        [1, 2],
        [3, 2147483],
      ],
      [2, 2],
      'int32',
    );
    expect(Array.from(tf.sum(i, 0).dataSync())).toEqual([4, 2147485]);
    expect(tf.sum(i, 0).dtype).toBe('int32');
    tf.dispose([x, i]);
  });
  test('batch-norm statistics and their gradient match cpu', async () => {
    const inputs = { x: rand([3, 6, 5, 4]), dy: rand([3, 6, 5, 4]) };
    await parity(inputs, (t) =>
      tf.grads((x: Tensor) => {
        const m = tf.mean(x, [0, 1, 2]);
        const v = tf.mean(tf.square(tf.sub(x, m)), [0, 1, 2]);
        return tf.mul(tf.sub(x, m), tf.rsqrt(tf.add(v, 1e-5)));
      })([t.x], t.dy),
    );
  });
});

describe('a convnet training step', () => {
  test('conv-relu-pool-conv(stride 2)-linear-logSoftmax: all gradients match cpu', async () => {
    const inputs = {
      x: rand([4, 10, 12, 1]),
      w1: rand([3, 3, 1, 4]),
      b1: rand([4]),
      w2: rand([3, 3, 4, 6]),
      w3: rand([5, 3 * 3 * 6]),
    };
    await parity(inputs, (t) =>
      tf.grads((w1: Tensor, b1: Tensor, w2: Tensor, w3: Tensor) => {
        let h = tf.relu(tf.add(tf.conv2d(t.x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'), b1)) as tf.Tensor4D;
        h = tf.maxPool(h, 2, 2, 'valid');
        h = tf.relu(tf.conv2d(h, w2 as tf.Tensor4D, 2, 'same'));
        const logits = tf.matMul(tf.reshape(h, [4, -1]), w3, false, true);
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot([0, 3, 1, 4], 5)), 1)));
      })([t.w1, t.b1, t.w2, t.w3]),
    );
  });
});

describe('no leaks', () => {
  test('every replaced kernel frees its intermediates', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.randomNormal([2, 9, 8, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const a = tf.randomNormal([5, 7]);
    const b = tf.randomNormal([3, 7]);
    const tall = tf.randomNormal([2, 37, 7]);
    const tallB = tf.randomNormal([2, 3, 7]);
    const step = () =>
      tf.tidy(() => {
        const gs = [
          ...tf.grads((x: Tensor, w: Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'))([x, w]),
          ...tf.grads((x: Tensor, w: Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2))([x, w]),
          ...tf.grads((x: Tensor) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'))([x]),
          ...tf.grads((x: Tensor) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'))([x]),
          ...tf.grads((x: Tensor) => tf.relu(x))([x]),
          ...tf.grads((a: Tensor, b: Tensor) => tf.matMul(a, b, false, true))([a, b]),
          ...tf.grads((t: Tensor, b: Tensor) => tf.matMul(t, b, false, true))([tall, tallB]),
          tf.matMul(tall, b, false, true),
          ...tf.grads((w: Tensor) => tf.gather(w, tf.tensor1d([1, 1, 0], 'int32')))([a]),
          tf.sum(x, [0, 1, 2]),
          tf.mean(x, [0, 1], true),
          ...tf.unstack(x, 1),
          ...tf.split(x, [1, 2], 3),
          tf.slice(x, [0, 1, 2, 0], [2, 3, 4, 2]),
        ];
        gs.forEach((g) => g.dataSync());
      });
    step();
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(ids);
    tf.dispose([x, w, a, b, tall, tallB]);
  });
});
