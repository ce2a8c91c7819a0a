import { afterEach, describe, expect, it } from 'vitest';
import { canvasFactory, setCanvasFactory, type CanvasFactory } from '../canvas';
import { skiaCanvasFactory } from '../canvasNode';
import { DEBIAN_FONTS } from '../fonts';
import { countDiff } from '../test/helpers';
import { MIX_CHARSET, MixCaptchaGenerator } from './generator';
import { MIX_SOURCES, type MixSource } from './sources';

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => Buffer.from(a as Uint8Array).equals(Buffer.from(b as Uint8Array));

/** The first index of each source for a generator. */
function firstOfEach(g: MixCaptchaGenerator): Map<MixSource, number> {
  const found = new Map<MixSource, number>();
  for (let i = 0; found.size < g.sources.length && i < 200; i++) {
    const s = g.render(i).source;
    if (!found.has(s)) found.set(s, i);
  }
  return found;
}

describe('mix generator', () => {
  it('is deterministic: the same seed and index give the same bytes and label, for every source; other seeds and indices differ', () => {
    const a = new MixCaptchaGenerator({ seed: 5 });
    const b = new MixCaptchaGenerator({ seed: 5 });
    const c = new MixCaptchaGenerator({ seed: 6 });
    const first = firstOfEach(a);
    expect([...first.keys()].sort()).toEqual([...MIX_SOURCES].sort());
    // Render out of order on b, so nothing depends on what was drawn before.
    for (const i of [...first.values()].reverse()) {
      const x = a.render(i);
      const y = b.render(i);
      expect(y.source).toBe(x.source);
      expect(y.label).toBe(x.label);
      expect(same(x.rgba, y.rgba)).toBe(true);
      expect(countDiff(x.rgba, c.render(i).rgba)).toBeGreaterThan(1000);
      expect(countDiff(x.rgba, a.render(i + 1).rgba)).toBeGreaterThan(1000);
    }
    expect([0, 1, 2, 3, 4, 5].map((i) => a.render(i).label)).not.toEqual([0, 1, 2, 3, 4, 5].map((i) => c.render(i).label));
  });

  it('draws an image the same whatever was drawn before it (forwards and backwards over 60 indices)', () => {
    // Found on the plain source: skia drew a few texts differently on a reused canvas after other images.
    const forwards = new MixCaptchaGenerator({ seed: 'x', sources: ['plain', 'simple'] });
    const backwards = new MixCaptchaGenerator({ seed: 'x', sources: ['plain', 'simple'] });
    const ahead = Array.from({ length: 60 }, (_, i) => forwards.render(i));
    for (let i = 59; i >= 0; i--) expect(same(backwards.render(i).rgba, ahead[i]!.rgba), `image ${i}`).toBe(true);
  });

  it('draws every source over 300 samples, each at the output size, opaque, with labels of the charset and length range', () => {
    const g = new MixCaptchaGenerator({ seed: 'count' });
    expect([g.width, g.height, g.minLength, g.maxLength, g.charset]).toEqual([160, 64, 4, 8, MIX_CHARSET]);
    const counts: Record<string, number> = {};
    const lengths = new Set<number>();
    const cases = { upper: false, lower: false, digit: false };
    for (let i = 0; i < 300; i++) {
      const r = g.render(i);
      counts[r.source] = (counts[r.source] ?? 0) + 1;
      expect(r.rgba.length).toBe(160 * 64 * 4);
      for (let p = 3; p < r.rgba.length; p += 4) if (r.rgba[p] !== 255) throw new Error(`image ${i} (${r.source}) has a transparent pixel`);
      expect(r.label).toMatch(/^[0-9A-Za-z]{4,8}$/);
      lengths.add(r.label.length);
      cases.upper ||= /[A-Z]/.test(r.label);
      cases.lower ||= /[a-z]/.test(r.label);
      cases.digit ||= /[0-9]/.test(r.label);
    }
    for (const s of MIX_SOURCES) expect(counts[s] ?? 0, `samples drawn by ${s}`).toBeGreaterThan(10);
    expect([...lengths].sort()).toEqual([4, 5, 6, 7, 8]);
    expect(cases).toEqual({ upper: true, lower: true, digit: true });
  });

  it('honours size, charset and length, and fits reddit (120x50) centred with white padding, not stretched', () => {
    const g = new MixCaptchaGenerator({ seed: 2, width: 140, height: 60, charset: 'AB3x', length: [3, 5] });
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = g.render(i);
      seen.add(r.source);
      expect(r.rgba.length).toBe(140 * 60 * 4);
      expect(r.label).toMatch(/^[AB3x]{3,5}$/);
      if (r.source !== 'reddit') continue;
      // containBox(120, 50, 140, 60): x 10, y 5; outside it white, inside reddit's black ground.
      const at = (x: number, y: number) => r.rgba[(y * 140 + x) * 4]!;
      for (const [x, y] of [
        [0, 0],
        [9, 30],
        [130, 30],
        [70, 4],
        [70, 55],
      ] as const)
        expect(at(x, y), `padding at ${x},${y}`).toBe(255);
      let dark = 0;
      for (let y = 5; y < 55; y++) for (let x = 10; x < 130; x++) if (at(x, y) < 60) dark++;
      expect(dark).toBeGreaterThan(120 * 50 * 0.4);
    }
    expect(seen.has('reddit')).toBe(true);
  });

  it('never calls Math.random (svg-captcha gets a seeded one while it runs)', () => {
    const g = new MixCaptchaGenerator({ seed: 9 });
    const orig = Math.random;
    Math.random = () => {
      throw new Error('Math.random called');
    };
    try {
      for (let i = 0; i < 30; i++) g.render(i);
    } finally {
      Math.random = orig;
    }
  });
});

