/**
 * Errors that say where in the network they happened and what was expected.
 */
export class ShapeError extends Error {
  constructor(
    readonly modulePath: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${modulePath}: expected input ${expected}, got ${actual}`);
    this.name = 'ShapeError';
  }
}

/**
 * A module's error, its message prefixed with the module's path: either one
 * thrown inside the module and re-thrown (kept as `cause`), or, given as a
 * message, a problem the module found itself (a call out of order, a step
 * or state it does not hold, a gradOutput that does not fit).
 */
export class ModuleError extends Error {
  override readonly cause: unknown;

  constructor(
    readonly modulePath: string,
    problem: unknown,
  ) {
    super(`${modulePath}: ${problem instanceof Error ? problem.message : String(problem)}`);
    this.name = 'ModuleError';
    this.cause = typeof problem === 'string' ? undefined : problem;
  }
}

/** A state dict that does not fit the model: every offending key is listed. */
export class StateDictError extends Error {
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly misshapen: { key: string; expected: number[]; actual: number[] }[],
  ) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
    if (misshapen.length)
      parts.push(`misshapen keys: ${misshapen.map((m) => `${m.key} (expected [${m.expected.join(',')}], got [${m.actual.join(',')}])`).join(', ')}`);
    super(`state dict does not match the model: ${parts.join('; ')}`);
    this.name = 'StateDictError';
  }
}
