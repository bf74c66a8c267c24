import {
  ConfigurationError,
  createEnvelope,
  describeDefinition,
  silentLogger,
  toMilliseconds,
  validate,
  type Duration,
  type Envelope,
  type Logger,
  type MessageDefinition,
  type Payload,
  type PayloadInput,
  type SchemaOutput,
  type StandardSchemaV1,
} from '@metro/core';
import type { SagaDefinition } from '../definition/define-saga.js';
import type { SagaEffects } from '../runtime/saga-effects.js';
import { applyTransition, type TransitionResult } from '../runtime/transition.js';
import { InMemorySagaStore } from '../stores/in-memory-saga-store.js';
import type { SagaRecord } from '../stores/saga-record.js';

/** A message a saga sent or published, as the harness recorded it. */
export interface RecordedMessage {
  /** `topic.type` or `service:type`. */
  readonly message: string;
  readonly payload: unknown;
  readonly envelope: Envelope;
}

/** A timeout a saga asked for that has neither fired nor been cancelled. */
export interface PendingHarnessTimeout {
  /** The scheduled message's id. */
  readonly id: string;
  readonly message: string;
  readonly dueAt: Date;
  readonly saga: string;
  readonly key: string;
  readonly payload: unknown;
}

/** Options of {@link createSagaHarness}. */
export interface SagaHarnessOptions {
  /** Default a new in-memory store. */
  readonly store?: InMemorySagaStore;
  /** The harness clock's start. Default now. */
  readonly now?: Date;
  /** `source` of the envelopes. Default `'saga-harness'`. */
  readonly source?: string;
  /** Default silent. */
  readonly logger?: Logger;
}

/** Drives one saga in memory. See {@link createSagaHarness}. */
export interface SagaHarness<S extends StandardSchemaV1> {
  readonly store: InMemorySagaStore;
  /** Validates the payload and applies the message to its saga, as the runtime would. Rejects as the handler does; nothing is recorded then. A message id already applied is `ignored` (`duplicate`), as the inbox does. */
  deliver<D extends MessageDefinition>(definition: D, payload: PayloadInput<D>, options?: { id?: string; correlationId?: string }): Promise<TransitionResult>;
  /** The state of saga `key` (`undefined` when there is none, or it completed and was deleted). */
  state(key: string): Promise<SchemaOutput<S> | undefined>;
  /** The stored saga `key`: version, status, timeouts, history. */
  saga(key: string): Promise<SagaRecord | undefined>;
  /** Commands sent by committed transitions, in order. */
  readonly sent: ReadonlyArray<RecordedMessage>;
  /** Events published by committed transitions, in order. */
  readonly published: ReadonlyArray<RecordedMessage>;
  /** Payloads of the commands or events of one definition sent or published, in order. */
  messagesOf<D extends MessageDefinition>(definition: D): Array<Payload<D>>;
  /** Timeouts waiting to fire, by due time. */
  readonly timeouts: ReadonlyArray<PendingHarnessTimeout>;
  /** Moves the clock on and delivers every timeout now due, in due order (and those they ask for, if due too). */
  advanceTime(duration: Duration): Promise<TransitionResult[]>;
  /** The harness clock. */
  now(): Date;
}

interface ScheduledTimeout extends PendingHarnessTimeout {
  readonly definition: MessageDefinition;
}

/**
 * A test harness for a saga (no test runner needed): deliver messages, then assert its state, the
 * commands and events it sent, and its timeouts; move a virtual clock to fire timeouts. It runs the
 * same transition code as the PostgreSQL runtime, on an in-memory store, and records a
 * transition's messages only when it commits.
 *
 * @example
 * ```ts
 * const harness = createSagaHarness(orderSaga);
 * await harness.deliver(OrderPlaced, { orderId: 'o-1' });
 * expect(await harness.state('o-1')).toEqual({ orderId: 'o-1', status: 'awaiting-payment' });
 * expect(harness.messagesOf(RequestPayment)).toEqual([{ orderId: 'o-1' }]);
 * await harness.advanceTime('30m'); // the payment timeout fires
 * ```
 */
