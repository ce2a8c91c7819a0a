import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Bundle tfjs-core's gradient and chained-op registrations (see src/tf.ts); every other
  // tfjs import stays external so the user's copy is the one we use.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/(register_all_gradients|public\/chained_ops)/],
});
