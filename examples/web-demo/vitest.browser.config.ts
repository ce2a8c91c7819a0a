import { defineConfig } from 'vitest/config';

// The page in headless Chromium (Debian's chromium, or CHROMIUM_PATH): npm run test:browser.
export default defineConfig({
  test: {
    include: ['test/**/*.browser.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
