import { defineConfig } from 'tsup';

export default defineConfig({
  // parallel/worker: DataParallelTable's worker-thread entry (src/parallel/worker.ts), which
  // loads the library from ../index.js (../index.cjs) at run time.
  entry: { index: 'src/index.ts', 'parallel/worker': 'src/parallel/worker.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // DataParallelTable finds its worker with import.meta.url in ESM and
  // __filename in CJS; the CJS build's empty import.meta is never read.
  // (tsup's `shims` would import node:path/url and break browser bundles.)
  esbuildOptions(options) {
    options.logOverride = { ...options.logOverride, 'empty-import-meta': 'silent' };
  },
  target: 'es2022',
  // Bundle tfjs-core's gradient and chained-op registrations (see src/tf.ts); every other
  // tfjs import stays external so the user's copy is the one we use.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/(register_all_gradients|public\/chained_ops)/],
});
