/**
 * A cache for things drawn or computed once per image size (backgrounds, warp maps) or per glyph: at most `limit`
 * entries, all dropped when it is full, since a run uses one or two sizes and anything cleverer would cost more than
 * it saves. `clear()` empties it.
 */
export function boundedCache<T>(limit = 32): ((key: string, make: () => T) => T) & { clear(): void } {
  const entries = new Map<string, T>();
  const get = (key: string, make: () => T): T => {
    let v = entries.get(key);
    if (v === undefined) {
      if (entries.size >= limit) entries.clear();
      v = make();
      entries.set(key, v);
    }
    return v;
  };
  return Object.assign(get, { clear: () => entries.clear() });
}
