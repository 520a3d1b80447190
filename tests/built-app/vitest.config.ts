import { defineConfig } from 'vitest/config';

/** The post-prune check of the Docker build steps; run by scripts/check-build-outside-docker.sh. */
export default defineConfig({
  test: {
    include: ['tests/built-app/**/*.check.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
