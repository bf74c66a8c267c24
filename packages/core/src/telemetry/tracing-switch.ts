import type { TracerProvider } from '@opentelemetry/api';
import { otelApi, otelGlobalsRegistered } from './otel-api.js';

let lastProvider: TracerProvider | undefined;
let lastOn = false;

function delegateOf(provider: TracerProvider): TracerProvider {
  const proxy = provider as TracerProvider & { getDelegate?: () => TracerProvider };
  return typeof proxy.getDelegate === 'function' ? proxy.getDelegate() : provider;
}

/**
 * True when `@opentelemetry/api` is installed and a tracer provider (an SDK) is registered.
 * Checked before any span work, so with no SDK Metro builds no span, context or attribute: one
 * global lookup and a comparison per message. A provider registered later is picked up.
 */
export function tracingEnabled(): boolean {
  if (!otelGlobalsRegistered()) return false;
  const api = otelApi();
  if (api === undefined) return false;
  const provider = delegateOf(api.trace.getTracerProvider());
  if (provider !== lastProvider) {
    lastProvider = provider;
    // The api's no-op provider, whichever copy of the api (CJS or ESM) it came from.
    lastOn = provider.constructor.name !== 'NoopTracerProvider';
  }
  return lastOn;
}
