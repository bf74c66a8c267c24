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
      // Metro's default logger writes warnings and errors to stderr; the tests provoke plenty of
      // both (cut connections, failing handlers), so they silence it here, explicitly. A test
      // about logging sets METRO_LOG_LEVEL itself (packages/core/test/default-logger.test.ts).
      ...overrides,
      env: { METRO_LOG_LEVEL: 'silent', ...overrides.env },
    },
  });
}
