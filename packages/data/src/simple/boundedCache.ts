/**
 * A cache for things drawn or computed once per image size (backgrounds, warp maps): at most `limit` entries, all
 * dropped when it is full, since a run uses one or two sizes and anything cleverer would cost more than it saves.
 */
export function boundedCache<T>(limit = 32): (key: string, make: () => T) => T {
  const entries = new Map<string, T>();
  return (key, make) => {
    let v = entries.get(key);
    if (v === undefined) {
      if (entries.size >= limit) entries.clear();
      v = make();
      entries.set(key, v);
    }
    return v;
  };
}
