import { metroVitestConfig } from '@metro/vitest-config';

export default metroVitestConfig();
