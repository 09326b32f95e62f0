import { configDefaults, defineConfig } from 'vitest/config'

/**
 * Two groups. Most suites run in parallel; `*.serial.test.ts` suites restart the shared Kafka broker, so they run
 * one at a time and only after every other suite has finished (groupOrder 1), where their outage hurts nobody.
 */
export default defineConfig({
  test: {
    // Native modules (sharp, better-sqlite3) and child processes behave best in forked workers.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The AWS SDK's notice about Node 22 (see src/cli/main.ts) would clutter every test run.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/**/*.serial.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: ['test/**/*.serial.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
