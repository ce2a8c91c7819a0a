import { describe, expect, it } from 'vitest';
import { CAddTable } from '../src/nn/CAddTable';
import { Concat } from '../src/nn/Concat';
import { ConcatTable } from '../src/nn/ConcatTable';
import { Identity } from '../src/nn/Identity';
import { Linear } from '../src/nn/Linear';
import { ParallelTable } from '../src/nn/ParallelTable';
import { ReLU } from '../src/nn/ReLU';
import { Reshape } from '../src/nn/Reshape';
import { Sequential } from '../src/nn/Sequential';
import { SpatialBatchNormalization } from '../src/nn/SpatialBatchNormalization';
import { SpatialConvolution } from '../src/nn/SpatialConvolution';
import { View } from '../src/nn/View';

/*
 * Expected texts are what Torch7 prints for the same Lua models, derived by
 * hand from the `__tostring__` methods of nn.Sequential, nn.ConcatTable,
 * nn.Concat and nn.ParallelTable (torch/nn master): a child's continuation
 * lines are indented by two spaces in Sequential, by `  |    ` (or seven
 * spaces under the last `` `-> `` branch of Concat/ConcatTable) in the
 * branching containers.
 */
describe('printing as Torch7', () => {
  it('the seed ResNet basic block', () => {
    // Lua:
    // nn.Sequential()
    //   :add(nn.ConcatTable()
    //     :add(nn.Sequential()
    //       :add(nn.SpatialConvolution(64,64,3,3,1,1,1,1)):add(nn.SpatialBatchNormalization(64))
    //       :add(nn.ReLU(true))
    //       :add(nn.SpatialConvolution(64,64,3,3,1,1,1,1)):add(nn.SpatialBatchNormalization(64)))
    //     :add(nn.Identity()))
    //   :add(nn.CAddTable(true))
    //   :add(nn.ReLU(true))
    const block = new Sequential(
      new ConcatTable(
        new Sequential(
          new SpatialConvolution(64, 64, 3, 3, 1, 1, 1, 1),
          new SpatialBatchNormalization(64),
          new ReLU(true),
          new SpatialConvolution(64, 64, 3, 3, 1, 1, 1, 1),
          new SpatialBatchNormalization(64),
        ),
        new Identity(),
      ),
      new CAddTable(true),
      new ReLU(true),
    );
    expect(block.toString()).toBe(
      [
        'nn.Sequential {',
        '  [input -> (1) -> (2) -> (3) -> output]',
        '  (1): nn.ConcatTable {',
        '    input',
        '      |`-> (1): nn.Sequential {',
        '      |      [input -> (1) -> (2) -> (3) -> (4) -> (5) -> output]',
        '      |      (1): nn.SpatialConvolution(64 -> 64, 3x3, 1,1, 1,1)',
        '      |      (2): nn.SpatialBatchNormalization (4D) (64)',
        '      |      (3): nn.ReLU',
        '      |      (4): nn.SpatialConvolution(64 -> 64, 3x3, 1,1, 1,1)',
        '      |      (5): nn.SpatialBatchNormalization (4D) (64)',
        '      |    }',
        '       `-> (2): nn.Identity',
        '       ... -> output',
        '  }',
        '  (2): nn.CAddTable',
        '  (3): nn.ReLU',
        '}',
      ].join('\n'),
    );
    block.dispose();
  });

  it('Concat and ParallelTable nested in each other, with continuation lines', () => {
    // Lua: nn.Sequential():add(nn.Concat(2)
    //        :add(nn.ParallelTable():add(nn.Linear(4,3)):add(nn.Sequential():add(nn.Reshape(3,4)):add(nn.View(-1, 12))))
    //        :add(nn.Sequential():add(nn.Identity()):add(nn.ReLU())))
    const m = new Sequential(
      new Concat(1, new ParallelTable(new Linear(4, 3), new Sequential(new Reshape(3, 4), new View(-1, 12))), new Sequential(new Identity(), new ReLU())),
    );
    expect(m.toString()).toBe(
      [
        'nn.Sequential {',
        '  [input -> (1) -> output]',
        '  (1): nn.Concat {',
        '    input',
        '      |`-> (1): nn.ParallelTable {',
        '      |      input',
        '      |        |`-> (1): nn.Linear(4 -> 3)',
        '      |        |`-> (2): nn.Sequential {',
        '      |        |      [input -> (1) -> (2) -> output]',
        '      |        |      (1): nn.Reshape(3x4)',
        '      |        |      (2): nn.View(-1, 12)',
        '      |        |    }',
        '      |         ... -> output',
        '      |    }',
        '       `-> (2): nn.Sequential {',
        '             [input -> (1) -> (2) -> output]',
        '             (1): nn.Identity',
        '             (2): nn.ReLU',
        '           }',
        '       ... -> output',
        '  }',
        '}',
      ].join('\n'),
    );
  });
});
