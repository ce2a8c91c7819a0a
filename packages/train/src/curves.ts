/** Training curves as a PNG (loss and accuracy per epoch), drawn with @napi-rs/canvas. */
import { writeFile, rename } from 'node:fs/promises';
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';

export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  step: number;
  samples: number;
  trainLoss: number;
  /** null when not measured (data-parallel training keeps no outputs). */
  trainCharAccuracy: number | null;
  valLoss: number | null;
  valCharAccuracy: number | null;
  valCaptchaAccuracy: number | null;
  seconds: number;
  samplesPerSecond: number;
  /** The learning rate of the epoch's last step. */
  learningRate: number;
  /** Set when a time limit stopped training mid-epoch: the numbers cover the steps taken (a resumed run rewrites it). */
  partial?: true;
  time: string;
}

/** A line of a panel: (epoch, value) points; non-finite values are left out. */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  /** Dashed line (default solid). */
  dashed?: boolean;
}

/**
 * A chart of series against the epoch; `yRange` fixes the axis (default: from the data, including 0 on a
 * linear axis). `yScale: 'log'` suits errors that fall by orders of magnitude; it leaves out values ≤ 0.
 */
export interface Panel {
  title: string;
  series: Series[];
  yRange?: [number, number];
  yScale?: 'linear' | 'log';
  legendBottom?: boolean;
}

/** The y axis: where a value goes (0 at the bottom, 1 at the top) and the labelled values. Exported for tests. */
export function yAxis(values: number[], p: Panel): { at: (y: number) => number; ticks: number[]; label: (y: number) => string } {
  if (p.yScale === 'log') {
    const pos = values.filter((y) => y > 0);
    let [lo, hi] = p.yRange ?? [Math.min(...pos), Math.max(...pos)];
    if (!(lo > 0 && Number.isFinite(hi))) [lo, hi] = [0.1, 1];
    // Whole decades, so the 1-2-5 ticks below always include the ends.
    const [a, b] = [Math.floor(Math.log10(lo)), Math.max(Math.ceil(Math.log10(hi)), Math.floor(Math.log10(lo)) + 1)];
    const ticks: number[] = [];
    for (let e = a; e <= b; e++) for (const m of e < b ? [1, 2, 5] : [1]) ticks.push(m * 10 ** e);
    return { at: (y) => (Math.log10(y) - a) / (b - a), ticks, label: (y) => String(Number(y.toPrecision(3))) };
  }
  let [yMin, yMax] = p.yRange ?? [Math.min(...values), Math.max(...values)];
  if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [0, 1];
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  if (!p.yRange) yMin = Math.min(0, yMin);
  return { at: (y) => (y - yMin) / (yMax - yMin), ticks: [0, 1, 2, 3, 4].map((i) => yMin + ((yMax - yMin) * i) / 4), label: (y) => y.toPrecision(3) };
}

function panel(ctx: SKRSContext2D, x0: number, y0: number, w: number, h: number, p: Panel): void {
  const { title, legendBottom = false } = p;
  const shown = ([, y]: [number, number]) => Number.isFinite(y) && (p.yScale !== 'log' || y > 0);
  const series = p.series.map((s) => ({ ...s, points: s.points.filter(shown) }));
  const pad = { l: 56, r: 12, t: 28, b: 36 };
  const px = x0 + pad.l;
  const py = y0 + pad.t;
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const all = series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const xMin = Math.min(1, ...xs);
  const xMax = Math.max(xMin + 1, ...xs);
  const axis = yAxis(
    all.map(([, y]) => y),
    p,
  );
  const X = (x: number) => px + ((x - xMin) / (xMax - xMin)) * pw;
  const Y = (y: number) => py + ph - axis.at(y) * ph;

  ctx.fillStyle = '#222';
  ctx.font = 'bold 14px sans-serif';
  ctx.fillText(title, px, y0 + 18);
  ctx.strokeStyle = '#ddd';
  ctx.lineWidth = 1;
  ctx.font = '11px sans-serif';
  for (const v of axis.ticks) {
    ctx.beginPath();
    ctx.moveTo(px, Y(v));
    ctx.lineTo(px + pw, Y(v));
    ctx.stroke();
    ctx.fillStyle = '#555';
    ctx.fillText(axis.label(v), x0 + 4, Y(v) + 4);
  }
  const ticks = Math.min(10, xMax - xMin);
  for (let i = 0; i <= ticks; i++) {
    const v = Math.round(xMin + ((xMax - xMin) * i) / ticks);
    ctx.fillText(String(v), X(v) - 4, py + ph + 16);
  }
  ctx.fillText('epoch', px + pw / 2 - 14, py + ph + 32);
  ctx.strokeStyle = '#888';
  ctx.strokeRect(px, py, pw, ph);
  let ly = legendBottom ? py + ph - 10 - 15 * (series.length - 1) : py + 14;
  for (const s of series) {
    const pts = s.points;
    if (pts.length === 0) continue;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [6, 4] : []);
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    ctx.setLineDash([]);
    for (const [x, y] of pts) {
      ctx.beginPath();
      ctx.arc(X(x), Y(y), 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
    // The legend's sample is a short stretch of the line, dashed like it.
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    ctx.moveTo(px + pw - 140, ly - 3);
    ctx.lineTo(px + pw - 120, ly - 3);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#222';
    ctx.fillText(s.name, px + pw - 115, ly);
    ly += 15;
  }
}

/** Panels side by side, each 500×380, into a PNG buffer. */
export function renderPanels(panels: Panel[]): Buffer {
  const w = 500;
  const H = 380;
  const canvas = createCanvas(w * panels.length, H);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w * panels.length, H);
  panels.forEach((p, i) => panel(ctx, i * w, 0, w, H, p));
  return canvas.toBuffer('image/png');
}

/** Renders loss and accuracy curves of the epoch records into a PNG buffer. */
export function renderCurves(records: EpochRecord[], title = 'training'): Buffer {
  const ep = (f: (r: EpochRecord) => number | null): Array<[number, number]> => records.map((r) => [r.epoch, f(r) ?? NaN]);
  return renderPanels([
    {
      title: `${title}: loss`,
      series: [
        { name: 'train loss', color: '#1f77b4', points: ep((r) => r.trainLoss) },
        { name: 'validation loss', color: '#ff7f0e', points: ep((r) => r.valLoss) },
      ],
    },
    {
      title: 'accuracy',
      series: [
        { name: 'train per-char', color: '#1f77b4', points: ep((r) => r.trainCharAccuracy) },
        { name: 'val per-char', color: '#ff7f0e', points: ep((r) => r.valCharAccuracy) },
        { name: 'val whole captcha', color: '#2ca02c', points: ep((r) => r.valCaptchaAccuracy) },
      ],
      yRange: [0, 1],
      legendBottom: true,
    },
  ]);
}

/** Writes curves.png atomically. */
export async function writeCurves(path: string, records: EpochRecord[], title?: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, renderCurves(records, title));
  await rename(tmp, path);
}
