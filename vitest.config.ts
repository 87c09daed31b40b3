import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests mount real FUSE file systems: keep them in one worker at a time.
    fileParallelism: true,
    poolOptions: { forks: { singleFork: false } },
    testTimeout: 30_000,
  },
});
