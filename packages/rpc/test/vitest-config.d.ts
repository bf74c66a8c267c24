// Types for the shared vitest config (tooling/vitest/shared.mjs ships no declarations).
declare module '@metro/vitest-config' {
  import type { UserConfig } from 'vitest/config';
  export function metroVitestConfig(overrides?: UserConfig['test']): UserConfig;
}
