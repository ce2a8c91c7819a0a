import { afterEach, describe, expect, it } from 'vitest';
import { type CanvasFactory, canvasFactory, setCanvasFactory } from './canvas';
import { skiaCanvasFactory } from './canvasNode';
import { simplePreset } from './simple/builder';

afterEach(() => setCanvasFactory(skiaCanvasFactory));

describe('the canvas factory', () => {
  it('is what the generators draw on: a wrapped factory sees every canvas and font check, and the output is unchanged', () => {
    const seen = { canvases: 0, fonts: [] as string[] };
    const counting: CanvasFactory = {
      name: 'counting skia',
      createCanvas: (w, h) => {
        seen.canvases++;
        return skiaCanvasFactory.createCanvas(w, h);
      },
      hasFont: (f) => {
        seen.fonts.push(f);
        return skiaCanvasFactory.hasFont(f);
      },
      families: () => skiaCanvasFactory.families(),
      inkWidth: skiaCanvasFactory.inkWidth,
      fillHintedGlyph: skiaCanvasFactory.fillHintedGlyph,
    };
    const plain = simplePreset('seed', { seed: 'factory' }).render(3);
    setCanvasFactory(counting);
    const wrapped = simplePreset('seed', { seed: 'factory' }).render(3);
    expect(seen.canvases).toBeGreaterThan(0);
    expect(seen.fonts.length).toBeGreaterThan(0);
    expect(wrapped.label).toBe(plain.label);
    expect(Buffer.from(wrapped.rgba).equals(Buffer.from(plain.rgba))).toBe(true);
  });

  it('names the entry points when none is installed', () => {
    setCanvasFactory(null as unknown as CanvasFactory);
    expect(() => canvasFactory()).toThrow(/no canvas factory is installed.*@captcha-nn\/data\/browser/);
  });
});
