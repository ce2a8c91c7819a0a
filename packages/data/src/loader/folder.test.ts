import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromRGBA } from '../image';
import { createRng } from '../random';
import { bmp, gif, jpeg, meanAbsDiff, noise, pattern, png, pngHeaderOnly, tempDir } from '../test/helpers';
import { containBox } from '../fit';
import { decodeImage } from './decode';
import { folderFingerprint, openFolderDataset } from './folder';
import { summarizeSkipped } from './skipped';

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const folder = (files: Record<string, Buffer | string>) => {
  const dir = join(tmp.dir, `f${n++}`);
  mkdirSync(dir);
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
};

const img = pattern(12, 8);

describe('decodeImage', () => {
  it('round-trips PNG, BMP and GIF exactly and JPEG closely', async () => {
    for (const [name, bytes, tol] of [
      ['png', png(img), 0],
      ['bmp', bmp(img), 0],
      ['jpeg', jpeg(img), 6],
    ] as const) {
      const d = await decodeImage(bytes, { channels: 'rgb' });
      expect([d.width, d.height, d.channels], name).toEqual([12, 8, 3]);
      expect(meanAbsDiff(d.data, img.data), name).toBeLessThanOrEqual(tol);
    }
    // GIF is palettised (256 colours); a gray image survives exactly.
    const gray = fromRGBA(
      new Uint8Array((pattern(12, 8, 3).data.length / 3) * 4).map((_, i) => (i % 4 === 3 ? 255 : (i >> 2) * 2)),
      12,
      8,
      'gray',
    );
    const g = await decodeImage(gif(gray), { channels: 'gray' });
    expect(meanAbsDiff(g.data, gray.data)).toBeLessThanOrEqual(1);
  });

  it('selects channels, resizes and pads', async () => {
    const bytes = png(img);
    const r = await decodeImage(bytes, { channels: 'r' });
    const g1 = await decodeImage(bytes, { channels: 1 });
    expect(r.channels).toBe(1);
    expect(Array.from(r.data.slice(0, 3))).toEqual([img.data[0], img.data[3], img.data[6]]);
    expect(g1.data[1]).toBe(img.data[4]);
    const gray = await decodeImage(bytes, { channels: 'gray' });
    const [R, G, B] = [img.data[3]!, img.data[4]!, img.data[5]!];
    expect(gray.data[1]).toBe(Math.floor((299 * R + 587 * G + 114 * B + 500) / 1000));
    const big = await decodeImage(bytes, { fit: 'resize', size: { width: 24, height: 16 } });
    expect([big.width, big.height]).toEqual([24, 16]);
    const pad = await decodeImage(bytes, { fit: 'pad', size: { width: 20, height: 10 }, channels: 'rgb', matte: 'black' });
    expect([pad.width, pad.height]).toEqual([20, 10]);
    expect(Array.from(pad.data.slice((9 * 20 + 19) * 3, (9 * 20 + 19) * 3 + 3))).toEqual([0, 0, 0]);
    expect(pad.data[3]).toBe(img.data[3]);
    await expect(decodeImage(bytes, { fit: 'pad', size: { width: 4, height: 4 } })).rejects.toThrow(/larger than the pad size/);
  });

  it('fuzz: random and truncated bytes reject with an Error, never crash or hang', async () => {
    const rng = createRng('fuzz-decode');
    const seeds = [png(img), jpeg(img), gif(img), bmp(img)];
    for (let i = 0; i < 300; i++) {
      let bytes: Buffer;
      if (i % 3 === 0) bytes = Buffer.from(Array.from({ length: Math.floor(rng() * 200) }, () => Math.floor(rng() * 256)));
      else {
        const s = Buffer.from(seeds[i % seeds.length]!);
        for (let k = 0; k < 1 + Math.floor(rng() * 8); k++) s[Math.floor(rng() * s.length)] = Math.floor(rng() * 256);
        bytes = s.subarray(0, Math.max(1, Math.floor(rng() * s.length * 1.2)));
      }
      try {
        const d = await decodeImage(bytes, { channels: 'gray' });
        expect(d.data.length).toBe(d.width * d.height);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
      }
    }
  });
});

