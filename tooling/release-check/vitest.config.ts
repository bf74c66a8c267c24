import { metroVitestConfig } from '@metro/vitest-config';

// Packing, a real `npm install` and a broker round trip take a while on a 2-core machine.
export default metroVitestConfig({ testTimeout: 240_000, hookTimeout: 240_000 });
