// @metro/transport-amqp public entry.
export { AmqpTransport } from './amqp-transport.js';
export type { AmqpTransportOptions, ReconnectOptions } from './options.js';
export { defaultAmqpUrl } from './options.js';
export { AMQP_ERROR_CODES, AmqpConnectError, AmqpTopologyError } from './errors.js';
export type { AmqpErrorCode } from './errors.js';
export { roundDelay } from './delay-topology.js';
