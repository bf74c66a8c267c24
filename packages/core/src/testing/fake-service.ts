import type { Codec } from '../codec.js';
import { jsonEnvelopeCodec } from '../codecs/json-envelope-codec.js';
import type { CommandDefinition, Payload } from '../definitions.js';
import type { Envelope } from '../envelope.js';
import { toError } from '../errors.js';
import type { Consumer, Delivery, Transport } from '../transport.js';

/** What a fake service does with a command type. */
export type FakeBehaviour = { readonly fail: Error | ((envelope: Envelope) => Error) } | { readonly reply: (data: unknown, envelope: Envelope) => unknown };

/** A command the fake received. */
export interface FakeReceived {
  readonly type: string;
  readonly data: unknown;
  readonly envelope: Envelope;
}

/** A stand-in for a remote service in tests: accepts its commands (and requests) and records them. */
export interface FakeService {
  readonly service: string;
  /** Every message received, in arrival order (failed ones too). */
  readonly received: ReadonlyArray<FakeReceived>;
  /** Messages whose behaviour was `fail`, with the error. */
  readonly failed: ReadonlyArray<FakeReceived & { readonly error: Error }>;
  /** Payloads received for one command definition. */
  receivedOf<D extends CommandDefinition>(definition: D): Array<Payload<D>>;
  /** Sets what happens to a command type (a definition or its type name). */
  on(type: string | CommandDefinition, behaviour: FakeBehaviour): void;
  /** Resolves once `count` messages were received in total (rejects after `timeoutMs`, default 5000). */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Stops consuming. Safe to call twice. */
  stop(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * Starts a fake of service `service` on `transport`: it declares the service's queue, takes
 * every command sent to it, records it, and replies to requests with the configured `reply`
 * (JSON). A command type set to `fail` is recorded in `failed` and acked (requests get no reply).
 *
 * @example
 * ```ts
 * const sms = await fakeService(transport, 'sms');
 * sms.on(SendSms, { fail: new Error('provider down') });
 * await metro.send(SendSms, { phone: '+1', text: 'hi' });
 * await sms.waitFor(1);
 * expect(sms.receivedOf(SendSms)).toEqual([{ phone: '+1', text: 'hi' }]);
 * ```
 */
export async function fakeService(transport: Transport, service: string, options: { codec?: Codec } = {}): Promise<FakeService> {
  const codec = options.codec ?? jsonEnvelopeCodec;
  const received: FakeReceived[] = [];
  const failed: Array<FakeReceived & { error: Error }> = [];
  const behaviours = new Map<string, FakeBehaviour>();
  let waiters: Array<{ count: number; resolve: () => void }> = [];
  let consumer: Consumer | undefined;

  async function onDelivery(delivery: Delivery): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = codec.decode(delivery);
    } catch {
      await delivery.reject();
      return;
    }
    const item: FakeReceived = { type: envelope.type, data: envelope.data, envelope };
    received.push(item);
    const behaviour = behaviours.get(envelope.type);
    if (behaviour && 'fail' in behaviour) {
      const error = toError(typeof behaviour.fail === 'function' ? behaviour.fail(envelope) : behaviour.fail);
      failed.push({ ...item, error });
    } else if (delivery.reply) {
      const result = behaviour && 'reply' in behaviour ? await behaviour.reply(envelope.data, envelope) : null;
      await delivery.reply({ body: encoder.encode(JSON.stringify(result ?? null)), contentType: 'application/json', headers: {} });
    }
    await delivery.ack();
    waiters = waiters.filter((w) => {
      if (received.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  await transport.declareQueue({ queue: service, commandsFor: service });
  consumer = await transport.consume(service, onDelivery);

  return {
    service,
    received,
    failed,
    receivedOf<D extends CommandDefinition>(definition: D): Array<Payload<D>> {
      return received.filter((r) => r.type === definition.type).map((r) => r.data as Payload<D>);
    },
    on(type, behaviour) {
      behaviours.set(typeof type === 'string' ? type : type.type, behaviour);
    },
    waitFor(count, timeoutMs = 5000) {
      if (received.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`fakeService("${service}") received ${received.length} of ${count} messages within ${timeoutMs} ms.`)),
          timeoutMs,
        );
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    async stop() {
      const c = consumer;
      consumer = undefined;
      await c?.cancel();
    },
  };
}
