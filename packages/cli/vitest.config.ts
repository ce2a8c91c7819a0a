import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Sized for a busy 2-core machine: the learning tests train real models.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // The end-to-end tests spawn the built CLI (dist/bin.js): `npm test` builds first (turbo), or run `npx tsup`.
    fileParallelism: false,
  },
});
