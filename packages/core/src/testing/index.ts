// @metro/core/testing: the test harness (no test-runner dependency: works under vitest, jest, node:test).
// The transport contract suite, which needs vitest, is its own entry: @metro/core/contract.
export { createTestMetro } from './test-metro.js';
export type { TestMetro, TestMetroOptions } from './test-metro.js';
export { fakeService } from './fake-service.js';
export type { FakeService, FakeBehaviour, FakeReceived } from './fake-service.js';
