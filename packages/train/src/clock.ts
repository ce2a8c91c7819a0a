/** Seconds on a monotonic clock: a run's default clock. */
export const monotonicSeconds = (): number => performance.now() / 1000;

/** A run's training time: seconds of earlier sessions plus this one's, and the pace of its steps. */
export class RunClock {
  private readonly start: number;
  private stepCount = 0;
  private stepTotal = 0;

  /**
   * @param now seconds on a monotonic clock (tests pass a fake one)
   * @param before seconds trained by earlier sessions of the run (from the checkpoint)
   */
  constructor(
    private readonly now: () => number = monotonicSeconds,
    private readonly before = 0,
  ) {
    this.start = now();
  }

  /** Seconds the run has trained, resumed sessions included. */
  elapsed(): number {
    return this.before + this.now() - this.start;
  }

  /** Records how long one step took. */
  stepTook(seconds: number): void {
    this.stepCount++;
    this.stepTotal += seconds;
  }

  /** Mean seconds per step in this session (0 before the first step). */
  get stepSeconds(): number {
    return this.stepCount ? this.stepTotal / this.stepCount : 0;
  }

  /** The clock's raw reading, for timing a span. */
  read(): number {
    return this.now();
  }
}

/**
 * The run's progress before a step, for the learning-rate schedule: the
 * fraction of the planned steps, or, with a time limit, the fraction of the
 * budget that will have passed when this step ends, whichever is further.
 * So a run that a slower machine stops on time still ends annealed.
 * `beforeTraining` seconds of the budget went before the first step (reading
 * the unlabelled images): the schedule anneals over the rest.
 *
 * The budget's first twentieth is not counted (the time fraction runs from
 * there to the limit): the first steps are slow (start-up, kernels' first
 * runs), and counting them made the first steps' rates, so the whole run,
 * depend on the clock even where the limit was never near (the main job read
 * 96.1–97.5% from one seed; docs/results.md, "The time limit's first
 * twentieth").
 */
export function runProgress(step: number, plannedSteps: number, projectedSeconds: number, timeLimitMinutes: number, beforeTraining = 0): number {
  const byStep = plannedSteps > 0 ? step / plannedSteps : 1;
  const left = timeLimitMinutes * 60 - beforeTraining;
  const grace = left / 20;
  const byTime = timeLimitMinutes > 0 ? (left > 0 ? (projectedSeconds - beforeTraining - grace) / (left - grace) : 1) : 0;
  return Math.min(1, Math.max(byStep, byTime));
}
