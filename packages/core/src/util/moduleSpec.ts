/**
 * The shape of a module or criterion description, `toSpec()`'s result: plain
 * JSON (also structured-clone safe), read back by `moduleFromSpec` /
 * `criterionFromSpec` in src/io/spec.ts.
 *
 *   {"type": "SpatialConvolution", "args": [3, 8, 3, 3, 1, 1, 1, 1], "noBias": true}
 *   {"type": "SpatialMaxPooling", "args": [2, 2, 2, 2, 0, 0], "ceil": true}
 *   {"type": "Sequential", "children": [...]}
 *
 * This file has no runtime dependencies so that Module.ts and Criterion.ts
 * can use it without an import cycle.
 */

/** A module or criterion as JSON. */
export interface ModuleSpec {
  /** The registered type: Torch's class name without `nn.` (the instance's `typeName`). */
  type: string;
  /**
   * Constructor arguments in order; `null` = left out (the default). An
   * argument that is itself a spec (an object with a string `type`) is built
   * first, for decorators such as `MaskZero(module, nInputDim)`.
   */
  args?: unknown[];
  /** Containers: the children, passed to the constructor after `args`. */
  children?: ModuleSpec[];
  /**
   * Settings made after construction, by name: `ceil: true` calls `ceil()`,
   * `k: v` calls `k(v)` when `k` is a method, otherwise sets the field `k`.
   */
  [option: string]: unknown;
}

/** A criterion's description has the same shape. */
export type CriterionSpec = ModuleSpec;

/**
 * A spec from constructor arguments and settings: `undefined` arguments
 * become `null` and trailing ones are dropped; `undefined` settings are left
 * out, so `{ ceil: this.ceilMode || undefined }` appears only when set.
 */
export function specOf(type: string, args: unknown[] = [], options: Record<string, unknown> = {}): ModuleSpec {
  const a = args.map((x) => (x === undefined ? null : x));
  while (a.length && a[a.length - 1] === null) a.pop();
  const spec: ModuleSpec = { type };
  if (a.length) spec.args = a;
  for (const [k, v] of Object.entries(options)) if (v !== undefined) spec[k] = v;
  return spec;
}

/** A criterion's class weights as a plain number array (undefined for none). */
export function weightList(weights?: { dataSync(): ArrayLike<number> }): number[] | undefined {
  return weights ? Array.from(weights.dataSync()) : undefined;
}
