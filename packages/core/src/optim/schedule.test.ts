import { describe, expect, it } from 'vitest';
import { checkSchedule, finalRate, scheduledRate, type Schedule } from './schedule';

const at = (s: Schedule, ps: number[]) => ps.map((p) => scheduledRate(s, p));

describe('learning-rate schedules', () => {
  it('constant keeps lr', () => {
    expect(at({ name: 'constant', lr: 0.1 }, [0, 0.5, 1])).toEqual([0.1, 0.1, 0.1]);
  });

  it('step multiplies by gamma at each milestone (MultiStepLR)', () => {
    const s: Schedule = { name: 'step', lr: 1, milestones: [0.5, 0.8], gamma: 0.1 };
    const r = at(s, [0, 0.49, 0.5, 0.79, 0.8, 1]);
    expect(r[0]).toBe(1);
    expect(r[1]).toBe(1);
    expect(r[2]).toBeCloseTo(0.1, 12);
    expect(r[3]).toBeCloseTo(0.1, 12);
    expect(r[4]).toBeCloseTo(0.01, 12);
    expect(r[5]).toBeCloseTo(0.01, 12);
  });

  it('cosine: lr at 0, the mean of lr and the floor half-way, the floor at the end (CosineAnnealingLR with eta_min)', () => {
    const s: Schedule = { name: 'cosine', lr: 0.002 };
    expect(scheduledRate(s, 0)).toBeCloseTo(0.002, 15);
    expect(scheduledRate(s, 0.5)).toBeCloseTo((0.002 + 0.02 * 0.002) / 2, 15);
    expect(scheduledRate(s, 0.25)).toBeCloseTo(0.00004 + 0.00196 * 0.5 * (1 + Math.SQRT1_2), 15);
    expect(finalRate(s)).toBeCloseTo(0.00004, 15);
    // Monotone down, and clamped outside [0, 1].
    const r = at(s, [0, 0.1, 0.3, 0.6, 0.9, 1]);
    for (let i = 1; i < r.length; i++) expect(r[i]).toBeLessThan(r[i - 1]!);
    expect(scheduledRate(s, 1.7)).toBe(finalRate(s));
    expect(scheduledRate(s, -1)).toBe(0.002);
  });

  it('onecycle: warm-up from lr/25 to lr over 30%, then cosine to the floor', () => {
    const s: Schedule = { name: 'onecycle', lr: 0.01, floor: 0.01 };
    expect(scheduledRate(s, 0)).toBeCloseTo(0.0004, 15);
    expect(scheduledRate(s, 0.15)).toBeCloseTo(0.0004 + (0.01 - 0.0004) * 0.5, 15);
    expect(scheduledRate(s, 0.3)).toBeCloseTo(0.01, 15);
    expect(scheduledRate(s, 0.65)).toBeCloseTo((0.01 + 0.0001) / 2, 15);
    expect(finalRate(s)).toBeCloseTo(0.0001, 15);
  });

  it('rejects settings out of range, naming the field', () => {
    expect(() => checkSchedule({ name: 'cosine', lr: 0 })).toThrow(/lr must be a positive number/);
    expect(() => checkSchedule({ name: 'cosine', lr: 1, floor: 2 })).toThrow(/floor/);
    expect(() => checkSchedule({ name: 'step', lr: 1, milestones: [0.5, 1.5] })).toThrow(/milestones/);
    expect(() => checkSchedule({ name: 'onecycle', lr: 1, warmup: 1 })).toThrow(/warmup/);
    expect(() => checkSchedule({ name: 'linear' as never, lr: 1 })).toThrow(/unknown name 'linear'/);
    expect(() => checkSchedule({ name: 'onecycle', lr: 1 })).not.toThrow();
  });
});
