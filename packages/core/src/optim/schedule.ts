/**
 * Learning-rate schedules as pure functions of the run's progress p ∈ [0, 1]
 * (PyTorch's `lr_scheduler` shapes). A trainer sets `config.learningRate`
 * from them before each step; p can be the fraction of the planned steps,
 * of a time budget, or the larger of the two, so a run that stops on time
 * still ends annealed.
 */

export const SCHEDULES = ['constant', 'step', 'cosine', 'onecycle'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export interface Schedule {
  /**
   * - `constant`: `lr` throughout.
   * - `step`: `lr`, multiplied by `gamma` at each of `milestones` (PyTorch's MultiStepLR).
   * - `cosine`: from `lr` down to `floor`·`lr` along a half cosine (CosineAnnealingLR).
   * - `onecycle`: linear warm-up from `lr`/`divFactor` to `lr` over the first `warmup`
   *   of the run, then a half cosine down to `floor`·`lr` (OneCycleLR's shape).
   */
  name: ScheduleName;
  /** The peak (and starting, but for onecycle) learning rate. */
  lr: number;
  /** Where cosine and onecycle end, as a fraction of `lr`. Default 0.02. */
  floor?: number;
  /** `step`: fractions of the run at which the rate is multiplied by `gamma`. Default [0.5, 0.75]. */
  milestones?: number[];
  /** `step`: the factor at each milestone. Default 0.1. */
  gamma?: number;
  /** `onecycle`: the warm-up's share of the run. Default 0.3 (PyTorch's pct_start). */
  warmup?: number;
  /** `onecycle`: the warm-up starts at `lr`/divFactor. Default 25 (PyTorch's div_factor). */
  divFactor?: number;
}

export const SCHEDULE_DEFAULTS = { floor: 0.02, milestones: [0.5, 0.75], gamma: 0.1, warmup: 0.3, divFactor: 25 } as const;

const halfCosine = (from: number, to: number, p: number): number => to + (from - to) * 0.5 * (1 + Math.cos(Math.PI * p));

/** Throws naming the field when a schedule's settings are out of range. */
export function checkSchedule(s: Schedule): void {
  const bad = (what: string) => {
    throw new RangeError(`schedule '${s.name}': ${what}`);
  };
  if (!(SCHEDULES as readonly string[]).includes(s.name)) throw new RangeError(`schedule: unknown name '${s.name}' (known: ${SCHEDULES.join(', ')})`);
  if (!(s.lr > 0) || !Number.isFinite(s.lr)) bad(`lr must be a positive number, got ${s.lr}`);
  if (s.floor !== undefined && !(s.floor >= 0 && s.floor <= 1)) bad(`floor must be in [0, 1], got ${s.floor}`);
  if (s.gamma !== undefined && !(s.gamma > 0)) bad(`gamma must be positive, got ${s.gamma}`);
  if (s.milestones?.some((m) => !(m > 0 && m < 1))) bad(`milestones must lie in (0, 1), got [${s.milestones.join(', ')}]`);
  if (s.warmup !== undefined && !(s.warmup >= 0 && s.warmup < 1)) bad(`warmup must be in [0, 1), got ${s.warmup}`);
  if (s.divFactor !== undefined && !(s.divFactor >= 1)) bad(`divFactor must be >= 1, got ${s.divFactor}`);
}

/** The learning rate at progress `p` (clamped to [0, 1]). */
export function scheduledRate(s: Schedule, p: number): number {
  const q = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 1));
  const floor = (s.floor ?? SCHEDULE_DEFAULTS.floor) * s.lr;
  switch (s.name) {
    case 'constant':
      return s.lr;
    case 'step': {
      const passed = (s.milestones ?? SCHEDULE_DEFAULTS.milestones).filter((m) => q >= m).length;
      return s.lr * (s.gamma ?? SCHEDULE_DEFAULTS.gamma) ** passed;
    }
    case 'cosine':
      return halfCosine(s.lr, floor, q);
    case 'onecycle': {
      const w = s.warmup ?? SCHEDULE_DEFAULTS.warmup;
      const start = s.lr / (s.divFactor ?? SCHEDULE_DEFAULTS.divFactor);
      if (q < w) return start + ((s.lr - start) * q) / w;
      return halfCosine(s.lr, floor, w < 1 ? (q - w) / (1 - w) : 1);
    }
  }
}

/** The rate a schedule ends at (progress 1). */
export function finalRate(s: Schedule): number {
  return scheduledRate(s, 1);
}
