// One vitest config for every package; a package's vitest.config.ts extends it.
import { defineConfig } from 'vitest/config';

/** @param {import('vitest/config').UserConfig['test']} [overrides] */
export function metroVitestConfig(overrides = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      pool: 'forks',
      // Integration tests isolate themselves by unique names, so files run in parallel.
      fileParallelism: true,
      // The default reporter for people; a JSON report that tooling/scripts/test-summary.mjs adds up.
      reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
      passWithNoTests: false,
      ...overrides,
    },
  });
}
