import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Transfers and the fake hub use real sockets and files; keep parallelism modest on 2-core machines.
    maxWorkers: 2,
  },
});
