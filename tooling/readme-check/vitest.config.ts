import { metroVitestConfig } from '@metro/vitest-config';

// One tsc run typechecks every block (in beforeAll); on a 2-core machine that takes a while.
export default metroVitestConfig({ hookTimeout: 180_000 });
