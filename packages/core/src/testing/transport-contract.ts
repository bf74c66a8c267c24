import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import type { Transport } from '../transport.js';
import { registerDeliveryContract } from './transport-contract-delivery.js';
import { registerHealthContract } from './transport-contract-health.js';
import { registerLifecycleContract } from './transport-contract-lifecycle.js';
import { registerRequestContract } from './transport-contract-request.js';
import { registerRoutingContract } from './transport-contract-routing.js';
import type { ContractContext, TransportContractOptions } from './transport-contract-kit.js';

export type { TransportContractOptions, TransportContractResources } from './transport-contract-kit.js';

/**
 * Registers a vitest `describe` block proving that a `Transport` meets Metro's contract: routing
 * (topic patterns, fanout, direct, commands, queues, unroutable), delivery (competing consumers,
 * ack / requeue / reject, throwing handlers, concurrency, delays, priorities, expiry, properties
 * and exact bytes), request/reply (round trip, timeout, late replies, abort, many at once), and
 * lifecycles (cancel and close wait for in-flight handlers, close is safe twice, publish after
 * close fails), and the optional `health()` (connections and consumers as they are). Every test
 * makes its own transport with `makeTransport`, uses unique names, and closes what it opened, so
 * the suite runs in parallel against a shared real broker.
 *
 * @param name Shown in the describe title, e.g. `'amqp'`.
 * @param makeTransport Returns a new, unstarted or started, transport (called once or twice per test).
 * @param options `timeScale` multiplies every timing bound (use 2-5 for a networked broker);
 *   `cleanup` is called after each test with the queues and topics it used, to delete them.
 *
 * @example
 * ```ts
 * // test/amqp-transport.contract.test.ts
 * import { runTransportContract } from '@metro/core/testing';
 * runTransportContract('amqp', () => new AmqpTransport({ url }), { timeScale: 3 });
 * ```
 */
export function runTransportContract(name: string, makeTransport: () => Transport | Promise<Transport>, options: TransportContractOptions = {}): void {
  const ctx: ContractContext = {
    makeTransport,
    scale: options.timeScale ?? 1,
    cleanup: options.cleanup,
    run: randomBytes(4).toString('hex'),
  };
  describe(`Transport contract: ${name}`, () => {
    registerRoutingContract(ctx);
    registerDeliveryContract(ctx);
    registerRequestContract(ctx);
    registerLifecycleContract(ctx);
    registerHealthContract(ctx);
  });
}
