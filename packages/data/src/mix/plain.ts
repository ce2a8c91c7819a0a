import { canvasFactory, type Context2D } from '../canvas';
import { cssFont, type FontSpec } from '../fonts';
import { applySineWarp, drawSineWarp } from '../reddit/sineWarp';
import { pick, randFloat, randInt, type Rng } from '../random';
import { sampleBilinear } from '../simple/effects';
import { drawScheme, inkPalette, type ColorScheme } from './colors';

/** A font of the list with a random weight and style where the spec leaves them open. */
export function fontVariant(rng: Rng, spec: FontSpec): FontSpec {
  return {
    family: spec.family,
    weight: spec.weight ?? (rng() < 0.5 ? 'bold' : 'normal'),
    style: spec.style ?? (rng() < 0.2 ? 'italic' : 'normal'),
  };
}

/**
 * The mix's "plain canvas" style: text in a random installed font on a
 * flat, linear or radial gradient background, with random colours (dark on
 * light or light on dark), dots, lines and arcs behind and over the text,
 * per-character rotation and jitter, a whole-word shear and rotation, letters
 * from half the height to nearly all of it, touching or apart, thin,
 * heavy or hollow, and sometimes a sine warp (reddit's) or a ripple that bends
 * strokes inside a letter (as Gregwar/Captcha's). Every draw comes from the
 * given PRNG.
 */
