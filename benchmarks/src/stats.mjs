// Timing and formatting helpers of the benchmark runner.

/** { median, min, max, n } of a list of milliseconds, plus the raw times. */
export function summary(times) {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s.at(-1), n: s.length, times: times.map((t) => Math.round(t * 1000) / 1000) };
}

/**
 * Runs `step` `warmup` times untimed, then up to `steps` times timed (ms).
 * `step` may return a promise (a data-parallel step): it is awaited, so a
 * step's time includes its workers. With a `budget` (seconds), further
 * warm-up is skipped when the first step shows it would not fit, and timing
 * stops once past the budget with at least 2 steps; `requested` keeps what
 * was asked so the shortfall shows. `countTensors`, if given, checks for
 * leaks over the timed steps.
 */
export async function timeSteps(step, { steps, warmup, budget = 0 }, countTensors = null) {
  let t = performance.now();
  await step();
  const first = (performance.now() - t) / 1000;
  let warm = 1;
  if (!(budget && first * (warmup - 1 + steps) > budget)) for (; warm < warmup; warm++) await step();
  const times = [];
  const tensorsBefore = countTensors?.();
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    t = performance.now();
    await step();
    times.push(performance.now() - t);
    if (budget && times.length >= 2 && (performance.now() - start) / 1000 > budget) break;
  }
  const r = { ...summary(times), warmup: warm, requested: steps };
  // Tensors gained per timed step (0 when the loop frees what it makes).
  if (countTensors) r.tensorsPerStep = (countTensors() - tensorsBefore) / times.length;
  return r;
}

/** Median in ms, 3 significant-ish digits; '*' when fewer steps than requested were timed. */
export function fmtMs(m) {
  if (!m) return '';
  if (m.error) return 'error';
  if (m.skipped) return m.skipped;
  // Older results files hold entries that were never measured ({ status: 'pending' }).
  if (typeof m.median !== 'number') return m.status ?? 'n/a';
  const v = m.median;
  const s = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return m.requested && m.n < m.requested ? `${s}* (n=${m.n})` : s;
}

/** a.median / b.median, or null when either is missing. */
export function ratio(a, b) {
  if (!a?.median || !b?.median) return null;
  return a.median / b.median;
}

export function fmtRatio(r) {
  return r == null ? '' : `${r.toFixed(r >= 10 ? 1 : 2)}×`;
}

/** A Markdown table (also readable in a terminal). */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
