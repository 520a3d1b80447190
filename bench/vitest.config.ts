import { defineConfig } from 'vitest/config';

/**
 * `npm run bench`: each bench/*.bench.ts file measures one thing and prints its figures. They
 * assert correctness of what they measure, never speed: wall-clock targets are reported, and a
 * person (or the closing note) compares them with the target.
 */
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
    setupFiles: ['tests/support/setup.ts'],
  },
});