describe('mix generator fonts', () => {
  const skia = canvasFactory();
  afterEach(() => setCanvasFactory(skia));
  /** The skia factory with some families hidden, as on a machine without their package. */
  const without = (hidden: (family: string) => boolean): CanvasFactory => ({
    ...skiaCanvasFactory,
    hasFont: (f) => !hidden(f) && skiaCanvasFactory.hasFont(f),
    families: () => skiaCanvasFactory.families().filter((f) => !hidden(f)),
  });

  it('draws with the installed Debian fonts only, and names the package of a missing one', () => {
    const all = new MixCaptchaGenerator().fonts.map((f) => f.family);
    expect(all.length).toBeGreaterThan(0);
    for (const f of all) expect(Object.keys(DEBIAN_FONTS)).toContain(f);
    setCanvasFactory(without((f) => f === all[0]));
    expect(new MixCaptchaGenerator().fonts.map((f) => f.family)).toEqual(all.slice(1));
    expect(() => new MixCaptchaGenerator({ fonts: [all[0]!] })).toThrow(
      new RegExp(`^mix: font family '${all[0]}' is not available \\(Debian: apt-get install ${DEBIAN_FONTS[all[0]!]}\\)`),
    );
    setCanvasFactory(without((f) => f in DEBIAN_FONTS));
    expect(() => new MixCaptchaGenerator()).toThrow(/^mix: none of the fonts .* apt-get install fonts-dejavu-core fonts-liberation ttf-bitstream-vera/);
  });

  it('rejects an unknown family with the available ones listed', () => {
    expect(() => new MixCaptchaGenerator({ fonts: ['No Such Sans'] })).toThrow(
      /^mix: font family 'No Such Sans' is not available \(register it .*available: .*DejaVu/,
    );
    expect(() => new MixCaptchaGenerator({ fonts: [] })).toThrow(/^mix: fonts is empty/);
  });
});

describe('mix generator options', () => {
  it.each([
    [{ length: 0 }, /^mix: invalid length 0/],
    [{ length: [6, 4] as [number, number] }, /^mix: invalid length \[6,4\]/],
    [{ charset: '' }, /^mix: charset is empty/],
    [{ charset: 'abca' }, /^mix: charset repeats the character 'a'/],
    [{ width: 0 }, /^mix: width must be an integer in 8\.\.4096 \(got 0\)/],
    [{ height: 0 }, /^mix: height must be an integer in 8\.\.4096 \(got 0\)/],
    [{ width: 100.5 }, /^mix: width must be an integer/],
    [{ sources: [] }, /^mix: sources is empty/],
    [{ sources: ['simple', 'pencil'] as never }, /^mix: unknown source 'pencil'/],
    [{ sources: ['reddit'] as MixSource[], length: 8 }, /^mix: no source can draw 8 characters \(sources reddit; reddit fits up to \d\)/],
  ])('%j is an error naming the option', (opts, message) => {
    expect(() => new MixCaptchaGenerator(opts)).toThrow(message);
  });

  it('rejects a bad index', () => {
    expect(() => new MixCaptchaGenerator().render(-1)).toThrow(/^mix: index must be a non-negative integer \(got -1\)/);
  });
});
