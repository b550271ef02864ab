import { defineConfig } from 'vitest/config';

const where = (suffix: string) => [
  `packages/*/src/**/*.${suffix}.spec.ts`,
  `services/*/{src,test}/**/*.${suffix}.spec.ts`,
  `apps/*/src/**/*.${suffix}.spec.ts`,
];
const infraSetup = './packages/shared/src/testing/global-setup.ts';

/**
 * Test tiers (style.md): unit (pure, fast), integration (HTTP via inject on the embedded store and bus),
 * contracts (every adapter against one suite, on real infrastructure), e2e (real Kafka, PostgreSQL, processes).
 */
export default defineConfig({
  test: {
    // Resolved once per run for every tier that needs it (contracts, e2e): Kafka, PostgreSQL, KurrentDB.
    globalSetup: [infraSetup],
    // In CI a JSON report as well, from which .ci/run prints one plain closing line with the counts.
    reporters: process.env.CI === 'true' ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-reports/results.json' },
    projects: [
      { test: { name: 'unit', include: where('unit'), environment: 'node' } },
      // Timeouts are where a hung test gives up, not measures of speed: generous, for machines twice as slow as
      // a developer's with another core busy (PGlite starts and migrates inside the hooks).
      {
        test: {
          name: 'integration',
          include: where('int'),
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'contracts',
          include: where('contract'),
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: where('e2e'),
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
