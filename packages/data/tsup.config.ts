import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts', 'src/bin.ts'],
    format: ['esm', 'cjs'],
    dts: { entry: 'src/index.ts' },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    // import.meta.url (used to find svg-captcha's bundled font) also works in the CJS build.
    shims: true,
  },
  {
    // The browser entry: no Node modules, OffscreenCanvas (bundlers resolve seedrandom).
    entry: ['src/browser.ts'],
    format: ['esm'],
    dts: { entry: 'src/browser.ts' },
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
  },
]);
