import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { encodePng } from '@captcha-nn/data';
import { inkImage } from './denoise';
import { REDDIT_HEIGHT, REDDIT_WIDTH } from './letters';
import { readRender, readRenderFolder } from './renders';

/**
 * Writes every render of a folder denoised (`inkImage`: ink 255, the rest 0)
 * under the same name: the training and validation folders of a whole-image
 * model that reads denoised renders (`eval --denoise`). Returns the renders written.
 */
export async function writeDenoisedFolder(dataDir: string, outDir: string, threshold: number): Promise<number> {
  const texts = await readRenderFolder(dataDir);
  await mkdir(outDir, { recursive: true });
  let written = 0;
  for (const t of texts) {
    await Promise.all(
      t.files.map(async (file) => {
        const image = await readRender(file, REDDIT_WIDTH, REDDIT_HEIGHT);
        await writeFile(join(outDir, basename(file)), encodePng(inkImage(image, threshold)));
      }),
    );
    written += t.files.length;
  }
  return written;
}
