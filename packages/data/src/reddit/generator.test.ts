import { describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { countDiff } from '../test/helpers';
import { RedditCaptchaGenerator } from './generator';
import { applySineWarp } from './sineWarp';

describe('reddit captcha generator', () => {
  it('draws 120x50 white-on-black captchas of six letters A-Z, deterministic for a seed', () => {
    const a = new RedditCaptchaGenerator({ seed: 7 });
    const b = new RedditCaptchaGenerator({ seed: 7 });
    const r = a.render(3);
    expect(r.label).toMatch(/^[A-Z]{6}$/);
    expect(r.rgba.length).toBe(120 * 50 * 4);
    expect(Buffer.from(r.rgba).equals(Buffer.from(b.render(3).rgba))).toBe(true);
    expect(new RedditCaptchaGenerator({ seed: 8 }).render(3).label).not.toBe(r.label);
    // Mostly black, with a bright grid and text.
    let dark = 0;
    let bright = 0;
    for (let i = 0; i < r.rgba.length; i += 4) {
      expect(r.rgba[i]).toBe(r.rgba[i + 1]);
      if (r.rgba[i]! < 40) dark++;
      if (r.rgba[i]! > 200) bright++;
    }
    expect(dark).toBeGreaterThan(6000 * 0.4);
    expect(bright).toBeGreaterThan(300);
  });

  it('re-renders the same text under new warps: image i is render i % renders of text i / renders', () => {
    const g = new RedditCaptchaGenerator({ seed: 'x', renders: 3 });
    const labels = [0, 1, 2, 3, 4, 5].map((i) => g.render(i).label);
    expect(new Set(labels.slice(0, 3)).size).toBe(1);
    expect(new Set(labels.slice(3)).size).toBe(1);
    expect(labels[0]).not.toBe(labels[3]);
    expect(labels[0]).toBe(g.text(0));
    expect(countDiff(g.render(0).rgba, g.render(1).rgba)).toBeGreaterThan(500);
    expect(Buffer.from(g.render(4).rgba).equals(Buffer.from(g.renderText(1, 1).rgba))).toBe(true);
    // The text does not depend on how many renders each has.
    expect(new RedditCaptchaGenerator({ seed: 'x' }).render(1).label).toBe(labels[3]);
  });

  it('renders a given text (renderLabel) and measures it in its font (textWidth)', () => {
    const g = new RedditCaptchaGenerator({ seed: 1 });
    expect(Buffer.from(g.renderLabel(g.text(3), createRng('reddit-render', 1, 3, 0)).rgba).equals(Buffer.from(g.render(3).rgba))).toBe(true);
    expect(g.renderLabel('ab12', createRng('y')).label).toBe('ab12');
    expect(g.textWidth('WWWW')).toBeGreaterThan(2 * g.textWidth('ii'));
    expect(g.textWidth('W')).toBeGreaterThan(12);
  });

  it('rejects bad options and a missing font', () => {
    expect(() => new RedditCaptchaGenerator({ renders: 0 })).toThrow(/renders must be a positive integer/);
    expect(() => new RedditCaptchaGenerator({ fontPath: '/nowhere/VeraBd.ttf' })).toThrow(/VeraBd.ttf is missing/);
    expect(() => new RedditCaptchaGenerator().renderText(-1, 0)).toThrow(/non-negative integers/);
  });
});

describe('applySineWarp', () => {
  const W = 41;
  const H = 31;
  const ramp = Uint8Array.from({ length: W * H }, (_, i) => (i % W) * 6);

  it('is the identity at amplitude 0 and keeps a flat image flat (edges clamped, no black borders)', () => {
    const same = applySineWarp(ramp, W, H, { amplitude: 0, period: 0.05, offsetX: 1, offsetY: 2 });
    // The last row and column read the clamped edge (PyCAPTCHA clamps its mesh to width-1, height-1).
    for (let y = 0; y < H - 1; y++) for (let x = 0; x < W - 1; x++) expect(same[y * W + x]).toBe(ramp[y * W + x]);
    const flat = new Uint8Array(W * H).fill(90);
    expect(new Set(applySineWarp(flat, W, H, { amplitude: 6, period: 0.08, offsetX: 3, offsetY: 9 }))).toEqual(new Set([90]));
  });

  it('shifts x by a*sin((y+ox)*p): a quarter-period offset gives a shift of a along the ramp', () => {
    // sin((y + ox) * p) = 1 at y = 0 for ox = pi/2/p; with p small it stays near 1 on the first rows.
    const p = 0.01;
    const out = applySineWarp(ramp, W, H, { amplitude: 2, period: p, offsetX: Math.PI / 2 / p, offsetY: 0 });
    // Row 0, column 10 reads column 12 (value 96) — up to the mesh's interpolation.
    expect(Math.abs(out[10]! - 12 * 6)).toBeLessThanOrEqual(2);
  });
});