export function createSagaHarness<S extends StandardSchemaV1>(saga: SagaDefinition<S>, options: SagaHarnessOptions = {}): SagaHarness<S> {
  const store = options.store ?? new InMemorySagaStore();
  const source = options.source ?? 'saga-harness';
  const logger = options.logger ?? silentLogger;
  let clock = (options.now ?? new Date()).getTime();
  const sent: RecordedMessage[] = [];
  const published: RecordedMessage[] = [];
  const timeouts: ScheduledTimeout[] = [];
  const applied = new Set<string>();

  async function deliverEnvelope(definition: MessageDefinition, envelope: Envelope): Promise<TransitionResult> {
    const route = saga.routes.find((r) => r.name === describeDefinition(definition));
    if (!route) throw new ConfigurationError(`Saga "${saga.name}" does not handle ${describeDefinition(definition)}: add it with startedBy, on or onTimeout.`);
    const payload = await validate(definition.schema, envelope.data, `Payload of ${describeDefinition(definition)}`);
    const inboxKey = `${route.name}\u0000${envelope.id}`;
    if (applied.has(inboxKey)) return { outcome: 'ignored', reason: 'duplicate', key: String(route.key(payload)), version: 0, cancelledTimeouts: [] };
    const buffered = { sent: [] as RecordedMessage[], published: [] as RecordedMessage[], scheduled: [] as ScheduledTimeout[] };
    const effects: SagaEffects = {
      now: () => clock,
      async publish(target, body, publishOptions) {
        const out = (await createEnvelope(target, body as never, { ...publishOptions, source, now: clock })) as Envelope;
        (target.kind === 'command' ? buffered.sent : buffered.published).push({ message: describeDefinition(target), payload: body, envelope: out });
        return out;
      },
      async schedule(target, body, at, id, tags) {
        await validate(target.schema, body, `Payload of ${describeDefinition(target)}`);
        buffered.scheduled.push({ id, message: describeDefinition(target), dueAt: at, saga: tags.saga, key: tags.sagaKey, payload: body, definition: target });
      },
    };
    const result = await store.transaction((trx) => applyTransition({ saga, route, payload, envelope, store, trx, effects, logger }));
    applied.add(inboxKey);
    sent.push(...buffered.sent);
    published.push(...buffered.published);
    timeouts.push(...buffered.scheduled);
    for (const id of result.cancelledTimeouts) {
      const at = timeouts.findIndex((t) => t.id === id);
      if (at >= 0) timeouts.splice(at, 1);
    }
    timeouts.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
    return result;
  }

  return {
    store,
    async deliver(definition, payload, deliverOptions = {}) {
      const envelope = (await createEnvelope(definition, payload, { source, now: clock, ...deliverOptions })) as Envelope;
      return deliverEnvelope(definition, envelope);
    },
    async state(key) {
      return (await store.get(saga.name, key))?.state as SchemaOutput<S> | undefined;
    },
    saga: (key) => store.get(saga.name, key),
    sent,
    published,
    messagesOf(definition) {
      const name = describeDefinition(definition);
      return [...sent, ...published].filter((m) => m.message === name).map((m) => m.payload as Payload<typeof definition>);
    },
    timeouts,
    async advanceTime(duration) {
      clock += toMilliseconds(duration);
      const results: TransitionResult[] = [];
      for (let due = timeouts[0]; due && due.dueAt.getTime() <= clock; due = timeouts[0]) {
        timeouts.shift();
        const envelope = (await createEnvelope(due.definition, due.payload as never, { source, id: due.id, now: due.dueAt.getTime() })) as Envelope;
        results.push(await deliverEnvelope(due.definition, envelope));
      }
      return results;
    },
    now: () => new Date(clock),
  };
}
