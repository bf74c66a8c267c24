import { metroVitestConfig } from '@metro/vitest-config';

// One cluster for every file: the global setup starts it before the first file and stops it after
// the last; files run one at a time, since each stops and starts nodes the others would be using.
export default metroVitestConfig({
  globalSetup: ['test/support/global-setup.ts'],
  fileParallelism: false,
  testTimeout: 180_000,
  hookTimeout: 200_000,
});
