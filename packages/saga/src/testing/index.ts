// @metro/saga/testing: the saga test harness (no test-runner dependency: works under vitest, jest, node:test).
export { createSagaHarness } from './saga-harness.js';
export type { SagaHarness, SagaHarnessOptions, RecordedMessage, PendingHarnessTimeout } from './saga-harness.js';
export { InMemorySagaStore, MemorySagaTransaction, memorySagaStore } from '../stores/in-memory-saga-store.js';
