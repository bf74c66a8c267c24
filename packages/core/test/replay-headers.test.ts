// Pins the headers of every replayed copy: handler retries, failure replays and resumed deferred
// messages are built by src/replay.ts alone, for the bus and for every store; the whole copy a
// handler's retry or rate-limit deferral publishes, by src/copy-for-handler.ts.
import { describe, expect, it } from 'vitest';
import { deferredReplayHeaders, failureReplayHeaders, retryHeaders, type Delivery } from '../src/index.js';
import { copyForHandler } from '../src/copy-for-handler.js';

const stored = {
  tenant: 'eu',
  'x-tenant': 'kept: a producer header, not the broker bookkeeping',
  'metro-topic': 'orders',
  'metro-subject': 'placed.eu',
  'metro-attempt': 4,
  'metro-handler': 'old-handler',
  'metro-failure-id': 'old-failure',
  'metro-deferred-seq': 9,
  'metro-delay': 2000,
  'x-death': '[{"reason":"expired"}]',
  'x-first-death-reason': 'expired',
  'x-first-death-queue': 'metro.delay.2000',
  'x-last-death-reason': 'expired',
};
const carried = { tenant: 'eu', 'x-tenant': stored['x-tenant'], 'metro-topic': 'orders', 'metro-subject': 'placed.eu' };

describe('replay headers (one home: src/replay.ts)', () => {
  it('a failure replay: carried headers, the failure id, attempt 1 and the failed handler', () => {
    expect(failureReplayHeaders({ id: 'f1', headers: stored, handler: 'charge', topic: 'orders' })).toEqual({
      ...carried,
      'metro-failure-id': 'f1',
      'metro-attempt': 1,
      'metro-handler': 'charge',
    });
  });

  it("a no-handler failure that names a handler (renamed or removed) keeps naming it: the queue's other handlers already ran", () => {
    expect(failureReplayHeaders({ id: 'f2', headers: stored, handler: 'gone', topic: 'orders' })).toEqual({
      ...carried,
      'metro-failure-id': 'f2',
      'metro-attempt': 1,
      'metro-handler': 'gone',
    });
    // A command nobody handled names none: whichever handler the service has now runs.
    expect(failureReplayHeaders({ id: 'f4', headers: stored, handler: null, topic: null })).toEqual({
      ...carried,
      'metro-failure-id': 'f4',
      'metro-attempt': 1,
    });
  });

  it('a failure recorded before the topic header existed gets it from the record', () => {
    expect(failureReplayHeaders({ id: 'f3', headers: { tenant: 'eu' }, handler: null, topic: 'orders' })).toEqual({
      tenant: 'eu',
      'metro-topic': 'orders',
      'metro-failure-id': 'f3',
      'metro-attempt': 1,
    });
  });

  it('a resumed deferred message: carried headers, its seq, attempt 1 and the handler that deferred it', () => {
    expect(deferredReplayHeaders({ seq: 12, headers: stored, handler: 'ship' })).toEqual({
      ...carried,
      'metro-deferred-seq': 12,
      'metro-attempt': 1,
      'metro-handler': 'ship',
    });
    expect(deferredReplayHeaders({ seq: 13, headers: stored, handler: null })).toEqual({ ...carried, 'metro-deferred-seq': 13, 'metro-attempt': 1 });
  });

  it("a handler retry: carried headers plus the delivery's topic, the next attempt, the handler, the delay; a replay's failure id goes on", () => {
    const { 'metro-topic': _topic, 'metro-subject': _subject, ...headers } = stored;
    const delivery = { headers, topic: 'orders', subject: 'placed.eu' };
    expect(retryHeaders(delivery, { attempt: 3, handler: 'charge', delayMs: 4000 })).toEqual({
      ...carried,
      'metro-failure-id': 'old-failure',
      'metro-attempt': 3,
      'metro-handler': 'charge',
      'metro-delay': 4000,
    });
  });

  it("a copy for one handler (a retry or a rate-limit deferral): the delivery's bytes and properties back to its queue, with the delay, the retry headers and any extra ones", () => {
    const body = new Uint8Array([1, 2, 3]);
    const delivery = {
      queue: 'billing',
      body,
      messageId: 'm1',
      contentType: 'application/json',
      headers: stored,
      priority: 5,
      timestamp: 1700,
    } as unknown as Delivery;
    const deferral = copyForHandler(delivery, { id: 'e1' }, { attempt: 2, handler: 'charge', delayMs: 300, extraHeaders: { 'metro-rate-slot': '99' } });
    expect(deferral).toEqual({
      destination: { kind: 'queue', queue: 'billing' },
      body,
      messageId: 'm1',
      contentType: 'application/json',
      headers: { ...retryHeaders(delivery, { attempt: 2, handler: 'charge', delayMs: 300 }), 'metro-rate-slot': '99' },
      delayMs: 300,
      priority: 5,
      timestamp: 1700,
    });
    // No message id from the broker: the envelope's; no priority or timestamp: none set.
    const bare = { ...delivery, messageId: '', priority: undefined, timestamp: undefined } as Delivery;
    const retry = copyForHandler(bare, { id: 'e1' }, { attempt: 3, handler: 'charge', delayMs: 1000, linkFirstAttempt: true });
    expect(retry.messageId).toBe('e1');
    expect('priority' in retry || 'timestamp' in retry).toBe(false);
  });
});
