import { MetroError } from '@metro/core';
import { describe, expect, it } from 'vitest';
import * as sagaEntry from '../src/index.js';
import { InvalidSagaDefinitionError, InvalidSagaKeyError, SAGA_ERROR_CODES, SagaConcurrencyError, SagaNotFoundError } from '../src/index.js';

// Each error class the entry exports, built as the package builds it, with the code it must carry.
const raised: ReadonlyArray<[MetroError, string]> = [
  [new SagaNotFoundError('order', 'o-1', 'billing.accepted'), 'SAGA_NOT_FOUND'],
  [new InvalidSagaKeyError('order', 'billing.accepted', undefined), 'SAGA_INVALID_KEY'],
  [new InvalidSagaDefinitionError('order', 'no message starts it'), 'SAGA_INVALID_DEFINITION'],
  [new SagaConcurrencyError('order', 'o-1', 3), 'SAGA_CONCURRENCY_CONFLICT'],
];

describe('saga error codes', () => {
  it('each error class carries its code from SAGA_ERROR_CODES and a message that says what to do', () => {
    for (const [err, code] of raised) {
      expect(err, err.name).toBeInstanceOf(MetroError);
      expect(err.code).toBe(code);
      expect(err.message.length, err.name).toBeGreaterThan(40);
    }
  });

  it('covers every MetroError subclass the entry exports, and the set of codes is closed', () => {
    const exported = (Object.values(sagaEntry) as unknown[]).filter(
      (v): v is typeof MetroError => typeof v === 'function' && v.prototype instanceof MetroError,
    );
    expect(exported.map((c) => c.name).sort()).toEqual(raised.map(([e]) => e.constructor.name).sort());
    expect(Object.keys(SAGA_ERROR_CODES).sort()).toEqual(raised.map(([, code]) => code).sort());
  });
});
