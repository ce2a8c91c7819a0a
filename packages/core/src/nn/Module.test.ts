import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { ModuleError, ShapeError, StateDictError } from '../util/errors';
import { Module } from './Module';
import { Sequential } from './Sequential';
import { expectClose, expectFlatSteps } from './testing';

/**
 * Test modules written against the base class alone.
 *
 * Affine: y = x ⊙ weight + bias over the last dim, with a buffer `running`
 * (saved in the state dict, not trained). It counts its reset() calls.
 */
class Affine extends Module {
  readonly typeName = 'Affine';
  resets = 0;
  constructor(readonly n: number) {
    super();
    this.addParameter('weight', tf.tensor1d(Array.from({ length: n }, (_, i) => i + 1)));
    this.addParameter('bias', tf.zeros([n]));
    this.addBuffer('running', tf.zeros([n]));
  }
  get weight(): Variable {
    return this.param('weight')!.value;
  }
  get gradWeight(): Variable {
    return this.param('weight')!.grad;
  }
  get bias(): Variable {
    return this.param('bias')!.value;
  }
  get gradBias(): Variable {
    return this.param('bias')!.grad;
  }
  override reset(): this {
    this.resets++;
    return super.reset();
  }
  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['N', this.n], [this.n]]);
  }
  protected compute(input: Activity): Tensor {
    return (input as Tensor).mul(this.weight).add(this.bias);
  }
}

/** y = x·W with W stored as [in, out]; its state dict shows PyTorch's [out, in]. */
class Flipped extends Module {
  readonly typeName = 'Flipped';
  constructor(inputSize: number, outputSize: number) {
    super();
    this.addParameter(
      'weight',
      tf.tidy(() => tf.reshape(tf.range(0, inputSize * outputSize), [inputSize, outputSize])),
    );
  }
  get weight(): Variable {
    return this.param('weight')!.value;
  }
  protected override toTorchLayout(_name: string, t: Tensor): Tensor {
    return t.transpose();
  }
  protected override fromTorchLayout(_name: string, t: Tensor): Tensor {
    return t.transpose();
  }
  protected compute(input: Activity): Tensor {
    return tf.matMul(input as Tensor, this.weight);
  }
}

/** A table in and out: [a, k] → [2a·k, a²], k an int tensor. */
class Pair extends Module {
  readonly typeName = 'Pair';
  protected compute(input: Activity): Activity {
    const [a, k] = input as Tensor[];
    return [a.mul(2).mul(k.cast('float32')), a.square()];
  }
}

/** Returns its input unchanged. */
class Pass extends Module {
  readonly typeName = 'Pass';
  protected compute(input: Activity): Activity {
    return input;
  }
}

/** Fails inside compute. */
class Boom extends Module {
  readonly typeName = 'Boom';
  protected compute(): Activity {
    throw new Error('boom');
  }
}

const x23 = () =>
  tf.tensor2d([
    [1, -2, 3],
    [0.5, 0, -1],
  ]);
const dy23 = () =>
  tf.tensor2d([
    [1, 1, 2],
    [-1, 3, 0.5],
  ]);

