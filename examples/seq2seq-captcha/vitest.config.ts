import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Sized for a busy 2-core machine: the learning tests train real models.
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
