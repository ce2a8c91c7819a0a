import { createCanvas } from '@napi-rs/canvas';
import { type AccuracyAtK, SERIES_POINTS } from './evaluate';

/** A PNG of whole-captcha accuracy against K (log scale), with the 2016 series' three points marked. */
export function plotAccuracyByK(rows: ReadonlyArray<AccuracyAtK>, title: string): Buffer {
  const W = 640;
  const H = 420;
  const pad = { l: 64, r: 24, t: 40, b: 56 };
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, W, H);
  const ks = [...rows.map((r) => r.k), ...SERIES_POINTS.map((p) => p.k)];
  const lo = Math.log10(Math.min(1, ...ks));
  const hi = Math.log10(Math.max(10, ...ks));
  const X = (k: number) => pad.l + ((Math.log10(k) - lo) / (hi - lo)) * (W - pad.l - pad.r);
  const Y = (a: number) => pad.t + (1 - a) * (H - pad.t - pad.b);
  ctx.font = '12px sans-serif';
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#555';
  for (let a = 0; a <= 1.0001; a += 0.2) {
    ctx.beginPath();
    ctx.moveTo(pad.l, Y(a));
    ctx.lineTo(W - pad.r, Y(a));
    ctx.stroke();
    ctx.fillText(`${Math.round(a * 100)}%`, 18, Y(a) + 4);
  }
  for (const k of [...new Set(ks)].sort((a, b) => a - b)) ctx.fillText(String(k), X(k) - 6, H - pad.b + 18);
  ctx.fillText('renders voted over (K, log scale)', W / 2 - 90, H - 16);
  ctx.font = 'bold 14px sans-serif';
  ctx.fillStyle = '#222';
  ctx.fillText(title, pad.l, 24);
  ctx.strokeStyle = '#888';
  ctx.strokeRect(pad.l, pad.t, W - pad.l - pad.r, H - pad.t - pad.b);

  ctx.strokeStyle = '#1f77b4';
  ctx.fillStyle = '#1f77b4';
  ctx.lineWidth = 2;
  ctx.beginPath();
  rows.forEach((r, i) => (i === 0 ? ctx.moveTo(X(r.k), Y(r.accuracy)) : ctx.lineTo(X(r.k), Y(r.accuracy))));
  ctx.stroke();
  for (const r of rows) {
    ctx.beginPath();
    ctx.arc(X(r.k), Y(r.accuracy), 4, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.strokeStyle = '#d62728';
  for (const p of SERIES_POINTS) {
    const x = X(p.k);
    const y = Y(p.accuracy);
    ctx.beginPath();
    ctx.moveTo(x - 6, y - 6);
    ctx.lineTo(x + 6, y + 6);
    ctx.moveTo(x - 6, y + 6);
    ctx.lineTo(x + 6, y - 6);
    ctx.stroke();
  }
  ctx.font = '12px sans-serif';
  ctx.fillStyle = '#1f77b4';
  ctx.fillText('● this model', W - pad.r - 150, H - pad.b - 36);
  ctx.fillStyle = '#d62728';
  ctx.fillText('✕ 2016 series (10: 75%, 30: 90%, 100: 96%)', W - pad.r - 260, H - pad.b - 16);
  return canvas.encodeSync('png');
}
