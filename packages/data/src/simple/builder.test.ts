import { describe, expect, it } from 'vitest';
import { generateSample, SIMPLE_CAPTCHA_CHARSET } from '../generator';
import { countDiff } from '../test/helpers';
import { CaptchaBuilder, SimpleCaptchaGenerator, simplePreset } from './builder';
import {
  block,
  curvedLine,
  dropShadow,
  fishEye,
  flat,
  gradiated,
  ripple,
  shear,
  squiggles,
  straightLine,
  type BackgroundSpec,
  type GimpySpec,
  type NoiseSpec,
} from './effects';

const rgba = (g: SimpleCaptchaGenerator, i: number) => Buffer.from(g.render(i).rgba);

describe('SimpleCaptcha generator', () => {
  it('is deterministic: same seed and config give byte-identical images, another seed differs', () => {
    for (const name of ['seed', 'variable', 'hard'] as const) {
      const a = simplePreset(name, { seed: 42 });
      const b = simplePreset(name, { seed: 42 });
      const c = simplePreset(name, { seed: 43 });
      for (const i of [0, 1, 7]) {
        expect(rgba(a, i).equals(rgba(b, i))).toBe(true);
        expect(a.render(i).label).toBe(b.render(i).label);
      }
      // Random access: image 7 does not depend on what was drawn before.
      const fresh = simplePreset(name, { seed: 42 });
      expect(rgba(fresh, 7).equals(rgba(a, 7))).toBe(true);
      const differs = [0, 1, 2, 3].some((i) => !rgba(a, i).equals(rgba(c, i)));
      expect(differs).toBe(true);
    }
  });

  it('never calls Math.random', () => {
    const orig = Math.random;
    Math.random = () => {
      throw new Error('Math.random called');
    };
    try {
      for (const name of ['seed', 'variable', 'hard'] as const) simplePreset(name, { seed: 1 }).render(3);
    } finally {
      Math.random = orig;
    }
  });

  it('draws labels from the charset with the configured lengths', () => {
    const seed = simplePreset('seed', { seed: 5 });
    const variable = simplePreset('variable', { seed: 5 });
    const lengths = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const l = seed.render(i).label;
      expect(l).toMatch(new RegExp(`^[${SIMPLE_CAPTCHA_CHARSET}]{5}$`));
      const v = variable.render(i).label;
      expect(v.length).toBeGreaterThanOrEqual(4);
      expect(v.length).toBeLessThanOrEqual(8);
      for (const ch of v) expect(SIMPLE_CAPTCHA_CHARSET).toContain(ch);
      lengths.add(v.length);
    }
    expect([...lengths].sort()).toEqual([4, 5, 6, 7, 8]);
    expect(SIMPLE_CAPTCHA_CHARSET).toHaveLength(23);
    const custom = new CaptchaBuilder(100, 40).addText({ charset: 'XY', length: [2, 3] }).build({ seed: 1 });
    expect(custom.charset).toBe('XY');
    expect([custom.minLength, custom.maxLength]).toEqual([2, 3]);
    for (let i = 0; i < 20; i++) expect(custom.render(i).label).toMatch(/^[XY]{2,3}$/);
  });

  it('the seed preset mixes its two recipes: transparent background and gradiated', () => {
    const g = simplePreset('seed', { seed: 9 });
    let transparentCount = 0;
    let opaqueCount = 0;
    for (let i = 0; i < 40; i++) {
      const px = g.render(i).rgba;
      // Corner pixel: transparent in recipe 1, gradient (dark gray) in recipe 2.
      if (px[3] === 0) transparentCount++;
      else opaqueCount++;
    }
    expect(transparentCount).toBeGreaterThan(5);
    expect(opaqueCount).toBeGreaterThan(5);
    expect(g.width).toBe(200);
    expect(g.height).toBe(50);
  });

  it('rejects bad configuration with clear messages', () => {
    expect(() => new CaptchaBuilder(0, 50)).toThrow(/width must be an integer/);
    expect(() => new CaptchaBuilder().addText({ length: 0 })).toThrow(/invalid length/);
    expect(() => new CaptchaBuilder().addText({ length: [5, 3] })).toThrow(/invalid length/);
    expect(() => new CaptchaBuilder().addText({ charset: 'aa' })).toThrow(/repeats/);
    expect(() => new CaptchaBuilder().addText({}, { fonts: ['No Such Font 123'] }).build()).toThrow(/No Such Font 123.*not available/);
    expect(() => new CaptchaBuilder().addNoise(curvedLine()).build()).toThrow(/0 text steps/);
    expect(() => new CaptchaBuilder().build()).toThrow(/no recipe/);
    expect(() => simplePreset('nope' as never)).toThrow(/unknown preset/);
  });

  describe('each effect changes pixels against the same config without it', () => {
    const base = () => new CaptchaBuilder(200, 50).addText({ length: 5 });
    const same = (a: SimpleCaptchaGenerator, b: SimpleCaptchaGenerator, i: number) => countDiff(a.render(i).rgba, b.render(i).rgba);
    // With the effect appended last, the PRNG draws before it are identical, so text and earlier steps match.
    const backgrounds: Array<[string, BackgroundSpec]> = [
      ['flat', flat()],
      ['gradiated', gradiated()],
      ['squiggles', squiggles()],
    ];
    for (const [name, spec] of backgrounds) {
      it(`background ${name}`, () => {
        const without = base().build({ seed: 3 });
        const withIt = base().addBackground(spec).build({ seed: 3 });
        expect(same(without, withIt, 0)).toBeGreaterThan(2000);
      });
    }
    const noises: Array<[string, NoiseSpec]> = [
      ['curvedLine', curvedLine()],
      ['straightLine', straightLine()],
    ];
    for (const [name, spec] of noises) {
      it(`noise ${name}`, () => {
        expect(same(base().build({ seed: 3 }), base().addNoise(spec).build({ seed: 3 }), 0)).toBeGreaterThan(100);
      });
    }
    const gimps: Array<[string, GimpySpec]> = [
      ['ripple', ripple()],
      ['fishEye', fishEye()],
      ['shear', shear()],
      ['dropShadow', dropShadow()],
      ['block', block()],
    ];
    for (const [name, spec] of gimps) {
      it(`distortion ${name}`, () => {
        // Check a few images: shear can draw a zero period for one of them.
        const a = base().build({ seed: 3 });
        const b = base().gimp(spec).build({ seed: 3 });
        const total = [0, 1, 2].reduce((s, i) => s + same(a, b, i), 0);
        expect(total).toBeGreaterThan(100);
      });
    }
    it('border', () => {
      const a = base()
        .addBackground(flat({ color: 'white' }))
        .build({ seed: 3 });
      const b = base()
        .addBackground(flat({ color: 'white' }))
        .addBorder()
        .build({ seed: 3 });
      const px = b.render(0).rgba;
      expect(same(a, b, 0)).toBeGreaterThan(200);
      // Every edge pixel is black.
      for (const [x, y] of [
        [0, 0],
        [199, 0],
        [0, 49],
        [199, 49],
        [100, 0],
        [0, 25],
      ] as const) {
        const o = (y * 200 + x) * 4;
        expect([px[o], px[o + 1], px[o + 2], px[o + 3]]).toEqual([0, 0, 0, 255]);
      }
    });
    it('text colour, size and jitter options', () => {
      const plain = base()
        .addBackground(flat({ color: 'white' }))
        .build({ seed: 3 });
      const red = new CaptchaBuilder(200, 50)
        .addText({ length: 5 }, { colors: ['red'] })
        .addBackground(flat({ color: 'white' }))
        .build({ seed: 3 });
      const px = red.render(0).rgba;
      let reddish = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i]! > 200 && px[i + 1]! < 60 && px[i + 2]! < 60) reddish++;
      expect(reddish).toBeGreaterThan(100);
      const jitter = new CaptchaBuilder(200, 50)
        .addText({ length: 5 }, { rotation: 25, jitterY: 4, fontSize: [30, 44] })
        .addBackground(flat({ color: 'white' }))
        .build({ seed: 3 });
      expect(same(plain, jitter, 0)).toBeGreaterThan(200);
    });
  });

  it('gradiated runs from the from-colour at the top left to the to-colour at the bottom right', () => {
    const g = new CaptchaBuilder(100, 20)
      .addText({ charset: 'a', length: 1 }, { fontSize: 1, colors: ['transparent'] })
      .addBackground(gradiated({ from: '#000000', to: '#ffffff' }))
      .build();
    const px = g.render(0).rgba;
    expect(px[0]).toBeLessThan(10);
    expect(px[(19 * 100 + 99) * 4]).toBeGreaterThan(245);
    expect(px[(10 * 100 + 50) * 4]).toBeGreaterThan(110);
    expect(px[(10 * 100 + 50) * 4]).toBeLessThan(145);
  });

  it('samples convert to gray / rgb / float', () => {
    const g = simplePreset('seed', { seed: 1 });
    const gray = generateSample(g, 0, { format: 'gray' });
    expect(gray.image.channels).toBe(1);
    expect(gray.image.data).toBeInstanceOf(Uint8Array);
    expect(gray.image.data.length).toBe(200 * 50);
    const f = generateSample(g, 0, { format: 'rgb', dtype: 'float32' });
    expect(f.image.data).toBeInstanceOf(Float32Array);
    expect(f.image.data.length).toBe(200 * 50 * 3);
    expect(Math.max(...f.image.data)).toBeLessThanOrEqual(1);
    expect(Math.min(...f.image.data)).toBeGreaterThanOrEqual(0);
  });
});