export class PlainRenderer {
  private ctx!: Context2D;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  /** Opaque RGBA pixels of `label` drawn with `fonts`. */
  render(label: string, fonts: readonly FontSpec[], rng: Rng): Uint8ClampedArray {
    // A fresh canvas each time: skia drew some texts on a reused one differently after other images (a few pixels),
    // which broke "the same seed and index give the same bytes".
    this.ctx = canvasFactory().createCanvas(this.width, this.height).getContext('2d');
    const { ctx, width: W, height: H } = this;
    const scheme = drawScheme(rng);
    this.background(scheme, rng);
    this.noise(scheme, rng, randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 120), 0.5);
    this.text(label, fonts, scheme, rng);
    this.noise(scheme, rng, randInt(rng, 0, 3), randInt(rng, 0, 2), randInt(rng, 0, 80), 1);
    const px = ctx.getImageData(0, 0, W, H).data;
    const distortion = rng();
    if (distortion < 0.35) return sineWarp(px, W, H, rng);
    if (distortion < 0.7) return rippleWarp(px, W, H, rng);
    return px;
  }

  private background(scheme: ColorScheme, rng: Rng): void {
    const { ctx, width: W, height: H } = this;
    const kind = randInt(rng, 0, 2);
    if (kind === 0) {
      ctx.fillStyle = scheme.background(rng);
    } else {
      const g =
        kind === 1
          ? ctx.createLinearGradient(randFloat(rng, 0, W), randFloat(rng, 0, H), randFloat(rng, 0, W), randFloat(rng, 0, H))
          : ctx.createRadialGradient(randFloat(rng, 0, W), randFloat(rng, 0, H), 0, W / 2, H / 2, randFloat(rng, W / 3, W));
      const stops = randInt(rng, 2, 3);
      for (let i = 0; i < stops; i++) g.addColorStop(i / (stops - 1), scheme.background(rng));
      ctx.fillStyle = g;
    }
    ctx.fillRect(0, 0, W, H);
  }

  /** Straight lines, arcs and dots in ink colours at `alpha`. */
  private noise(scheme: ColorScheme, rng: Rng, lines: number, arcs: number, dots: number, alpha: number): void {
    const { ctx, width: W, height: H } = this;
    ctx.save();
    ctx.globalAlpha = alpha;
    for (let i = 0; i < lines; i++) {
      ctx.strokeStyle = scheme.ink(rng);
      ctx.lineWidth = randFloat(rng, 1, 3);
      ctx.beginPath();
      ctx.moveTo(randFloat(rng, 0, W * 0.3), randFloat(rng, 0, H));
      ctx.lineTo(randFloat(rng, W * 0.7, W), randFloat(rng, 0, H));
      ctx.stroke();
    }
    for (let i = 0; i < arcs; i++) {
      ctx.strokeStyle = scheme.ink(rng);
      ctx.lineWidth = randFloat(rng, 1, 2.5);
      const start = randFloat(rng, 0, 2 * Math.PI);
      ctx.beginPath();
      ctx.arc(randFloat(rng, 0, W), randFloat(rng, 0, H), randFloat(rng, H / 4, W / 2), start, start + randFloat(rng, 0.5, 3));
      ctx.stroke();
    }
    for (let i = 0; i < dots; i++) {
      ctx.fillStyle = scheme.ink(rng);
      const r = randFloat(rng, 0.5, 1.8);
      ctx.beginPath();
      ctx.arc(randFloat(rng, 0, W), randFloat(rng, 0, H), r, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
  }

  /** The text, shrunk to fit (shear included), at a random place in the free space. */
  private text(label: string, fonts: readonly FontSpec[], scheme: ColorScheme, rng: Rng): void {
    const { ctx, width: W, height: H } = this;
    const chars = [...label];
    const perChar = rng() < 0.3;
    const whole = fontVariant(rng, pick(rng, fonts));
    const colors = inkPalette(rng, scheme);
    let size = Math.round(H * randFloat(rng, 0.5, 0.95));
    const rotation = randFloat(rng, 0, 25);
    const jitter = H * randFloat(rng, 0, 0.08);
    const spacing = randFloat(rng, -0.12, 0.15);
    const shear = rng() < 0.5 ? randFloat(rng, -0.35, 0.35) : 0;
    const tilt = ((rng() < 0.5 ? randFloat(rng, -8, 8) : 0) * Math.PI) / 180;
    const hollow = rng() < 0.15;
    // Heavy letters: an outline in the ink around the fill, as django-simple-captcha's bold ones.
    const heavy = !hollow && rng() < 0.25 ? size * randFloat(rng, 0.03, 0.08) : 0;
    const plan = chars.map((ch) => ({
      ch,
      font: perChar ? fontVariant(rng, pick(rng, fonts)) : whole,
      color: pick(rng, colors),
      rot: (randFloat(rng, -rotation, rotation) * Math.PI) / 180,
      dy: randFloat(rng, -jitter, jitter),
    }));
    const measure = (px: number) => {
      const widths = plan.map((p) => {
        ctx.font = cssFont(p.font, px);
        return ctx.measureText(p.ch).width;
      });
      return { widths, total: widths.reduce((a, b) => a + b, 0) + spacing * px * (chars.length - 1) };
    };
    let m = measure(size);
    // The box the text needs: its advance plus what the shear and tilt add.
    const extent = (px: number, total: number) => total + Math.abs(shear) * px + Math.abs(Math.sin(tilt)) * px;
    const avail = W * 0.92;
    if (extent(size, m.total) > avail) {
      size = Math.max(6, Math.floor((size * avail) / extent(size, m.total)));
      m = measure(size);
    }
    const free = Math.max(0, W - extent(size, m.total));
    const x0 = randFloat(rng, 0.2, 0.8) * free + (Math.abs(shear) * size) / 2;
    const yMid = H / 2 + randFloat(rng, -0.5, 0.5) * Math.max(0, H - size * 1.1);
    ctx.save();
    // Shear and tilt about the text's centre line.
    ctx.translate(W / 2, yMid);
    ctx.rotate(tilt);
    ctx.transform(1, 0, -shear, 1, 0, 0);
    ctx.translate(-W / 2, -yMid);
    ctx.textBaseline = 'middle';
    let x = x0;
    plan.forEach((p, i) => {
      const w = m.widths[i]!;
      ctx.font = cssFont(p.font, size);
      ctx.save();
      ctx.translate(x + w / 2, yMid + p.dy);
      ctx.rotate(p.rot);
      if (hollow) {
        ctx.strokeStyle = p.color;
        ctx.lineWidth = Math.max(1, size / 24);
        ctx.strokeText(p.ch, -w / 2, 0);
      } else {
        ctx.fillStyle = p.color;
        ctx.fillText(p.ch, -w / 2, 0);
        if (heavy > 0) {
          ctx.strokeStyle = p.color;
          ctx.lineWidth = heavy;
          ctx.strokeText(p.ch, -w / 2, 0);
        }
      }
      ctx.restore();
      x += w + spacing * size;
    });
    ctx.restore();
  }
}

/** Reddit's sine warp (PyCAPTCHA's SineWarp), gentler, on each colour channel with one warp. */
function sineWarp(px: Uint8ClampedArray, W: number, H: number, rng: Rng): Uint8ClampedArray {
  const w = drawSineWarp(rng, [1, 3.5], [0.04, 0.12]);
  const plane = new Uint8Array(W * H);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane.length; i++) plane[i] = px[i * 4 + c]!;
    const out = applySineWarp(plane, W, H, w);
    for (let i = 0; i < out.length; i++) px[i * 4 + c] = out[i]!;
  }
  return px;
}

/**
 * A radial ripple about a random centre (the distance r read at r + a·sin(r/λ))
 * and a vertical wave along x: strokes bend within a letter. Gregwar/Captcha
 * draws this at 40 px high (a = 4, λ = 30, a wave of about 1.3 px every 31 px);
 * here the lengths scale with the height and vary.
 */
export function rippleWarp(px: Uint8ClampedArray, W: number, H: number, rng: Rng): Uint8ClampedArray {
  const u = H / 40;
  const cx = randFloat(rng, 0, W);
  const cy = randFloat(rng, 0, H);
  const a = randFloat(rng, 2, 5) * u;
  const lambda = randFloat(rng, 20, 40) * u;
  const b = randFloat(rng, 0.8, 2) * u;
  const k = randFloat(rng, 0.15, 0.3) / u;
  const phase = randFloat(rng, 0, 2 * Math.PI);
  const out = new Uint8ClampedArray(px.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const vx = x - cx;
      const vy = y - cy;
      const r = Math.hypot(vx, vy);
      const f = r > 0 ? (r + a * Math.sin(r / lambda)) / r : 1;
      const sx = cx + vx * f;
      const sy = cy + vy * f + b * Math.sin(phase + sx * k);
      sampleBilinear(px, W, H, sx, sy, out, (y * W + x) * 4);
    }
  }
  return out;
}