describe('Module (the base class)', () => {
  it('parameters(): [weights, gradient buffers], own before children, each shared tensor once', () => {
    const a = new Affine(3);
    const b = new Affine(3);
    const net = new Sequential(a, new Sequential(new Pass(), b));
    const [ws, gs] = net.parameters();
    // the very tensors, in order (toEqual would accept equal values)
    const same = (got: Variable[], want: Variable[]) => {
      expect(got).toHaveLength(want.length);
      got.forEach((g, i) => expect(g).toBe(want[i]));
    };
    same(ws, [a.weight, a.bias, b.weight, b.bias]);
    same(gs, [a.gradWeight, a.gradBias, b.gradWeight, b.gradBias]);
    expect(ws.every((w) => w.trainable)).toBe(true);
    expect(gs.every((g) => !g.trainable)).toBe(true);
    expect(net.namedParameters().map((p) => p.key)).toEqual(['0.weight', '0.bias', '1.1.weight', '1.1.bias']);
    gs.forEach((g) => expectClose(g, 0, { atol: 0 }));
    b.share(a, 'weight', 'bias');
    same(net.parameters()[0], [a.weight, a.bias]);
    expect(new Pass().parameters()).toEqual([[], []]);
    net.dispose();
  });

  it('backward = updateGradInput + accGradParameters, accumulating scale·gradient (hand-computed)', () => {
    const m = new Affine(3); // weight [1, 2, 3], bias 0
    const x = x23();
    const dy = dy23();
    expectClose(
      m.forward(x),
      [
        [1, -4, 9],
        [0.5, 0, -3],
      ],
      { atol: 0 },
    );
    // gradInput = dy ⊙ w; gradWeight = Σ_n dy ⊙ x; gradBias = Σ_n dy
    const gx = [
      [1, 2, 6],
      [-1, 6, 1.5],
    ];
    const gw = [1 - 0.5, -2 + 0, 6 - 0.5];
    const gb = [0, 4, 2.5];
    expectClose(m.backward(x, dy), gx, { atol: 0 });
    expectClose(m.gradWeight, gw, { atol: 0 });
    expectClose(m.gradBias, gb, { atol: 0 });
    m.backward(x, dy, 0.5);
    expectClose(
      m.gradWeight,
      gw.map((v) => 1.5 * v),
      { atol: 0 },
    );
    // updateGradInput leaves the gradient buffers alone; accGradParameters leaves gradInput alone
    expectClose(
      m.updateGradInput(x, dy.mul(2)),
      gx.map((r) => r.map((v) => 2 * v)),
      { atol: 0 },
    );
    expectClose(
      m.gradWeight,
      gw.map((v) => 1.5 * v),
      { atol: 0 },
    );
    m.accGradParameters(x, dy, -1.5);
    expectClose(m.gradWeight, [0, 0, 0], { atol: 0 });
    expectClose(m.gradBias, [0, 0, 0], { atol: 0 });
    expectClose(
      m.gradInput,
      gx.map((r) => r.map((v) => 2 * v)),
      { atol: 0 },
    );
    m.dispose();
  });

  it('zeroGradParameters zeroes every gradient buffer; updateParameters(lr) takes w −= lr·g', () => {
    const a = new Affine(3);
    const b = new Affine(3);
    const net = new Sequential(a, b);
    const x = x23();
    net.forward(x);
    net.backward(x, dy23());
    const [ws, gs] = net.parameters();
    const expected = ws.map((w, i) => Array.from(w.dataSync()).map((v, j) => v - 0.1 * gs[i].dataSync()[j]));
    expect(gs.some((g) => g.dataSync().some((v) => v !== 0))).toBe(true);
    net.updateParameters(0.1);
    ws.forEach((w, i) => expectClose(w, expected[i], { atol: 1e-7 }));
    net.zeroGradParameters();
    gs.forEach((g) => expectClose(g, 0, { atol: 0 }));
    net.dispose();
  });

  it('differentiates table outputs and inputs; an int input gets a zero gradient of its shape', () => {
    const m = new Pair();
    const a = tf.tensor1d([1, -2, 3]);
    const k = tf.tensor1d([2, 0, -1], 'int32');
    const [y0, y1] = m.forward([a, k]) as Tensor[];
    expectClose(y0, [4, 0, -6], { atol: 0 });
    expectClose(y1, [1, 4, 9], { atol: 0 });
    const d0 = tf.tensor1d([1, 1, 1]);
    const d1 = tf.tensor1d([0.5, -1, 2]);
    // d/da <[2ak, a²], [d0, d1]> = 2k·d0 + 2a·d1
    const [ga, gk] = m.backward([a, k], [d0, d1]) as Tensor[];
    expectClose(ga, [4 + 1, 0 + 4, -2 + 12], { atol: 1e-6 });
    expect(gk.shape).toEqual([3]);
    expectClose(gk, 0, { atol: 0 });
    m.dispose();
  });

  it("reuses output and gradInput as Torch's buffers: freed at the next call, never the input", () => {
    const m = new Affine(3);
    const x = x23();
    const y1 = m.forward(x) as Tensor;
    const g1 = m.backward(x, dy23()) as Tensor;
    m.forward(x);
    m.backward(x, dy23());
    expect(y1.isDisposed).toBe(true);
    expect(g1.isDisposed).toBe(true);
    expect(x.isDisposed).toBe(false);
    // clearState frees both buffers
    const out = m.output as Tensor;
    const gin = m.gradInput as Tensor;
    m.clearState();
    expect(out.isDisposed && gin.isDisposed).toBe(true);
    expect(m.output).toEqual([]);
    expect(m.gradInput).toEqual([]);
    m.dispose();
  });

  // Module frees what it made, never what it was given: when compute returns its
  // input unchanged, as Pass does, output is the caller's tensor, and the VJP of
  // that identity is the caller's gradOutput. The library's pass-through modules
  // (Identity, SelectTable, …) override those methods; a custom module need not.
  it('backward never frees the input, even when compute returns it unchanged', () => {
    const p = new Pass();
    const x = x23();
    const dy = dy23();
    p.forward(x);
    p.backward(x, dy);
    expect(x.isDisposed).toBe(false);
    // nor the gradOutput, which is the identity's gradInput, at the next backward
    expect(p.gradInput).toBe(dy);
    p.updateGradInput(x, dy23());
    expect(dy.isDisposed).toBe(false);
    p.dispose();
    expect(x.isDisposed || dy.isDisposed).toBe(false);
  });

  it('forward never frees an earlier input, even one compute returned unchanged', () => {
    const p = new Pass();
    const x = x23();
    expect(p.forward(x)).toBe(x);
    p.forward(x23());
    expect(x.isDisposed).toBe(false);
    // nor clearState/dispose the current one
    const x2 = x23();
    p.forward(x2);
    p.clearState();
    expect(x2.isDisposed).toBe(false);
    p.forward(x2);
    p.dispose();
    expect(x2.isDisposed).toBe(false);
  });

  it('never frees a tensor of an input table that compute passes through, and stays flat', () => {
    /** [a, b] → [a, 2b]: the first output is the caller's a. */
    class HalfPass extends Module {
      readonly typeName = 'HalfPass';
      protected compute(input: Activity): Activity {
        const [a, b] = input as Tensor[];
        return [a, b.mul(2)];
      }
    }
    const m = new HalfPass();
    const a = x23();
    const b = x23();
    const [y0, y1] = m.forward([a, b]) as Tensor[];
    expect(y0).toBe(a);
    const [, gb] = m.backward([a, b], [dy23(), dy23()]) as Tensor[];
    expectClose(
      gb,
      [
        [2, 2, 4],
        [-2, 6, 1],
      ],
      { atol: 0 },
    );
    m.forward([x23(), x23()]);
    expect(a.isDisposed || b.isDisposed).toBe(false);
    expect(y1.isDisposed).toBe(true); // what it made is still freed
    // a clone starts with empty buffers and borrows nothing
    const c = m.clone();
    expect(c.output).toEqual([]);
    c.forward([a, b]);
    c.dispose();
    expect(a.isDisposed || b.isDisposed).toBe(false);
    m.clearState();
    expect(a.isDisposed || b.isDisposed).toBe(false);
    // and memory stays flat over steps, for a tensor and a table pass-through
    const x = x23();
    const dy = dy23();
    expectFlatSteps(new Pass(), x, dy);
    const dys = [dy23(), dy23()];
    expectFlatSteps(m, [a, b], dys);
    expect([x, dy, a, b, ...dys].some((t) => t.isDisposed)).toBe(false);
    m.dispose();
  });

  it('training() and evaluate() set the train flag through the whole tree, and return the module', () => {
    const inner = new Affine(2);
    const net = new Sequential(new Affine(2), new Sequential(inner));
    expect(net.train && inner.train).toBe(true);
    expect(net.evaluate()).toBe(net);
    expect([net.train, net.get(0).train, net.get(1).train, inner.train]).toEqual([false, false, false, false]);
    expect(net.training()).toBe(net);
    expect([net.train, net.get(0).train, net.get(1).train, inner.train]).toEqual([true, true, true, true]);
    net.dispose();
  });

  it('reset() reaches every module once', () => {
    const a = new Affine(2);
    const b = new Affine(2);
    const net = new Sequential(a, new Sequential(b));
    expect(net.reset()).toBe(net);
    expect([a.resets, b.resets]).toEqual([1, 1]);
    net.dispose();
  });

  it('checks inputs against shape patterns: names match any size, and the error names path, expected and actual', () => {
    const m = new Affine(3);
    m.forward(tf.zeros([7, 3]));
    m.forward(tf.zeros([3]));
    const net = new Sequential(new Pass(), new Sequential(new Affine(2), m));
    let err: unknown;
    try {
      net.forward(tf.zeros([4, 2]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    const se = err as ShapeError;
    expect(se.modulePath).toBe('Sequential.Sequential(2).Affine(2)');
    expect(se.expected).toBe('[N,3] or [3]');
    expect(se.actual).toBe('[4,2]');
    expect(se.message).toBe('Sequential.Sequential(2).Affine(2): expected input [N,3] or [3], got [4,2]');
    expect(() => new Affine(3).forward([tf.zeros([3])])).toThrow('Affine: expected input [N,3] or [3], got a table {[3]}');
    net.dispose();
  });

  it('wraps other errors in a ModuleError naming the innermost path, with the cause', () => {
    const net = new Sequential(new Pass(), new Sequential(new Boom()));
    let err: unknown;
    try {
      net.forward(tf.zeros([1]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModuleError);
    expect((err as ModuleError).message).toBe('Sequential.Sequential(2).Boom(1): boom');
    expect((err as ModuleError).modulePath).toBe('Sequential.Sequential(2).Boom(1)');
    expect(((err as ModuleError).cause as Error).message).toBe('boom');
    expect(() => new Boom().forward(tf.zeros([1]))).toThrow(/^Boom: boom$/);
  });

  it('stateDict(): PyTorch keys with child prefixes, buffers included, copies the caller owns', () => {
    const a = new Affine(2);
    const net = new Sequential(a, new Sequential(new Pass(), new Affine(3)));
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '0.running', '1.1.weight', '1.1.bias', '1.1.running']);
    expectClose(sd['0.weight'], [1, 2], { atol: 0 });
    expect(sd['0.weight']).not.toBe(a.weight);
    tf.dispose(Object.values(sd));
    expect(a.weight.isDisposed).toBe(false);
    expect([...net.stateShapes()]).toEqual([
      ['0.weight', [2]],
      ['0.bias', [2]],
      ['0.running', [2]],
      ['1.1.weight', [3]],
      ['1.1.bias', [3]],
      ['1.1.running', [3]],
    ]);
    // gradStateDict: the parameters' gradients under the same keys, no buffers
    const x = tf.ones([1, 2]);
    net.get(0).forward(x);
    net.get(0).backward(x, tf.tensor2d([[3, 4]]));
    const gsd = net.gradStateDict();
    expect(Object.keys(gsd)).toEqual(['0.weight', '0.bias', '1.1.weight', '1.1.bias']);
    expectClose(gsd['0.weight'], [3, 4], { atol: 0 });
    expectClose(gsd['0.bias'], [3, 4], { atol: 0 });
    tf.dispose(Object.values(gsd));
    net.dispose();
  });

  it('loadStateDict round-trips a state dict into another model, buffers included; a tensor of another dtype is refused, naming the key', () => {
    const src = new Sequential(new Affine(2), new Affine(2));
    const dst = new Sequential(new Affine(2), new Affine(2));
    src.loadStateDict({
      '0.weight': tf.tensor1d([3, -1]),
      '0.bias': tf.tensor1d([0.5, 0.25]),
      '0.running': tf.tensor1d([7, 8]),
      '1.weight': tf.tensor1d([2, 2]),
      '1.bias': tf.tensor1d([1, 2]),
      '1.running': tf.tensor1d([9, 10]),
    });
    // An int32 tensor into a float32 parameter is an error, not a silent cast, and loads nothing.
    expect(() => src.loadStateDict({ ...src.stateDict(), '1.bias': tf.tensor1d([7, 7], 'int32') })).toThrow(
      /wrong dtypes: 1\.bias \(expected float32, got int32\)/,
    );
    const bias = src.stateDict()['1.bias'];
    expect(bias.dtype).toBe('float32');
    expectClose(bias, [1, 2], { atol: 0 });
    const sd = src.stateDict();
    expect(dst.loadStateDict(sd)).toBe(dst);
    const back = dst.stateDict();
    for (const k of Object.keys(sd)) expectClose(back[k], sd[k], { atol: 0, what: k });
    const x = tf.tensor2d([[1, 2]]);
    expectClose(dst.forward(x), src.forward(x), { atol: 0 });
    expectClose(dst.forward(x), [[(3 + 0.5) * 2 + 1, (-2 + 0.25) * 2 + 2]], { atol: 0 });
    src.dispose();
    dst.dispose();
  });

  it('loadStateDict lists every missing, unexpected and misshapen key in one StateDictError, and loads nothing', () => {
    const net = new Sequential(new Affine(2), new Affine(3));
    const before = net.stateDict();
    const dict = {
      '0.weight': tf.tensor1d([5, 5]), // fine
      '0.bias': tf.zeros([3]), // misshapen
      '1.weight': tf.zeros([3]),
      '1.bias': tf.zeros([3]),
      '2.weight': tf.zeros([3]), // unexpected
      // 0.running, 1.running missing
    };
    let err: unknown;
    try {
      net.loadStateDict(dict);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    const e = err as StateDictError;
    expect(e.missing).toEqual(['0.running', '1.running']);
    expect(e.unexpected).toEqual(['2.weight']);
    expect(e.misshapen).toEqual([{ key: '0.bias', expected: [2], actual: [3] }]);
    expect(e.message).toBe(
      'state dict does not match the model: missing keys: 0.running, 1.running; unexpected keys: 2.weight; ' + 'misshapen keys: 0.bias (expected [2], got [3])',
    );
    // all or nothing: the good key was not loaded either
    const now = net.stateDict();
    for (const k of Object.keys(before)) expectClose(now[k], before[k], { atol: 0, what: k });
    // strict: false ignores missing and unexpected keys, but never a misshapen one
    expect(() => net.loadStateDict(dict, { strict: false })).toThrow('state dict does not match the model: misshapen keys: 0.bias (expected [2], got [3])');
    const { '0.bias': _, ...rest } = dict;
    net.loadStateDict(rest, { strict: false });
    const loaded = net.stateDict();
    expectClose(loaded['0.weight'], [5, 5], { atol: 0 });
    expectClose(loaded['0.running'], before['0.running'], { atol: 0 }); // missing: left as it was
    // strict (the default) with only an unexpected key
    const full = net.stateDict();
    expect(() => net.loadStateDict({ ...full, extra: tf.zeros([1]) })).toThrow('state dict does not match the model: unexpected keys: extra');
    net.dispose();
  });

  it('converts layouts both ways: toTorchLayout for stateDict and stateShapes, fromTorchLayout for loading', () => {
    const m = new Flipped(3, 2); // ours [in, out] = [[0, 1], [2, 3], [4, 5]]
    expect(m.stateShapes().get('weight')).toEqual([2, 3]);
    const sd = m.stateDict();
    expectClose(
      sd.weight,
      [
        [0, 2, 4],
        [1, 3, 5],
      ],
      { atol: 0 },
    );
    // PyTorch's [out, in] is loaded as ours, and a [3, 2] (our layout) is misshapen
    m.loadStateDict({
      weight: tf.tensor2d([
        [1, 0, 0],
        [0, 0, 1],
      ]),
    });
    expectClose(
      m.weight,
      [
        [1, 0],
        [0, 0],
        [0, 1],
      ],
      { atol: 0 },
    );
    expectClose(m.forward(tf.tensor2d([[7, 8, 9]])), [[7, 9]], { atol: 0 });
    expect(() => m.loadStateDict({ weight: tf.zeros([3, 2]) })).toThrow('misshapen keys: weight (expected [2,3], got [3,2])');
    m.forward(tf.tensor2d([[1, 1, 1]]));
    m.backward(tf.tensor2d([[1, 1, 1]]), tf.tensor2d([[1, 2]]));
    expectClose(
      m.gradStateDict().weight,
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
      { atol: 0 },
    ); // [out, in] too
    m.dispose();
  });

  it('clone() is a deep copy: same values, new storage, empty buffers, detached from the parent', () => {
    const a = new Affine(3);
    const net = new Sequential(a, new Sequential(new Affine(3)));
    const x = x23();
    const y = (net.forward(x) as Tensor).clone();
    const copy = net.clone();
    expect(copy).toBeInstanceOf(Sequential);
    expect(copy.output).toEqual([]);
    expect(copy.toString()).toBe(net.toString());
    const [ws, cws] = [net.parameters()[0], copy.parameters()[0]];
    cws.forEach((w, i) => {
      expect(w).not.toBe(ws[i]);
      expectClose(w, ws[i], { atol: 0 });
    });
    expectClose(copy.forward(x), y, { atol: 0 });
    // the copies' parents are the copied containers
    expect(copy.get(1).parent).toBe(copy);
    expect((copy.get(1) as Sequential).get(0).path()).toBe('Sequential.Sequential(2).Affine(1)');
    // a clone of a child stands alone
    const lone = a.clone();
    expect(lone.parent).toBeNull();
    expect(lone.path()).toBe('Affine');
    // changing the copy leaves the original alone
    copy.parameters()[0][0].assign(tf.zeros([3]));
    expectClose(a.weight, [1, 2, 3], { atol: 0 });
    // clone('weight', 'bias') shares those tensors instead
    const twin = a.clone('weight', 'bias');
    expect(twin.weight).toBe(a.weight);
    expect(twin.bias).toBe(a.bias);
    expect(twin.gradWeight).not.toBe(a.gradWeight);
    net.dispose();
    copy.dispose();
    lone.dispose();
    twin.dispose();
  });

  it("share(): a shared tensor lives until its last owner is disposed; 'gradWeight' shares the gradient", () => {
    const a = new Affine(2);
    const b = new Affine(2).share(a, 'weight', 'gradWeight');
    expect(b.weight).toBe(a.weight);
    expect(b.gradWeight).toBe(a.gradWeight);
    expect(b.bias).not.toBe(a.bias);
    const x = tf.tensor2d([[1, 1]]);
    a.forward(x);
    a.backward(x, tf.tensor2d([[1, 2]]));
    b.forward(x);
    b.backward(x, tf.tensor2d([[1, 2]]));
    expectClose(a.gradWeight, [2, 4], { atol: 0 }); // both accumulated into one buffer
    const w = a.weight;
    a.dispose();
    expect(w.isDisposed).toBe(false);
    expectClose(b.forward(x), [[1, 2]], { atol: 0 });
    b.dispose();
    expect(w.isDisposed).toBe(true);
  });

  it('dispose() frees every tensor the module made; training steps keep the count flat', () => {
    const x = x23();
    const dy = dy23();
    const start = tf.memory().numTensors;
    const net = new Sequential(new Affine(3), new Flipped(3, 3), new Affine(3));
    expect(tf.memory().numTensors).toBe(start + 2 * 2 + 1 + 2 + 2 * 2 + 1);
    expectFlatSteps(net, x, dy, 10);
    const sd = net.stateDict();
    net.loadStateDict(sd);
    tf.dispose(Object.values(sd));
    net.dispose();
    expect(tf.memory().numTensors).toBe(start);
    x.dispose();
    dy.dispose();
  });

  it('prints nn.<typeName> and describes itself as { type } by default', () => {
    expect(new Affine(2).toString()).toBe('nn.Affine');
    expect(new Pass().toSpec()).toEqual({ type: 'Pass' });
  });
});
