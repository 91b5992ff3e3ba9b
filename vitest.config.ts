import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

const UNIT = 'test/unit/**/*.test.ts';
/** Unit files that measure the heap (process.memoryUsage, heap statistics): a heap shared with other files skews them. */
const UNIT_HEAP = [
  'test/unit/api/authz/node-authorizer.test.ts',
  'test/unit/api/shared-values.test.ts',
  'test/unit/client/share-parts.test.ts',
  'test/unit/kubelet/runtime/simulated/driver.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on a 2-core machine, one file at a time. Most system files
    // spend their time waiting (servers starting, kubectl, watches, timers), so at least two run side by side.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [UNIT],
          exclude: [...configDefaults.exclude, ...UNIT_HEAP],
          // Unit files keep no state between files (no module mocks, no globals), so a worker runs them one after
          // another in one module graph: src/ is imported once, not once per file (~1 s of CPU each).
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'unit-heap', include: UNIT_HEAP },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, UNIT],
          // Integration, e2e and dataplane files start servers, threads and processes: each runs in its own fork.
          globalSetup: ['test/setup/global.ts'],
        },
      },
    ],
  },
});
