import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module, as Metro uses it. */
export type OtelApiModule = typeof OtelApi;

let loaded: OtelApiModule | null | undefined;

/**
 * `@opentelemetry/api` when it is installed, else `undefined`. It is an optional peer: loaded
 * once, lazily and synchronously (no static import that fails without it, no top-level await, so
 * Metro's packages stay `require()`-able). Its globals are shared across copies of the api, so an
 * SDK registered through the ESM build is seen here too.
 */
export function otelApi(): OtelApiModule | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApiModule;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
