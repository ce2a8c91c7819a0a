/** The resnet model's own settings (the run's `modelOptions`), their defaults and checks. */
import type { ModelSettings } from '@captcha-nn/train';

export type Head = 'maxpool' | 'gap';

export interface ResnetSettings {
  /** Weight layers on the longest path: 6N + 10 for N units per stage (10, 16, 22, …, 34, …, 100). */
  depth: number;
  /** Residual units (ConcatTable → CAddTable → ReLU); false: the same layers without shortcuts (the plain net). */
  residual: boolean;
  /** `maxpool`: the series' 2×2 max pooling and a Linear layer; `gap`: global average pooling, then Linear. */
  head: Head;
  /** Channels of the stem and first stage; the second and third stages have twice and four times as many. */
  width: number;
  /**
   * Start each residual branch's last batch norm at weight 0, so that every unit begins as its shortcut
   * (Goyal et al. 2017; torchvision's `zero_init_residual`). Residual nets only.
   */
  zeroResidual: boolean;
  /**
   * Stochastic depth (Huang et al. 2016): the last residual unit's death rate p_L; unit l of L is dropped in
   * training with probability l/L · p_L (their linear decay; 0.5 in the paper), and scaled in evaluation.
   * 0: off. Residual nets only.
   */
  stochasticDepth: number;
}

export const RESNET_DEFAULTS: ResnetSettings = { depth: 34, residual: true, head: 'maxpool', width: 16, zeroResidual: false, stochasticDepth: 0 };

/** Units per stage for a depth of 6N + 10. */
export function unitsPerStage(depth: number): number {
  return (depth - 10) / 6;
}

/** The settings with defaults filled in; a RangeError names a bad or unknown one. */
export function resnetSettings(given: ModelSettings = {}): ResnetSettings {
  const known = Object.keys(RESNET_DEFAULTS);
  const unknown = Object.keys(given).filter((k) => !known.includes(k));
  if (unknown.length) throw new RangeError(`resnet: unknown model option(s) ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const s = { ...RESNET_DEFAULTS, ...given } as ResnetSettings;
  const n = unitsPerStage(s.depth);
  if (typeof s.depth !== 'number' || !Number.isInteger(n) || n < 0)
    throw new RangeError(`resnet: the depth must be 6N+10 for N >= 0 units per stage (10, 16, 22, 28, 34, …, 100), got ${String(s.depth)}`);
  if (typeof s.residual !== 'boolean') throw new RangeError(`resnet: residual must be true or false, got ${String(s.residual)}`);
  if (typeof s.width !== 'number' || !Number.isInteger(s.width) || s.width < 1)
    throw new RangeError(`resnet: the width must be a positive integer, got ${String(s.width)}`);
  if (s.head !== 'maxpool' && s.head !== 'gap') throw new RangeError(`resnet: the head must be maxpool or gap, got ${String(s.head)}`);
  if (typeof s.zeroResidual !== 'boolean') throw new RangeError(`resnet: zeroResidual must be true or false, got ${String(s.zeroResidual)}`);
  if (s.zeroResidual && !s.residual) throw new RangeError('resnet: zeroResidual needs residual units: a plain net whose units start at zero passes nothing on');
  if (typeof s.stochasticDepth !== 'number' || !(s.stochasticDepth >= 0 && s.stochasticDepth < 1))
    throw new RangeError(`resnet: stochasticDepth must be a death rate in [0, 1), got ${String(s.stochasticDepth)}`);
  if (s.stochasticDepth > 0 && !s.residual) throw new RangeError('resnet: stochasticDepth needs residual units: a plain unit has no shortcut to fall back on');
  return s;
}
