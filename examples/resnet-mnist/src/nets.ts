/**
 * Plain and residual nets of depth 6N + 10, built from Torch modules as in
 * the 2016 Torch7 series:
 *
 * - a stem of three 3×3 convolutions (`width` channels, 16 by default), each
 *   with SpatialBatchNormalization and ReLU;
 * - three stages of width, 2·width and 4·width channels (16, 32, 64; stride 2
 *   into the second and third), each an entry unit that changes the width
 *   and stride followed by N units;
 * - the head: 2×2 max pooling (ceil) and one Linear layer, or global
 *   average pooling and a Linear layer.
 *
 * That is 3 + 3·2·(N + 1) + 1 = 6N + 10 weight layers on the longest path.
 * A residual unit is ConcatTable(branch, shortcut) → CAddTable → ReLU, the
 * branch conv-BN-ReLU-conv-BN and the shortcut the Identity, or a 1×1
 * convolution with stride 2 and BN where the shape changes. A plain unit is
 * the branch followed by ReLU. Weights start as Torch's modules start them;
 * `zeroResidual` zeroes each branch's last batch-norm weight. With
 * `stochasticDepth` a residual unit is ResidualDrop(branch, shortcut) → ReLU,
 * the l-th of L units dropped with probability l/L · stochasticDepth.
 */
import {
  CAddTable,
  ConcatTable,
  Identity,
  ReLU,
  ResidualDrop,
  Sequential,
  SpatialAveragePooling,
  SpatialBatchNormalization,
  SpatialConvolution,
  SpatialMaxPooling,
  View,
  tf,
  type Module,
} from '@captcha-nn/core';
import { unitsPerStage, type ResnetSettings } from './settings';

/** Channels of the three stages. */
export const stageWidths = (width: number): [number, number, number] => [width, 2 * width, 4 * width];

/** Output side of a 3×3 pad-1 convolution (or 1×1 pad-0) with this stride, and of 2×2 stride-2 ceil pooling. */
export const halfCeil = (n: number): number => Math.ceil(n / 2);

const conv3 = (nIn: number, nOut: number, stride = 1) => new SpatialConvolution(nIn, nOut, 3, 3, stride, stride, 1, 1);

function branch(nIn: number, nOut: number, stride: number): Sequential {
  return new Sequential(conv3(nIn, nOut, stride), new SpatialBatchNormalization(nOut), new ReLU(true), conv3(nOut, nOut), new SpatialBatchNormalization(nOut));
}

/**
 * ConcatTable(branch, shortcut) → CAddTable → ReLU; the shortcut projects (1×1 conv, stride, BN) when the shape
 * changes. With `zeroResidual` the branch's last batch norm starts at weight 0, so the unit starts as its shortcut.
 * A `deathRate` above 0 makes it ResidualDrop(branch, shortcut) → ReLU: stochastic depth.
 */
export function residualUnit(nIn: number, nOut: number, stride = 1, zeroResidual = false, deathRate = 0): Sequential {
  const path = branch(nIn, nOut, stride);
  if (zeroResidual) {
    const bn = path.get(-1) as SpatialBatchNormalization;
    tf.tidy(() => (bn.weight as tf.Variable).assign(tf.zeros([nOut])));
  }
  const shortcut: Module =
    nIn === nOut && stride === 1
      ? new Identity()
      : new Sequential(new SpatialConvolution(nIn, nOut, 1, 1, stride, stride), new SpatialBatchNormalization(nOut));
  if (deathRate > 0) return new Sequential(new ResidualDrop(deathRate, path, shortcut), new ReLU(true));
  return new Sequential(new ConcatTable(path, shortcut), new CAddTable(), new ReLU(true));
}

/** The residual unit's layers without the shortcut. */
export function plainUnit(nIn: number, nOut: number, stride = 1): Sequential {
  return new Sequential(...branch(nIn, nOut, stride).modules, new ReLU(true));
}

/** Where the trunk leaves the image: channels and spatial size after the third stage. */
export function trunkOutput(s: ResnetSettings, height: number, width: number): { channels: number; height: number; width: number } {
  return { channels: stageWidths(s.width)[2], height: halfCeil(halfCeil(height)), width: halfCeil(halfCeil(width)) };
}

/** Stem and three stages: [N, H, W, channels] in, [N, ⌈H/4⌉, ⌈W/4⌉, 4·width] out. */
export function trunk(s: ResnetSettings, channels: number): Sequential {
  const n = unitsPerStage(s.depth);
  const units = 3 * (n + 1);
  let l = 0;
  // Huang et al.'s linear decay: the l-th unit of L dies with probability l/L · p_L.
  const unit = (nIn: number, nOut: number, stride = 1) => {
    l += 1;
    return s.residual ? residualUnit(nIn, nOut, stride, s.zeroResidual, (l / units) * s.stochasticDepth) : plainUnit(nIn, nOut, stride);
  };
  const net = new Sequential();
  let c = channels;
  for (let i = 0; i < 3; i++) {
    net.add(conv3(c, s.width));
    net.add(new SpatialBatchNormalization(s.width));
    net.add(new ReLU(true));
    c = s.width;
  }
  stageWidths(s.width).forEach((w, stage) => {
    net.add(unit(c, w, stage === 0 ? 1 : 2));
    for (let u = 0; u < n; u++) net.add(unit(w, w));
    c = w;
  });
  return net;
}

/** The pooling and View in front of the Linear layer, and the features it gets. */
export function headPooling(s: ResnetSettings, height: number, width: number): { modules: Module[]; features: number } {
  const t = trunkOutput(s, height, width);
  if (s.head === 'gap') return { modules: [new SpatialAveragePooling(t.width, t.height), new View(-1, t.channels)], features: t.channels };
  const size = t.channels * halfCeil(t.height) * halfCeil(t.width);
  return { modules: [new SpatialMaxPooling(2, 2, 2, 2).ceil(), new View(-1, size)], features: size };
}
