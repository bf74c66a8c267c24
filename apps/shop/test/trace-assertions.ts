// Assertions on the shop's traces, shared by its telemetry tests (with and without the amqplib instrumentation).
import { parentOf } from '@metro/test-support/telemetry';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';

/** The spans of one trace, by name (and kind, and parent, when several share a name). */
export class Trace {
  constructor(readonly spans: ReadableSpan[]) {}
  all(name: string, kind?: SpanKind): ReadableSpan[] {
    return this.spans.filter((s) => s.name === name && (kind === undefined || s.kind === kind));
  }
  one(name: string, kind?: SpanKind, parent?: ReadableSpan): ReadableSpan {
    const found = this.all(name, kind).filter((s) => parent === undefined || parentOf(s) === parent.spanContext().spanId);
    expect(found, `one "${name}"${parent ? ` under "${parent.name}"` : ''} in ${this.spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
    return found[0]!;
  }
}

/** The spans of `traceId` among `spans`. */
export function traceOf(spans: ReadableSpan[], traceId: string): Trace {
  return new Trace(spans.filter((s) => s.spanContext().traceId === traceId));
}

/** Asserts `child`'s parent is `parent`. */
export function childOf(child: ReadableSpan, parent: ReadableSpan): void {
  expect(parentOf(child), `"${child.name}" is a child of "${parent.name}"`).toBe(parent.spanContext().spanId);
}

/**
 * Asserts the scenario's three orders are three traces, and that each paid order's trace runs
 * from its HTTP request through the outbox row, the relay, billing's handler (and the RPC call,
 * when the batch was this order's), the orders.paid event and notifications' SMS handler, each
 * span the child of the one before. Returns the traces and the declined order's.
 */
export function expectOrderTraces(spans: ReadableSpan[]): { traces: Trace[]; declined: Trace } {
  const requests = spans.filter((s) => s.name === 'POST /orders');
  expect(requests).toHaveLength(3);
  const traces = requests.map((r) => traceOf(spans, r.spanContext().traceId));
  const failed = (t: Trace): boolean => t.all('handler charge-order').some((h) => h.status.code === SpanStatusCode.ERROR);
  const paid = traces.filter((t) => !failed(t));
  expect(paid).toHaveLength(2);
  for (const t of paid) {
    const request = t.one('POST /orders', SpanKind.SERVER);
    const create = t.one('create orders', SpanKind.PRODUCER, request);
    t.one('schedule orders.reminder', SpanKind.INTERNAL, request);
    const relayed = t.one('publish orders', SpanKind.PRODUCER, create);
    expect(relayed.instrumentationScope.name).toBe('@metro/outbox-pg');
    const billing = t.one('process orders', SpanKind.CONSUMER, relayed);
    expect(billing.attributes).toMatchObject({ 'messaging.system': 'rabbitmq', 'messaging.destination.subscription.name': 'billing', 'metro.outcome': 'ok' });
    const charge = t.one('handler charge-order', SpanKind.INTERNAL, billing);
    // The loader batches the lookups of one tick into one call: it is in the trace of the batch's first caller.
    for (const rpcClient of t.all('customers.get', SpanKind.CLIENT)) {
      childOf(rpcClient, charge);
      expect(rpcClient.attributes['rpc.method']).toBe('customers.get');
      // the server's span: Metro's (kind server), or instrumentation-amqplib's consumer span of the request, named by Metro
      expect(t.one('customers.get', undefined, rpcClient).attributes['rpc.method']).toBe('customers.get');
    }
    const paidEvent = t.one('publish orders', SpanKind.PRODUCER, charge);
    t.one('process orders', SpanKind.CONSUMER, paidEvent); // the orders service marks the order paid
    const send = t.one('send notifications', SpanKind.PRODUCER, charge);
    const notify = t.one('process notifications', SpanKind.CONSUMER, send);
    t.one('handler notifications:sms.send', SpanKind.INTERNAL, notify);
  }
  return { traces, declined: traces.find(failed)! };
}
