import { defineConfig } from 'vitest/config';

// Our wasm kernels against the cpu backend, again on their relaxed-SIMD build (relaxedSimd.ts): Node 20
// runs it only with --experimental-wasm-relaxed-simd, and CAPTCHA_NN_WASM_SIMD=relaxed makes a missing
// build an error rather than a silent fallback to plain SIMD.
const RELAXED_SIMD_TESTS = [
  'src/backends/wasm/winograd.test.ts',
  'src/backends/wasm/kernels.test.ts',
  'src/backends/wasm/winogradThreads.test.ts',
  'src/backends/wasm/relaxedSimd.test.ts',
  'test/parity/*.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    server: {
      deps: {
        // tfjs-core's gradient registrations are ESM with extensionless
        // imports; let Vite resolve them instead of plain Node (see src/tf.ts).
        inline: [/@tensorflow\/tfjs-core\/dist\/(register_all_gradients|gradients|ops|public)/],
      },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'core',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          // Needs Debian's chromium: `npm run test:browser` (vitest.browser.config.ts), which .ci/run runs.
          exclude: ['test/packaging/browser.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: RELAXED_SIMD_TESTS,
          pool: 'forks',
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { CAPTCHA_NN_WASM_SIMD: 'relaxed' },
        },
      },
    ],
  },
});
