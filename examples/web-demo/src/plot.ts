/**
 * Loss and accuracy curves on a canvas: two lines, loss on a left axis from
 * its minimum to its maximum so far (early steps move it little), accuracy on a right axis from 0 to 100%. A chart
 * library would be larger than this whole file and the page needs no more.
 */
export function drawCurves(canvas: HTMLCanvasElement, loss: number[], accuracy: number[]): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width: W, height: H } = canvas;
  const pad = { l: 48, r: 44, t: 10, b: 26 };
  const w = W - pad.l - pad.r;
  const h = H - pad.t - pad.b;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#c4c7c5';
  ctx.lineWidth = 1;
  ctx.strokeRect(pad.l, pad.t, w, h);
  const n = loss.length;
  const finite = loss.filter(Number.isFinite);
  const maxLoss = finite.length ? Math.max(...finite) : 1;
  const minLoss = finite.length ? Math.min(...finite) : 0;
  ctx.fillStyle = '#1a1a1a';
  ctx.font = '12px system-ui, sans-serif';
  ctx.textAlign = 'right';
  ctx.fillText(maxLoss.toFixed(2), pad.l - 4, pad.t + 10);
  ctx.fillText(minLoss.toFixed(2), pad.l - 4, pad.t + h);
  ctx.textAlign = 'left';
  ctx.fillText('100%', pad.l + w + 4, pad.t + 10);
  ctx.fillText('0%', pad.l + w + 4, pad.t + h);
  ctx.textAlign = 'center';
  ctx.fillText(n ? `steps 1–${n}` : 'no steps yet', pad.l + w / 2, H - 6);
  const line = (values: number[], min: number, max: number, color: string) => {
    const span = Math.max(max - min, 1e-9);
    if (values.length === 0) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = pad.l + (values.length === 1 ? 0 : (i / (values.length - 1)) * w);
      const y = pad.t + h - ((Math.min(Math.max(v, min), max) - min) / span) * h;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line(loss, minLoss, maxLoss, '#b3261e');
  line(accuracy, 0, 1, '#0b57d0');
}
