import { metroVitestConfig } from '@metro/vitest-config';

// Packing, real `npm install`s and broker round trips take a while on a 2-core machine. The
// packages are packed once, in the global setup, for every test file.
export default metroVitestConfig({ testTimeout: 240_000, hookTimeout: 240_000, globalSetup: ['./test/global-setup.ts'] });
