import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module, as Metro uses it. */
export type OtelApiModule = typeof OtelApi;

let loaded: OtelApiModule | null | undefined;

/** Where `@opentelemetry/api` 1.x keeps its globals: one object for every copy of the api in the process. */
const OTEL_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/**
 * False while nothing of OpenTelemetry was ever registered in this process (no tracer or meter
 * provider, context manager, propagator or diag logger): the api creates its globals' object at
 * the first registration and never removes it. One property read, so Metro's per-message checks
 * cost next to nothing in a service with the api installed and no SDK; once it is true, they ask
 * the api (a provider registered later is picked up either way).
 */
export function otelGlobalsRegistered(): boolean {
  return (globalThis as Record<symbol, unknown>)[OTEL_GLOBALS] !== undefined;
}

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
