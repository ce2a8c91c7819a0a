import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { ShapeError } from '../util/errors';
import { Linear } from './Linear';
import { ReLU } from './ReLU';
import { Sequential } from './Sequential';
import { expectClose, expectFlatMemory } from './testing';

const xs = [-2, -0.5, 0, 0.5, 1.5, 3];
const dys = [0.3, -1, 2, 0.7, -0.2, 1.1];

describe('ReLU', () => {
  it('forward is max(0, x); backward passes dy where x > 0 and 0 elsewhere, 0 at x = 0 as Torch', () => {
    const m = new ReLU();
    const x = tf.tensor2d(xs, [2, 3]);
    const dy = tf.tensor2d(dys, [2, 3]);
    const y = m.forward(x) as Tensor;
    expect(y.shape).toEqual([2, 3]);
    expectClose(
      y,
      [
        [0, 0, 0],
        [0.5, 1.5, 3],
      ],
      { atol: 0 },
    );
    // Torch's Threshold(0, 0): gradInput = input > 0 ? gradOutput : 0, dy's float32 values unchanged
    const ref = new Float32Array([0, 0, 0, 0.7, -0.2, 1.1]);
    expectClose(m.backward(x, dy), ref, { atol: 0 });
    // without a forward, the autodiff path gives the same
    const m2 = new ReLU();
    expectClose(m2.updateGradInput(x, dy), ref, { atol: 0 });
    m.dispose();
    m2.dispose();
    x.dispose();
    dy.dispose();
  });

  it('works elementwise on any shape (an NHWC map, a vector, a scalar)', () => {
    const m = new ReLU();
    const x = tf.tensor4d([1, -1, -3, 2, 0, -0.25, 4, 5], [1, 2, 2, 2]);
    const y = m.forward(x) as Tensor;
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expectClose(y, tf.maximum(x, 0), { atol: 0 });
    expectClose(
      m.forward(tf.tensor1d(xs)),
      xs.map((v) => Math.max(0, v)),
      { atol: 0 },
    );
    expectClose(m.forward(tf.scalar(-7)), 0, { atol: 0 });
    m.dispose();
  });

  it('has no parameters: parameters() is empty and accGradParameters changes nothing', () => {
    const m = new ReLU();
    expect(m.parameters()).toEqual([[], []]);
    expect(m.stateDict()).toEqual({});
    const x = tf.tensor1d(xs);
    m.forward(x);
    m.accGradParameters(x, tf.tensor1d(dys));
    expect(m.parameters()).toEqual([[], []]);
    m.dispose();
  });

  it("takes Torch's inplace flag but never overwrites the input; prints nn.ReLU either way, as Torch", () => {
    expect(new ReLU().inplace).toBe(false);
    const m = new ReLU(true);
    expect(m.inplace).toBe(true);
    const x = tf.tensor1d(xs);
    m.forward(x);
    m.backward(x, tf.tensor1d(dys));
    expect(x.isDisposed).toBe(false);
    expect(Array.from(x.dataSync())).toEqual(xs);
    // Torch's nn.ReLU (an nn.Threshold) has no __tostring__: torch.type(self)
    expect(m.toString()).toBe('nn.ReLU');
    expect(new ReLU().toString()).toBe('nn.ReLU');
    // the flag is saved with the architecture
    expect(m.toSpec()).toEqual({ type: 'ReLU', args: [true] });
    m.dispose();
    x.dispose();
  });

  it('rejects a table input with a shape error, as the other activations', () => {
    expect(() => new ReLU().forward([tf.ones([2])])).toThrow(ShapeError);
    expect(() => new ReLU().forward([tf.ones([2])])).toThrow('ReLU: expected input a tensor, got a table {[2]}');
    expect(() => new ReLU(true).forward([tf.ones([2]), tf.ones([3])])).toThrow('ReLU: expected input a tensor, got a table {[2], [3]}');
    expect(() => new Sequential(new ReLU()).forward([tf.ones([2])])).toThrow('Sequential.ReLU(1): expected input a tensor, got a table {[2]}');
  });

  it('names its path when it fails inside a container', () => {
    const net = new Sequential(new ReLU());
    expect(() => net.forward([tf.ones([2])])).toThrow(/^Sequential\.ReLU\(1\): /);
    const deep = new Sequential(new Linear(2, 2), new Sequential(new ReLU()));
    expect((deep.get(1) as Sequential).get(0).path()).toBe('Sequential.Sequential(2).ReLU(1)');
  });

  it('keeps memory flat over training steps', () => {
    expectFlatMemory(new ReLU(), [3, 4, 4, 2]);
  });
});
