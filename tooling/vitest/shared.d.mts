import type { UserConfig } from 'vitest/config';
/** Metro's shared vitest config, with per-package overrides of the `test` section. */
export declare function metroVitestConfig(overrides?: UserConfig['test']): UserConfig;
