import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    disableConsoleIntercept: true,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // One throwaway PostgreSQL for the run (PostgreSQL storage tests; each file makes its own databases).
    globalSetup: ['test/support/pg-global-setup.ts'],
  },
})
