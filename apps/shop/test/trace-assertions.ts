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

/** Asserts that `saga` (a `process orders` span) handled one message in `handler saga:order:<message>`; returns the handler span. */
function sagaStep(t: Trace, process: ReadonlyArray<ReadableSpan> | ReadableSpan, message: string): ReadableSpan {
  const consumer = Array.isArray(process) ? process : [process as ReadableSpan];
  const handlers = consumer.flatMap((p) => t.all(`handler saga:order:${message}`).filter((h) => parentOf(h) === p.spanContext().spanId));
  expect(handlers, `one saga handler of ${message}`).toHaveLength(1);
  return handlers[0]!;
}

/** Asserts the saga handler's SMS went out through the outbox: create -> relayed send -> notifications' handler. */
function expectSms(t: Trace, sagaHandler: ReadableSpan): void {
  const create = t.one('create notifications', SpanKind.PRODUCER, sagaHandler);
  const send = t.one('send notifications', SpanKind.PRODUCER, create);
  const notify = t.one('process notifications', SpanKind.CONSUMER, send);
  t.one('handler notifications:sms.send', SpanKind.INTERNAL, notify);
}

/**
 * Asserts the scenario's four orders are four traces, each from its HTTP request through the
 * outbox row, the relay and the order saga's first step, which writes billing's payment.request
 * (relayed to billing's charge-order handler, with its RPC call when the batch was this order's)
 * and schedules the payment timeout. The two paid orders go on: orders.paid -> the saga's paid step
 * -> the SMS through the outbox -> notifications' handler; the declined one the same way through
 * orders.payment-declined; the unpaid one's charge fails. Returns the traces, the declined order's
 * and the unpaid order's.
 */
export function expectOrderTraces(spans: ReadableSpan[]): { traces: Trace[]; declined: Trace; unpaid: Trace } {
  const requests = spans.filter((s) => s.name === 'POST /orders');
  expect(requests).toHaveLength(4);
  const traces = requests.map((r) => traceOf(spans, r.spanContext().traceId));
  const failed = (t: Trace): boolean => t.all('handler charge-order').some((h) => h.status.code === SpanStatusCode.ERROR);
  const declinedTrace = (t: Trace): boolean => t.all('handler saga:order:orders.payment-declined').length > 0;
  expect(traces.filter(failed)).toHaveLength(1);
  expect(traces.filter(declinedTrace)).toHaveLength(1);
  for (const t of traces) {
    const request = t.one('POST /orders', SpanKind.SERVER);
    const create = t.one('create orders', SpanKind.PRODUCER, request);
    const relayed = t.one('publish orders', SpanKind.PRODUCER, create);
    expect(relayed.instrumentationScope.name).toBe('@metro/outbox-pg');
    const placed = sagaStep(t, t.one('process orders', SpanKind.CONSUMER, relayed), 'orders.placed');
    t.one('schedule orders:payment-due', SpanKind.INTERNAL, placed);
    const requestPayment = t.one('create billing', SpanKind.PRODUCER, placed);
    const sent = t.one('send billing', SpanKind.PRODUCER, requestPayment);
    const billing = t.all('process billing', SpanKind.CONSUMER).filter((p) => parentOf(p) === sent.spanContext().spanId);
    expect(billing.length).toBeGreaterThanOrEqual(1);
    expect(billing[0]!.attributes).toMatchObject({ 'messaging.system': 'rabbitmq', 'messaging.destination.subscription.name': 'billing' });
    const charges = billing.map((b) => t.one('handler charge-order', SpanKind.INTERNAL, b));
    // The loader batches the lookups of one tick into one call: it is in the trace of the batch's first caller.
    for (const rpcClient of t.all('customers.get', SpanKind.CLIENT)) {
      expect(charges.map((c) => c.spanContext().spanId)).toContain(parentOf(rpcClient));
      expect(rpcClient.attributes['rpc.method']).toBe('customers.get');
      // the server's span: Metro's (kind server), or instrumentation-amqplib's consumer span of the request, named by Metro
      expect(t.one('customers.get', undefined, rpcClient).attributes['rpc.method']).toBe('customers.get');
    }
    if (failed(t)) continue; // the unpaid order: nothing reaches its saga from billing (its timeouts fire in traces of their own)
    expect(billing[0]!.attributes['metro.outcome']).toBe('ok');
    const answer = t.one('publish orders', SpanKind.PRODUCER, charges[0]); // orders.paid or orders.payment-declined
    const step = sagaStep(t, t.one('process orders', SpanKind.CONSUMER, answer), declinedTrace(t) ? 'orders.payment-declined' : 'orders.paid');
    expectSms(t, step);
  }
  return { traces, declined: traces.find(declinedTrace)!, unpaid: traces.find(failed)! };
}

/** Asserts the unpaid order's payment timeout fired from `schedule` in a trace of its own (linked to it) through the relay to the saga, which sent an SMS; returns that saga step. */
export function expectTimeoutTrace(spans: ReadableSpan[], schedule: ReadableSpan): { fire: ReadableSpan; step: ReadableSpan; trace: Trace } {
  const fire = spans.find((s) => s.name === 'fire orders:payment-due' && s.links.some((l) => l.context.spanId === schedule.spanContext().spanId));
  expect(fire, 'the firing of the payment timeout scheduled by the span given').toBeDefined();
  expect(parentOf(fire!)).toBeUndefined();
  const trace = traceOf(spans, fire!.spanContext().traceId);
  const relayed = trace.one('send orders', SpanKind.PRODUCER, fire);
  const process = trace.one('process orders', SpanKind.CONSUMER, relayed);
  expect(process.links.map((l) => l.context.spanId)).toEqual([schedule.spanContext().spanId]);
  const step = sagaStep(trace, process, 'orders:payment-due');
  expectSms(trace, step);
  return { fire: fire!, step, trace };
}
