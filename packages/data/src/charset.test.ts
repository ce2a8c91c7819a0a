import { describe, expect, it } from 'vitest';
import { LabelEncoder } from './charset';
import { compileLabelRegex, labelFromFilename, labelFromRegex, parseLabelCsv, parseLabelLines } from './loader/labels';
import { createRng } from './random';

describe('LabelEncoder', () => {
  it('encodes with padding to a blank class and decodes back', () => {
    const e = new LabelEncoder('abc');
    expect(e.blank).toBe(3);
    expect(e.numClasses).toBe(4);
    expect(Array.from(e.encode('cab', 5))).toEqual([2, 0, 1, 3, 3]);
    expect(e.decode([2, 0, 1, 3, 3])).toBe('cab');
    const f = new LabelEncoder('abc', { blank: 'first' });
    expect(Array.from(f.encode('cab', 4))).toEqual([3, 1, 2, 0]);
    expect(f.decode([3, 1, 2, 0])).toBe('cab');
  });
  it('names the file on a character outside the charset or an over-long label', () => {
    const e = new LabelEncoder('abc');
    expect(() => e.encode('abx', 4, undefined, 0, 'img/7_abx.png')).toThrow(/img\/7_abx.png: label "abx" has the character 'x'/);
    expect(() => e.encode('abcabc', 4, undefined, 0, 'f.png')).toThrow(/f.png: .*more than maxLength 4/);
    expect(() => new LabelEncoder('')).toThrow(/empty/);
    expect(() => new LabelEncoder('aba')).toThrow(/repeats/);
  });
  it('infers a sorted charset', () => {
    expect(LabelEncoder.infer(['cab', 'zz', 'a1'])).toBe('1abcz');
  });
});

describe('label parsers', () => {
  it('file names', () => {
    expect(labelFromFilename('abc12.png')).toBe('abc12');
    expect(labelFromFilename('dir/000123_x7k.png')).toBe('x7k');
    expect(labelFromFilename('a_b_c.jpeg')).toBe('c');
    expect(labelFromFilename('12_.png')).toBeUndefined();
    expect(labelFromFilename('_.png')).toBeUndefined();
  });
  it('regexes need a capture group', () => {
    const re = compileLabelRegex('^captcha-(\\w+)-\\d+\\.png$');
    expect(labelFromRegex('captcha-ab3-17.png', re)).toBe('ab3');
    expect(labelFromRegex('other.png', re)).toBeUndefined();
    expect(() => compileLabelRegex('^\\w+$')).toThrow(/no capture group/);
    expect(() => compileLabelRegex('(')).toThrow(/invalid label regex/);
    const g = compileLabelRegex(/(\w+)\.png/g);
    expect(labelFromRegex('ab.png', g)).toBe('ab');
    expect(labelFromRegex('cd.png', g)).toBe('cd');
  });
  it('lines and CSV', () => {
    expect(parseLabelLines('abc\r\ndef  \n\n')).toEqual(['abc', 'def']);
    // Old-Mac CR endings are line breaks too, not label characters; a BOM is not a label character.
    expect(parseLabelLines('\ufeffab\rcd\r\ref\r')).toEqual(['ab', 'cd', '', 'ef']);
    expect(parseLabelCsv('a.png,x\rb.png,y\r')).toEqual([
      { file: 'a.png', label: 'x' },
      { file: 'b.png', label: 'y' },
    ]);
    expect(parseLabelCsv('file,label\n1.png,ab\n"x,y.png","q""r"\n')).toEqual([
      { file: '1.png', label: 'ab' },
      { file: 'x,y.png', label: 'q"r' },
    ]);
    expect(() => parseLabelCsv('a.png\n')).toThrow(/line 1: expected "file,label"/);
    expect(() => parseLabelCsv('"a.png,b\n')).toThrow(/unterminated quote/);
  });
  it('fuzz: random names and texts give a label, undefined or a clear Error, never a crash', () => {
    const rng = createRng('fuzz-labels');
    const alphabet = 'ab_.,"\\()[]*+?\n\r\t0129xyz/é😀';
    const rand = (n: number) => Array.from({ length: Math.floor(rng() * n) }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const s = rand(30);
      const l = labelFromFilename(s);
      expect(l === undefined || (typeof l === 'string' && l.length > 0 && !l.includes('_'))).toBe(true);
      try {
        parseLabelCsv(s);
      } catch (e) {
        expect((e as Error).message).toMatch(/labels CSV line \d+/);
      }
      parseLabelLines(s);
      try {
        const re = compileLabelRegex(s);
        labelFromRegex(rand(20), re);
      } catch (e) {
        expect((e as Error).message).toMatch(/label regex/);
      }
    }
  });
});
