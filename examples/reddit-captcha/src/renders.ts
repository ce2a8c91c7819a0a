import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImageFile, type ImageBuffer } from '@captcha-nn/data';

/** `<text>-<render>_<label>.png`, as `captcha-nn generate --renders K` writes them. */
const RENDER_FILE = /^(\d+)-(\d+)_([^_]+)\.png$/;

/** The renders of one text, by render index. */
export interface RenderedText {
  text: number;
  label: string;
  files: string[];
}

/**
 * The texts of a folder of renders, by text index, each with its renders in
 * render order. Every text must have at least `minRenders`; files with other
 * names are an error (a folder of something else).
 */
export async function readRenderFolder(dir: string, minRenders = 1): Promise<RenderedText[]> {
  const byText = new Map<number, { label: string; renders: Map<number, string> }>();
  for (const name of (await readdir(dir)).sort()) {
    const m = RENDER_FILE.exec(name);
    if (!m) throw new Error(`${join(dir, name)}: not a render file <text>-<render>_<label>.png (captcha-nn generate --renders K writes them)`);
    const text = Number(m[1]);
    const t = byText.get(text) ?? { label: m[3]!, renders: new Map<number, string>() };
    if (t.label !== m[3]) throw new Error(`${join(dir, name)}: text ${text} is labelled ${t.label} in other files`);
    t.renders.set(Number(m[2]), join(dir, name));
    byText.set(text, t);
  }
  if (byText.size === 0) throw new Error(`${dir}: no render files <text>-<render>_<label>.png`);
  const out: RenderedText[] = [];
  for (const [text, t] of [...byText].sort((a, b) => a[0] - b[0])) {
    if (t.renders.size < minRenders) throw new Error(`${dir}: text ${text} (${t.label}) has ${t.renders.size} renders, fewer than the ${minRenders} needed`);
    out.push({ text, label: t.label, files: [...t.renders].sort((a, b) => a[0] - b[0]).map(([, f]) => f) });
  }
  return out;
}

/** A render as a gray image; one of another size is an error (never resized: segmentation sizes are in pixels). */
export async function readRender(file: string, width: number, height: number): Promise<ImageBuffer<Uint8Array>> {
  const img = await decodeImageFile(file, { channels: 'gray' });
  if (img.width !== width || img.height !== height) throw new Error(`${file}: the image is ${img.width}x${img.height}, expected ${width}x${height}`);
  return img;
}
