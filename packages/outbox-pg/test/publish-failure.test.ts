import { describe, expect, it } from 'vitest';
import { PublishError, TransportClosedError, UnroutableError } from '@metro/core';
import { AmqpConnectError } from '@metro/transport-amqp';
import { isBrokerTrouble } from '../src/relay/publish-failure.js';

describe('isBrokerTrouble: which failed publishes the relay waits out without charging the row', () => {
  it('an unreachable broker (the transport could not connect in time) is an outage, never the row’s fault', () => {
    const unreachable = new AmqpConnectError('amqp://guest:guest@127.0.0.1:1', 500);
    expect(isBrokerTrouble(unreachable, false)).toBe(true);
    expect(isBrokerTrouble(unreachable, true)).toBe(true);
  });

  it('a lost channel or closed transport is an outage; a nack while other rows were confirmed is the row’s', () => {
    expect(isBrokerTrouble(new PublishError('lost'), true)).toBe(true);
    expect(isBrokerTrouble(new TransportClosedError(), true)).toBe(true);
    expect(isBrokerTrouble(new PublishError('refused', { details: { nacked: true } }), true)).toBe(false);
    expect(isBrokerTrouble(new PublishError('refused', { details: { nacked: true } }), false)).toBe(true);
  });

  it('an unroutable row is its own fault; an error without a code depends on the rest of the batch', () => {
    expect(isBrokerTrouble(new UnroutableError('topic "orders" subject "placed"'), false)).toBe(false);
    expect(isBrokerTrouble(new Error('bug'), true)).toBe(false);
    expect(isBrokerTrouble(new Error('bug'), false)).toBe(true);
  });
});
