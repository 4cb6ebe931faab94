import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`): each scenario runs `npm start` in a process group of
 * its own and kills, stops or pauses part of it, so scenarios run one at a time.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
