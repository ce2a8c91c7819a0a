// A probe for issue #18 (docs/results.md, "A wider trunk, same recipe and time"): registers `crnnw`, the `crnn`
// example's head (Linear → BN → ReLU → a recurrent layer over `length` steps → Linear + LogSoftMax per step) on a
// trunk with 4× the compact variant's channels: groups 32 | 64 | 128,128 | 192,192 of conv 3×3 + BN + ReLU, each
// followed by 2×2 ceil-mode max pooling. Not a model of the library yet; load it with `--import`:
//   captcha-nn train --import scripts/probes/wide-trunk.mjs --model crnnw --data DIR ...
import {
  BatchNormalization,
  Linear,
  LogSoftMax,
  Recurrent,
  ReLU,
  Sequencer,
  Sequential,
  SpatialBatchNormalization,
  SpatialConvolution,
  SpatialMaxPooling,
  SplitTable,
  View,
} from '@captcha-nn/core';
import { checkModelOptions, registerModel, textTask } from '@captcha-nn/train';

const GROUPS = [[32], [64], [128, 128], [192, 192]];
const STEP = 128;
const HIDDEN = 128;

function buildWideCrnn(opts) {
  checkModelOptions(opts, 'buildWideCrnn');
  const net = new Sequential();
  let [c, h, w] = [opts.channels, opts.height, opts.width];
  for (const group of GROUPS) {
    for (const k of group) {
      net.add(new SpatialConvolution(c, k, 3, 3, 1, 1, 1, 1));
      net.add(new SpatialBatchNormalization(k, 1e-3));
      net.add(new ReLU(true));
      c = k;
    }
    net.add(new SpatialMaxPooling(2, 2, 2, 2).ceil());
    [h, w] = [Math.ceil(h / 2), Math.ceil(w / 2)];
  }
  const { length: L, numClasses: C } = opts;
  net.add(new View(-1, h * w * c));
  net.add(new Linear(h * w * c, L * STEP));
  net.add(new BatchNormalization(L * STEP, 1e-3));
  net.add(new ReLU(true));
  net.add(new View(-1, L, STEP));
  net.add(new SplitTable(1));
  net.add(new Sequencer(new Recurrent(HIDDEN, new Linear(STEP, HIDDEN), new Linear(HIDDEN, HIDDEN), new ReLU(), L)));
  net.add(new Sequencer(new Linear(HIDDEN, C)));
  net.add(new Sequencer(new LogSoftMax()));
  return { model: net, task: textTask('table') };
}

registerModel('crnnw', buildWideCrnn, 'probe: crnn head on a 4x wider trunk (scripts/probes/wide-trunk.mjs)', {
  imports: [new URL(import.meta.url).pathname],
});
