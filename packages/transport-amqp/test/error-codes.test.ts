import { MetroError } from '@metro/core';
import { describe, expect, it } from 'vitest';
import * as amqp from '../src/index.js';
import { AMQP_ERROR_CODES, AmqpConnectError, AmqpTopologyError, type AmqpErrorCode } from '../src/index.js';

// One instance of every error class the package exports, each built as the transport builds it.
const instances: ReadonlyArray<MetroError> = [
  new AmqpConnectError('amqp://guest:secret@127.0.0.1:5672', 10, new Error('ECONNREFUSED')),
  new AmqpTopologyError('RabbitMQ refused to declare queue "x".', new Error('PRECONDITION_FAILED')),
];

describe('transport-amqp error codes', () => {
  it('every error class raises a code from AMQP_ERROR_CODES', () => {
    for (const err of instances) expect(Object.keys(AMQP_ERROR_CODES), err.name).toContain(err.code);
  });

  it('the test covers every MetroError subclass the entry exports', () => {
    const exported = (Object.values(amqp) as unknown[]).filter((v): v is typeof MetroError => typeof v === 'function' && v.prototype instanceof MetroError);
    const covered = new Set(instances.map((e) => e.constructor));
    expect(exported.filter((c) => !covered.has(c)).map((c) => c.name)).toEqual([]);
  });

  it('pins the set of codes', () => {
    expect(Object.keys(AMQP_ERROR_CODES).sort()).toEqual(['AMQP_CONNECT_FAILED', 'AMQP_TOPOLOGY']);
  });

  it('types each class code as its literal', () => {
    const connect: 'AMQP_CONNECT_FAILED' = new AmqpConnectError('amqp://h', 1).code;
    const topology: AmqpErrorCode = new AmqpTopologyError('refused').code;
    expect([connect, topology]).toEqual(['AMQP_CONNECT_FAILED', 'AMQP_TOPOLOGY']);
  });
});
