// @metro/core public entry. Everything a user imports from '@metro/core' is exported here.
export * from './errors.js';
export * from './duration.js';
export { deterministicId, uuidv7 } from './id.js';
export * from './envelope.js';
export { parseJsonSafely } from './safe-json.js';
export type { Codec, EncodedMessage, IncomingMessage } from './codec.js';
export { jsonEnvelopeCodec, CLOUDEVENTS_JSON, decodeUtf8 } from './codecs/json-envelope-codec.js';
export type { Logger } from './logger.js';
export { defaultLogger, silentLogger, childLogger } from './logger.js';
export { SerialSteps } from './serial-steps.js';
export * from './transport.js';
export type * from './stores/page.js';
export type * from './stores/failure-store.js';
export { FAILURE_REASONS, FAILURE_STATUSES } from './stores/failure-store.js';
export type * from './stores/deferred-store.js';
export type * from './stores/inbox.js';
export * from './schema.js';
export { isThenable } from './thenable.js';
export * from './definitions.js';
export { UnroutableEvents, acceptsUnroutable, isUnroutable, unroutablePolicyOf, DEFAULT_UNROUTABLE_POLICY } from './unroutable-policy.js';
export type { UnroutablePolicy, UnroutableEventStats } from './unroutable-policy.js';
export * from './context.js';
export { createEnvelope, describeDefinition, destinationOf, toOutgoingMessage } from './create-envelope.js';
export type { EnvelopeOptions } from './create-envelope.js';
export { InMemoryTransport } from './memory/in-memory-transport.js';
export type { InMemoryTransportOptions } from './memory/in-memory-transport.js';
export * from './subject-pattern.js';
export * from './retry-policy.js';
export { backoffDelay } from './backoff.js';
export { deferredReplayHeaders, failureReplayHeaders, retryHeaders } from './replay.js';
export type { ReplayHeaders } from './replay.js';
export type { Backoff, Jitter } from './backoff.js';
export type { HandlerContext, InboxHandlerContext } from './dispatch/handler-context.js';
export type { BatchItem, BatchContext, InboxBatchContext, BatchHandler, InboxBatchHandler, BatchOptions, InboxBatchOptions } from './dispatch/batch-types.js';
export type { PublishOptions } from './publish-options.js';
export type { UnroutedHandler } from './dispatch/dispatcher.js';
export { createMetro } from './bus/metro.js';
export type {
  Metro,
  MetroOptions,
  MetroStats,
  Handler,
  HandlerOptions,
  InboxHandler,
  InboxHandlerOptions,
  EventRoute,
  SubscriptionScope,
  SubscriptionOptions,
  QueueBinding,
  CatchAllOptions,
} from './bus/metro-types.js';
export { recordError } from './recorded-error.js';
export type { RateLimit, RateLimitStats } from './rate-limit/rate-limit.js';
export type { RateLimiterStats } from './rate-limit/rate-gates.js';
export { plainJsonCodec } from './codecs/plain-json-codec.js';
export { aggregateEnvelopeCodec } from './codecs/aggregate-envelope-codec.js';
export type { AggregateEnvelope } from './codecs/aggregate-envelope-codec.js';
export { serviceCommandCodec } from './codecs/service-command-codec.js';
export type { ServiceCommandBody } from './codecs/service-command-codec.js';
export { defineConsumers, registerConsumers, isConsumers } from './discovery/define-consumers.js';
export type { Consumers, ConsumerRegistry } from './discovery/define-consumers.js';
export { discoverConsumers } from './discovery/discover-consumers.js';
export type { DiscoverConsumersOptions } from './discovery/discover-consumers.js';
export { stopOnSignals } from './dev/stop-on-signals.js';
export type { Stoppable, StopOnSignalsOptions } from './dev/stop-on-signals.js';
export { createReloadingRunner } from './dev/reloading-runner.js';
export type { ReloadingRunner, ReloadingRunnerOptions } from './dev/reloading-runner.js';
export type * from './stores/outbox.js';
export { InMemoryFailureStore, memoryFailureStore } from './memory/in-memory-failure-store.js';
export { InMemoryDeferredStore, memoryDeferredStore } from './memory/in-memory-deferred-store.js';
export { InMemoryInbox, memoryInbox } from './memory/in-memory-inbox.js';
export { InMemoryOutbox, MemoryTransaction, memoryOutbox } from './memory/in-memory-outbox.js';
export type { InMemoryOutboxOptions } from './memory/in-memory-outbox.js';
// Health checks: metro.health(), combineHealth, the /livez and /readyz handler, and the parts other packages build theirs from.
export type { HealthStatus, HealthValue, HealthCheck, HealthReport, HealthProbe, HealthOptions, HealthSource } from './health/health-report.js';
export { healthReport, worstStatus } from './health/health-report.js';
export type { TransportHealth, TransportConnectionHealth, TransportConsumerHealth } from './health/transport-health.js';
export { combineHealth } from './health/combine-health.js';
export { createHealthHandler, checkAll } from './health/health-handler.js';
export type { HealthHandler, HealthHandlerOptions } from './health/health-handler.js';
export { ageCheck, resolveAgeThresholds } from './health/age-threshold.js';
export type { AgeThresholds, ResolvedAgeThresholds, AgeCheckText } from './health/age-threshold.js';
export { createBoundedProbe } from './health/bounded-probe.js';
export type { BoundedProbe, ProbeOutcome } from './health/bounded-probe.js';
export type { BusState } from './health/bus-health.js';
// Internal (each marked @internal): exported for Metro's own tests, not supported API; they may
// change in any release. No other Metro package imports them.
export { Router } from './dispatch/router.js';
export { createDispatcher } from './dispatch/dispatcher.js';
export type { Dispatcher, DispatcherOptions } from './dispatch/dispatcher.js';
export type { HandlerEntry } from './dispatch/handler-entry.js';
// OpenTelemetry: `@metro/core/telemetry` (a subpath of its own, so that these declarations, which name
// @opentelemetry/api's types, reach only a program that imports them: the api is an optional peer).
