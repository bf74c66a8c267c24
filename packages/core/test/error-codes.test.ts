import { describe, expect, it } from 'vitest';
import {
  BatchItemsError,
  CORE_ERROR_CODES,
  ConfigurationError,
  DecodeError,
  DeliveryLimitError,
  HandlerTimeoutError,
  MessageExpiredError,
  MessageOversizedError,
  MetroError,
  NoHandlerError,
  NonErrorThrown,
  PublishError,
  QueueInUseError,
  RequestTimeoutError,
  TransportClosedError,
  UnroutableError,
  ValidationError,
  type CoreErrorCode,
} from '../src/index.js';
import * as core from '../src/index.js';
import { StopAbort } from '../src/dispatch/handler-invoker.js';

// One instance of every error class core exports, each built as core builds it.
const instances: ReadonlyArray<MetroError> = [
  new ValidationError('payload', [{ message: 'bad' }]),
  new DecodeError('not JSON'),
  new DeliveryLimitError('billing', 'm1'),
  new TransportClosedError(),
  new UnroutableError('topic orders'),
  new PublishError('nacked'),
  new HandlerTimeoutError('h', 10),
  new MessageExpiredError('send', new Date(0).toISOString()),
  new MessageOversizedError(10, 5, 5),
  new NoHandlerError('send', 'billing'),
  new NonErrorThrown('oops'),
  new ConfigurationError('bad option'),
  new QueueInUseError('billing'),
  new RequestTimeoutError('rpc.x', 10),
  new BatchItemsError([{ item: 'i', error: new Error('refused') }]),
  new StopAbort(), // internal: the bus's own abort at the stop timeout
];

describe('core error codes', () => {
  it('every core error class raises a code from CORE_ERROR_CODES', () => {
    for (const err of instances) expect(Object.keys(CORE_ERROR_CODES), err.name).toContain(err.code);
  });

  it('the test covers every MetroError subclass the entry exports', () => {
    const exported = Object.values(core).filter((v): v is typeof MetroError => typeof v === 'function' && v.prototype instanceof MetroError);
    const covered = new Set(instances.map((e) => e.constructor));
    expect(exported.filter((c) => !covered.has(c)).map((c) => c.name)).toEqual([]);
  });

  it('pins the set of codes', () => {
    expect(Object.keys(CORE_ERROR_CODES).sort()).toEqual(
      [
        'BATCH_ITEMS_FAILED',
        'CONFIGURATION',
        'DECODE_FAILED',
        'DELIVERY_LIMIT',
        'HANDLER_TIMEOUT',
        'MESSAGE_EXPIRED',
        'MESSAGE_OVERSIZED',
        'NON_ERROR_THROWN',
        'NO_HANDLER',
        'PUBLISH_FAILED',
        'REQUEST_TIMEOUT',
        'STOPPING',
        'TRANSPORT_CLOSED',
        'UNROUTABLE',
        'VALIDATION_FAILED',
      ].sort(),
    );
  });

  it('types each class code as its literal, and a subclass in another package can pass its own', () => {
    const code: 'VALIDATION_FAILED' = new ValidationError('p', []).code;
    const known: CoreErrorCode = new DecodeError('x').code;
    class OtherTimeout extends RequestTimeoutError<'OTHER_TIMEOUT'> {
      constructor() {
        super('there', 1, 'OTHER_TIMEOUT');
      }
    }
    expect([code, known, new OtherTimeout().code]).toEqual(['VALIDATION_FAILED', 'DECODE_FAILED', 'OTHER_TIMEOUT']);
  });
});
