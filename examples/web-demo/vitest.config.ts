import { defineConfig } from 'vitest/config';

// The plain run (npm test): Node only. The page's suite needs Chromium: vitest.browser.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.browser.test.ts', '**/node_modules/**'],
    testTimeout: 120_000,
  },
});
