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

/** An error thrown inside a module, re-thrown with the module's path. */
export class ModuleError extends Error {
  constructor(
    readonly modulePath: string,
    override readonly cause: unknown,
  ) {
    super(`${modulePath}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ModuleError';
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
      parts.push(
        `misshapen keys: ${misshapen
          .map((m) => `${m.key} (expected [${m.expected.join(',')}], got [${m.actual.join(',')}])`)
          .join(', ')}`,
      );
    super(`state dict does not match the model: ${parts.join('; ')}`);
    this.name = 'StateDictError';
  }
}
