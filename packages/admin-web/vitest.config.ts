import { metroVitestConfig } from '@metro/vitest-config';

export default metroVitestConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
