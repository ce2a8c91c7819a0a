import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end tests spawn the built CLI (dist/bin.js): `npm test` builds first (turbo), or run `npx tsup`.
    fileParallelism: false,
  },
});
