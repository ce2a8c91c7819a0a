import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Needs Debian's chromium: `npm run test:browser` (vitest.browser.config.ts), which .ci/run runs.
    exclude: ['test/packaging/browser.test.ts', '**/node_modules/**'],
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
  },
});
