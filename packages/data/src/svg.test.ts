import { describe, expect, it } from 'vitest';
import { produceText } from './generator';
import { createRng } from './random';
import { SvgCaptchaGenerator } from './svg';
import { countDiff } from './test/helpers';

describe('svg-captcha generator', () => {
  it('is deterministic for a seed, and restores Math.random', () => {
    const orig = Math.random;
    const a = new SvgCaptchaGenerator({ seed: 7, width: 160, height: 60 });
    const b = new SvgCaptchaGenerator({ seed: 7, width: 160, height: 60 });
    const c = new SvgCaptchaGenerator({ seed: 8, width: 160, height: 60 });
    expect(a.svg(3)).toEqual(b.svg(3));
    expect(Buffer.from(a.render(3).rgba).equals(Buffer.from(b.render(3).rgba))).toBe(true);
    expect(a.svg(3).svg).not.toBe(c.svg(3).svg);
    expect(Math.random).toBe(orig);
    const r = a.render(0);
    expect(r.rgba.length).toBe(160 * 60 * 4);
    expect(r.label).toMatch(/^[abcdefghkmnprwxy2345678]{4}$/);
  });

  it('passes svg-captcha options through', () => {
    const quiet = new SvgCaptchaGenerator({ seed: 1, noise: 0 });
    const noisy = new SvgCaptchaGenerator({ seed: 1, noise: 6 });
    expect((quiet.svg(0).svg.match(/<path/g) ?? []).length).toBe(4);
    expect((noisy.svg(0).svg.match(/<path/g) ?? []).length).toBe(10);
    expect(countDiff(quiet.render(0).rgba, noisy.render(0).rgba)).toBeGreaterThan(50);
    const bg = new SvgCaptchaGenerator({ seed: 1, background: '#cc9966' }).render(0).rgba;
    expect([bg[0], bg[1], bg[2], bg[3]]).toEqual([0xcc, 0x99, 0x66, 255]);
    const g = new SvgCaptchaGenerator({ charPreset: 'ABCD', ignoreChars: 'D', size: 6 });
    expect(g.charset).toBe('ABC');
    expect(g.render(0).label).toMatch(/^[ABC]{6}$/);
    const v = new SvgCaptchaGenerator({ length: [3, 6] });
    expect([v.minLength, v.maxLength]).toEqual([3, 6]);
  });

  it('renders a given text: renderLabel(label, rng) is render(index) when handed the same text and stream', () => {
    const g = new SvgCaptchaGenerator({ seed: 4, charset: 'AbC9xyz' });
    const rng = createRng('svg', 4, 2);
    const label = produceText(rng, g.charset, 4);
    const r = g.renderLabel(label, rng);
    expect(r.label).toBe(g.render(2).label);
    expect(Buffer.from(r.rgba).equals(Buffer.from(g.render(2).rgba))).toBe(true);
    expect(g.renderLabel('AbC9', createRng('x')).label).toBe('AbC9');
  });

  it('restores Math.random even when svg-captcha throws', () => {
    const orig = Math.random;
    const g = new SvgCaptchaGenerator({ fontSize: 'x' as never, seed: 1 });
    try {
      g.svg(0);
    } catch {
      /* either way */
    }
    expect(Math.random).toBe(orig);
  });
});