describe('folder datasets', () => {
  it('reads every format with labels from <label>.ext and <anything>_<label>.ext', async () => {
    const dir = folder({
      'abc.png': png(img),
      '001_bca.jpg': jpeg(img),
      'x_y_cab.gif': gif(img),
      '7_aab.bmp': bmp(img),
      'notes.txt': 'ignored',
    });
    const ds = await openFolderDataset(dir, { channels: 'rgb' });
    expect(ds.entries.map((e) => [e.file, e.label])).toEqual([
      ['001_bca.jpg', 'bca'],
      ['7_aab.bmp', 'aab'],
      ['abc.png', 'abc'],
      ['x_y_cab.gif', 'cab'],
    ]);
    expect(ds.charset).toBe('abc');
    expect([ds.width, ds.height, ds.channels, ds.maxLength]).toEqual([12, 8, 3, 3]);
    for (let i = 0; i < ds.size; i++) {
      const s = (await ds.load(i))!;
      expect(s.label).toBe(ds.entries[i]!.label);
      expect(meanAbsDiff(s.image.data, img.data)).toBeLessThan(25);
    }
    expect(ds.skipped).toEqual([]);
  });

  it('labels from a regex, a CSV and ans.txt (0- or 1-based, auto-detected)', async () => {
    const re = await openFolderDataset(folder({ 'cap-xy1-0.png': png(img), 'cap-z-1.png': png(img), 'other.png': png(img) }), {
      labels: { regex: '^cap-(\\w+)-\\d+\\.png$' },
    });
    expect(re.entries.map((e) => e.label)).toEqual(['xy1', 'z']);
    expect(re.skipped.map((s) => s.file)).toEqual(['other.png']);

    const csv = await openFolderDataset(folder({ 'a.png': png(img), 'b.png': png(img), 'labels.csv': 'file,label\na.png,q1\nb.png,"w2"\nc.png,zz\n' }), {
      labels: { file: 'labels.csv', format: 'csv' },
    });
    expect(csv.entries).toEqual([
      { file: 'a.png', label: 'q1' },
      { file: 'b.png', label: 'w2' },
    ]);
    expect(csv.skipped.map((s) => s.file)).toEqual(['c.png']);

    const zero = await openFolderDataset(folder({ '0.png': png(img), '1.png': png(img), '2.png': png(img), 'ans.txt': 'aa\nbb\ncc\n' }), {
      labels: { file: 'ans.txt' },
    });
    expect(zero.entries.map((e) => `${e.file}=${e.label}`)).toEqual(['0.png=aa', '1.png=bb', '2.png=cc']);
    const one = await openFolderDataset(folder({ '1.png': png(img), '2.png': png(img), 'ans.txt': 'aa\nbb\n' }), { labels: { file: 'ans.txt' } });
    expect(one.entries.map((e) => `${e.file}=${e.label}`)).toEqual(['1.png=aa', '2.png=bb']);
    const forced = await openFolderDataset(folder({ '1.png': png(img), '2.png': png(img), 'ans.txt': 'aa\nbb\n' }), {
      labels: { file: 'ans.txt', firstIndex: 0 },
    });
    expect(forced.entries.map((e) => `${e.file}=${e.label}`)).toEqual(['1.png=bb']);
    expect(forced.skipped).toEqual([{ file: '2.png', reason: 'ans.txt has no label on line 3', kind: 'unlabelled' }]);
  });

  it('a given charset rejects other characters, naming the file', async () => {
    const dir = folder({ 'ab.png': png(img), '3_aX.png': png(img) });
    await expect(openFolderDataset(dir, { charset: 'ab' })).rejects.toThrow(
      /1 character of the labels not in the charset "ab": 'X' in 1 label \(3_aX\.png\) \(fix or remove/,
    );
  });

  it('skips, counts and names corrupt files; strict mode throws naming the file', async () => {
    const dir = folder({
      'ab.png': png(img),
      'bad_ba.png': Buffer.from('not an image at all'),
      'trunc_aa.png': png(img).subarray(0, 30),
      'ok_bb.bmp': bmp(img),
    });
    const ds = await openFolderDataset(dir);
    const loaded = await Promise.all(ds.entries.map((_, i) => ds.load(i)));
    expect(loaded.filter((s) => s === null).length).toBe(ds.skipped.length);
    expect(ds.skipped.map((s) => s.file).sort()).toEqual(['bad_ba.png', 'trunc_aa.png']);
    expect(ds.summary()).toMatch(/2 skipped:\n.*bad_ba\.png: not an image/);
    const strict = await openFolderDataset(folder({ 'bad_ba.png': Buffer.from('xx'), 'ab.png': png(img) }), { strict: true });
    await expect(strict.load(strict.entries.findIndex((e) => e.file === 'bad_ba.png'))).rejects.toThrow(/bad_ba\.png: not an image/);
    // The first file fixes the size; in strict mode an unreadable first file is an error too.
    await expect(openFolderDataset(folder({ 'a_ab.png': Buffer.from('xx'), 'b_ab.png': png(img) }), { strict: true })).rejects.toThrow(
      /a_ab\.png: not an image/,
    );
  });

  it('clear errors: empty folder, no labels, mixed sizes without resize', async () => {
    await expect(openFolderDataset(folder({ 'readme.txt': 'x' }))).rejects.toThrow(/no images \(\.png, .*\) in /);
    await expect(openFolderDataset(folder({ 'a.png': png(img) }), { labels: { regex: '^zzz(\\d)\\.png$' } })).rejects.toThrow(
      /no labels found for the 1 images/,
    );
    await expect(openFolderDataset(join(tmp.dir, 'does-not-exist'))).rejects.toThrow(/cannot read the folder/);
    const mixed = folder({ 'a.png': png(img), 'b.png': png(pattern(20, 8)) });
    const ds = await openFolderDataset(mixed);
    await expect(ds.load(1)).rejects.toThrow(/b\.png is 20x8 but the dataset's images are 12x8 \(from a\.png\); pass fit: 'contain'/);
    const resized = await openFolderDataset(mixed, { size: { width: 16, height: 8 }, fit: 'resize' });
    expect((await resized.load(1))!.image.width).toBe(16);
  });

  it('bad-file policy: empty, truncated, non-image and oversized files are skipped with a kind; verify finds them at open', async () => {
    const good = png(noise(48, 40));
    const files: Record<string, Buffer | string> = { 'labels.csv': 'file,label\n' };
    const names: string[] = [];
    for (let i = 0; i < 12; i++) names.push(`${String(i).padStart(2, '0')}_ab.png`);
    for (const [i, n] of names.entries()) {
      files[n] = i === 1 ? Buffer.alloc(0) : i === 3 || i === 4 ? good.subarray(0, 500) : i === 6 ? 'hello' : i === 8 ? pngHeaderOnly(16000, 16000) : good;
    }
    files['zz_.png'] = good; // no label
    const dir = folder(files);
    const ds = await openFolderDataset(dir, { verify: 'structure' });
    expect(ds.verified).toBe('structure');
    expect(ds.files).toEqual(names.filter((_, i) => ![1, 3, 4, 6, 8].includes(i)));
    expect(ds.candidates).toBe(13);
    expect(ds.skipped.map((s) => [s.file, s.kind])).toEqual([
      ['zz_.png', 'unlabelled'],
      ['01_ab.png', 'empty'],
      ['03_ab.png', 'truncated'],
      ['04_ab.png', 'truncated'],
      ['06_ab.png', 'not-an-image'],
      ['08_ab.png', 'too-large'],
    ]);
    expect(ds.skipped.find((s) => s.file === '08_ab.png')!.reason).toBe('image is 16000x16000, larger than the limit 4096x4096 (maxImageSize)');
    expect(ds.skippedSummary()).toBe('skipped 6 of 13 files: 2 truncated, 1 empty, 1 not an image, 1 too large, 1 unlabelled');
    // Every readable file loads: nothing more is skipped while training.
    for (let i = 0; i < ds.size; i++) expect(await ds.load(i)).not.toBeNull();
    expect(ds.skipped.length).toBe(6);

    // Without verify, the same files are found (and skipped, with the same kinds) as loading reaches them.
    const lazy = await openFolderDataset(dir);
    expect(lazy.size).toBe(12);
    const loaded = [];
    for (let i = 0; i < lazy.size; i++) loaded.push(await lazy.load(i));
    expect(loaded.filter((x) => x === null).length).toBe(5);
    expect(lazy.skippedSummary()).toBe(ds.skippedSummary());

    // strict: the first bad file is an error naming it; a raised limit lets the big header through (to the next check).
    await expect(openFolderDataset(dir, { verify: 'structure', strict: true })).rejects.toThrow(/zz_\.png: no label in the file name$/);
    await expect(openFolderDataset(dir, { labels: { regex: '^(\\d+|zz)_' }, verify: 'structure', strict: true })).rejects.toThrow(
      new RegExp(`^${join(dir, '01_ab.png')}: empty file \\(0 bytes\\)$`),
    );
    const strictLazy = await openFolderDataset(dir, { labels: { regex: '^(\\d+|zz)_' }, strict: true });
    await expect(strictLazy.load(3)).rejects.toThrow(new RegExp(`^${join(dir, '03_ab.png')}: truncated PNG: `));
    const raised = await openFolderDataset(dir, { verify: 'structure', maxImageSize: { width: 16000, height: 16000 } });
    expect(raised.skipped.find((s) => s.file === '08_ab.png')!.kind).toBe('corrupt');
    // 'decode' decodes every file at open.
    const decoded = await openFolderDataset(dir, { verify: 'decode' });
    expect(decoded.files).toEqual(ds.files);
  });

  it('summarizeSkipped: one line for a CLI', () => {
    expect(summarizeSkipped([], 120)).toBe('skipped 0 of 120 files');
    const s = (kind: 'truncated' | 'empty', n: number) => Array.from({ length: n }, (_, i) => ({ file: `${kind}${i}`, reason: kind, kind }));
    expect(summarizeSkipped([...s('empty', 5), ...s('truncated', 15)], 120)).toBe('skipped 20 of 120 files: 15 truncated, 5 empty');
  });

  it('verify with fit none: an image of another size is an error at open', async () => {
    const dir = folder({ 'a.png': png(img), 'b.png': png(pattern(20, 8)) });
    await expect(openFolderDataset(dir, { verify: 'structure' })).rejects.toThrow(/b\.png is 20x8, but 1 of the 2 images are 12x8 \(2 sizes in all\)/);
    // The odd image is blamed, even when it comes first, not the good ones after it.
    const oddFirst = folder({ '0.png': png(pattern(20, 8)), 'a.png': png(img), 'b.png': png(img) });
    await expect(openFolderDataset(oddFirst, { verify: 'structure' })).rejects.toThrow(/\/0\.png is 20x8, but 2 of the 3 images are 12x8/);
    const padded = await openFolderDataset(dir, { verify: 'structure', fit: 'pad', size: { width: 16, height: 8 } });
    expect(padded.files).toEqual(['a.png']);
    expect(padded.skipped[0]).toMatchObject({ file: 'b.png', kind: 'too-large' });
    // Found lazily (no verify), the same file is skipped with the same kind.
    const lazyPad = await openFolderDataset(dir, { fit: 'pad', size: { width: 16, height: 8 } });
    expect(await lazyPad.load(1)).toBeNull();
    expect(lazyPad.skipped).toEqual([{ file: 'b.png', kind: 'too-large', reason: "image is 20x8, larger than the pad size 16x8; use fit 'contain'" }]);
  });

  it('labels files: a BOM is not a label character; conflicting or duplicate numbers are skipped, not guessed', async () => {
    const bom = await openFolderDataset(folder({ '0.png': png(img), '1.png': png(img), 'ans.txt': '\ufeffab\ncd\n' }), { labels: { file: 'ans.txt' } });
    expect(bom.entries.map((e) => e.label)).toEqual(['ab', 'cd']);
    expect(bom.charset).toBe('abcd');
    const dup = await openFolderDataset(folder({ '1.png': png(img), '01.png': png(img), '2.png': png(img), 'ans.txt': 'ab\ncd\n' }), {
      labels: { file: 'ans.txt' },
    });
    expect(dup.files).toEqual(['01.png', '2.png']);
    expect(dup.skipped).toEqual([{ file: '1.png', reason: 'has the same number as 01.png, so the line of ans.txt for it is ambiguous', kind: 'unlabelled' }]);
    const csv = await openFolderDataset(
      folder({ 'a.png': png(img), 'b.png': png(img), 'c.png': png(img), 'l.csv': '\ufefffile,label\na.png,x\nb.png,y\na.png,z\nc.png,w\nc.png,w\n' }),
      { labels: { file: 'l.csv', format: 'csv' } },
    );
    expect(csv.entries).toEqual([
      { file: 'b.png', label: 'y' },
      { file: 'c.png', label: 'w' },
    ]);
    expect(csv.skipped).toEqual([{ file: 'a.png', reason: 'listed in l.csv with different labels ("x", "z")', kind: 'unlabelled' }]);
    const badCsv = folder({ 'a.png': png(img), 'l.csv': 'a.png,"x\n' });
    await expect(openFolderDataset(badCsv, { labels: { file: 'l.csv', format: 'csv' } })).rejects.toThrow(
      `${join(badCsv, 'l.csv')}: labels CSV line 1: unterminated quote`,
    );
  });

  it('fingerprint: count and a hash of sorted names and sizes, for checking a folder at resume', async () => {
    const dir = folder({ 'a_ab.png': png(img), 'b_ba.png': png(img), 'notes.txt': 'x' });
    const ds = await openFolderDataset(dir);
    const fp = await ds.fingerprint();
    expect(fp).toMatchObject({ files: 2, bytes: 2 * png(img).length });
    expect(fp.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await folderFingerprint(dir)).toEqual(fp);
    writeFileSync(join(dir, 'notes.txt'), 'changed'); // not an image: same fingerprint
    expect((await folderFingerprint(dir)).hash).toBe(fp.hash);
    writeFileSync(join(dir, 'b_ba.png'), png(noise(12, 8)));
    expect((await folderFingerprint(dir)).hash).not.toBe(fp.hash);
    writeFileSync(join(dir, 'b_ba.png'), png(img));
    expect((await folderFingerprint(dir)).hash).toBe(fp.hash);
    writeFileSync(join(dir, 'c_aa.png'), png(img));
    expect(await folderFingerprint(dir)).toMatchObject({ files: 3 });
    // A labels file is part of a dataset's fingerprint.
    const withAns = folder({ '0.png': png(img), 'ans.txt': 'ab\n' });
    const a = await (await openFolderDataset(withAns, { labels: { file: 'ans.txt' } })).fingerprint();
    expect(a.files).toBe(2);
    writeFileSync(join(withAns, 'ans.txt'), 'abc\n');
    expect((await (await openFolderDataset(withAns, { labels: { file: 'ans.txt' } })).fingerprint()).hash).not.toBe(a.hash);
  });
});

/** A white w x h image with a black square of side `side` at (x, y). */
function square(w: number, h: number, x: number, y: number, side: number): Buffer {
  const data = new Uint8Array(w * h * 3).fill(255);
  for (let j = y; j < y + side; j++) for (let i = x; i < x + side; i++) data.fill(0, (j * w + i) * 3, (j * w + i) * 3 + 3);
  return png({ data, width: w, height: h, channels: 3 });
}

/** Bounding box of the dark pixels (< 128) of a gray image. */
function darkBox(d: { data: Uint8Array; width: number; height: number }) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < d.height; y++)
    for (let x = 0; x < d.width; x++)
      if (d.data[y * d.width + x]! < 128) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

describe("fit 'contain': mixed sizes, aspect ratio kept, padded, never stretched", () => {
  it('containBox shrinks by one factor, never enlarges, and centres', () => {
    expect(containBox(100, 20, 50, 20)).toEqual({ x: 0, y: 5, width: 50, height: 10 });
    expect(containBox(10, 10, 50, 20)).toEqual({ x: 20, y: 5, width: 10, height: 10 });
    expect(containBox(40, 40, 50, 20)).toEqual({ x: 15, y: 0, width: 20, height: 20 });
  });

  it('a square stays square: shrunk to fit when larger, padded around when smaller', async () => {
    // 40x40 image, its whole left half black: in a 40x20 box it is shrunk to 20x20 (centred at x 10..29), black x 10..19.
    const big = await decodeImage(square(40, 40, 0, 0, 20), { fit: 'contain', size: { width: 40, height: 20 } });
    expect(darkBox(big)).toEqual({ x: 10, y: 0, width: 10, height: 10 });
    // 'resize' would stretch the same image (the proof that contain is a different policy).
    expect(darkBox(await decodeImage(square(40, 40, 0, 0, 20), { fit: 'resize', size: { width: 40, height: 20 } })).width).toBe(20);
    // A smaller image keeps its pixels, centred on white.
    const small = await decodeImage(square(10, 10, 2, 2, 4), { fit: 'contain', size: { width: 40, height: 20 } });
    expect(darkBox(small)).toEqual({ x: 17, y: 7, width: 4, height: 4 });
    expect(small.data[0]).toBe(255);
  });

  it("fit 'scale' enlarges a smaller image too, by one factor, until one side fills the box", async () => {
    expect(containBox(10, 10, 50, 20, true)).toEqual({ x: 15, y: 0, width: 20, height: 20 });
    expect(containBox(20, 5, 50, 20, true)).toEqual({ x: 0, y: 3, width: 50, height: 13 });
    expect(containBox(100, 20, 50, 20, true)).toEqual(containBox(100, 20, 50, 20));
    // The 10x10 image's 4x4 square at (2, 2), doubled: 8x8 at (2·2 + 10, 2·2) on the 40x20 canvas (20x20 image at x 10).
    const small = await decodeImage(square(10, 10, 2, 2, 4), { fit: 'scale', size: { width: 40, height: 20 } });
    expect(darkBox(small)).toEqual({ x: 14, y: 4, width: 8, height: 8 });
    expect(small.data[0]).toBe(255);
    const dir = folder({ 'a_x.png': square(10, 10, 2, 2, 4), 'b_y.png': square(20, 20, 0, 0, 4) });
    const ds = await openFolderDataset(dir, { verify: 'structure', fit: 'scale' });
    expect([ds.width, ds.height]).toEqual([20, 20]);
    expect(darkBox((await ds.load(0))!.image)).toEqual({ x: 4, y: 4, width: 8, height: 8 });
  });

  it('a folder of mixed sizes opens at the largest width and height, or at a given size', async () => {
    const dir = folder({ 'a_x.png': square(30, 10, 0, 0, 4), 'b_y.png': square(20, 16, 0, 0, 4), 'c_z.png': square(30, 10, 0, 0, 4) });
    await expect(openFolderDataset(dir, { verify: 'structure' })).rejects.toThrow(/pass fit: 'contain' to load mixed sizes/);
    const ds = await openFolderDataset(dir, { verify: 'structure', fit: 'contain' });
    expect([ds.width, ds.height, ds.sizeFrom]).toEqual([30, 16, 'the largest width and height in the folder']);
    const b = (await ds.load(1))!;
    expect([b.image.width, b.image.height]).toEqual([30, 16]);
    expect(darkBox(b.image)).toEqual({ x: 5, y: 0, width: 4, height: 4 });
    const given = await openFolderDataset(dir, { fit: 'contain', size: { width: 15, height: 16 } });
    expect(darkBox((await given.load(0))!.image)).toEqual({ x: 0, y: 5, width: 2, height: 2 });
    await expect(openFolderDataset(dir, { fit: 'contain' })).rejects.toThrow(/needs verify 'structure' or 'decode'/);
  });

  it("a height with fit 'scale': every image at that height, the width the widest one's there (rounded up)", async () => {
    // At height 20: 30x10 → 60 wide, 20x16 → 25 wide, 7x3 → 46.7, so 47.
    const dir = folder({ 'a_x.png': square(30, 10, 0, 0, 4), 'b_y.png': square(20, 16, 0, 0, 4), 'c_z.png': square(7, 3, 0, 0, 1) });
    const ds = await openFolderDataset(dir, { verify: 'structure', fit: 'scale', height: 20 });
    expect([ds.width, ds.height, ds.sizeFrom]).toEqual([60, 20, 'the widest image at height 20']);
    // The widest fills the box; the others fill its height, centred: 20x16 → 25x20 at x 17, its square 5x5.
    expect(darkBox((await ds.load(0))!.image)).toEqual({ x: 0, y: 0, width: 8, height: 8 });
    expect(darkBox((await ds.load(1))!.image)).toEqual({ x: 17, y: 0, width: 5, height: 5 });
    const narrow = await openFolderDataset(folder({ 'c_z.png': square(7, 3, 0, 0, 1) }), { verify: 'structure', fit: 'scale', height: 20 });
    expect(narrow.width).toBe(47);
    await expect(openFolderDataset(dir, { verify: 'structure', fit: 'contain', height: 20 })).rejects.toThrow(/height 20 goes with fit 'scale' and no size/);
    await expect(openFolderDataset(dir, { verify: 'structure', fit: 'scale', height: 20, size: { width: 9, height: 9 } })).rejects.toThrow(
      /height 20 goes with fit 'scale' and no size \(got fit 'scale' and a size\)/,
    );
    await expect(openFolderDataset(dir, { verify: 'structure', fit: 'scale', height: 0 })).rejects.toThrow(/height must be a positive integer/);
  });
});

describe('labels: case and odd characters', () => {
  it("labelCase 'fold' lower-cases labels and keeps them as written", async () => {
    const dir = folder({ '1_AbC.png': png(img), '2_xyz.png': png(img) });
    const ds = await openFolderDataset(dir, { labelCase: 'fold' });
    expect(ds.entries).toEqual([
      { file: '1_AbC.png', label: 'abc', written: 'AbC' },
      { file: '2_xyz.png', label: 'xyz' },
    ]);
    expect(ds.charset).toBe('abcxyz');
    expect((await ds.load(0))!.label).toBe('abc');
    expect((await openFolderDataset(dir)).charset).toBe('ACbxyz');
  });

  it('lists every odd character with counts and files', async () => {
    const dir = folder({
      '1_a b.png': png(img),
      '2_c\u00e9.png': png(img),
      '3_ok.png': png(img),
      '4_x y.png': png(img),
      'ans.csv': 'file,label\n1.png,ab\t\n',
    });
    await expect(openFolderDataset(dir)).rejects.toThrow(
      /1 character of the labels that are whitespace or control characters: U\+0020 in 2 labels \(1_a b\.png, 4_x y\.png\)/,
    );
    await expect(openFolderDataset(dir, { charset: 'abcokxy ' })).rejects.toThrow(
      /1 character of the labels not in the charset "abcokxy ": U\+00E9 '\u00e9' in 1 label \(2_c\u00e9\.png\)/,
    );
  });
});
