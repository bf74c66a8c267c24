import { describe, expect, it } from 'vitest';
import { MetroError } from '@metro/core';
import * as outboxPg from '../src/index.js';
import { FailureNotEditableError, InvalidExecutorError, InvalidIdentifierError, MigrationError, OUTBOX_PG_ERROR_CODES } from '../src/index.js';

// One instance of every error class the entry exports, each built as the package builds it.
const instances: ReadonlyArray<MetroError> = [
  new InvalidIdentifierError('schema', 'Bad'),
  new InvalidExecutorError(),
  new FailureNotEditableError('f1'),
  new MigrationError('outbox', 1, 'outbox', new Error('boom')),
];

describe('outbox-pg error codes', () => {
  it('every error class raises a code from OUTBOX_PG_ERROR_CODES', () => {
    for (const err of instances) {
      expect(err, err.name).toBeInstanceOf(MetroError);
      expect(Object.keys(OUTBOX_PG_ERROR_CODES), err.name).toContain(err.code);
    }
  });

  it('the test covers every MetroError subclass the entry exports', () => {
    const exported = (Object.values(outboxPg) as unknown[]).filter((v): v is typeof MetroError => typeof v === 'function' && v.prototype instanceof MetroError);
    const covered = new Set(instances.map((e) => e.constructor));
    expect(exported.filter((c) => !covered.has(c)).map((c) => c.name)).toEqual([]);
  });

  it('pins the set of codes', () => {
    expect(Object.keys(OUTBOX_PG_ERROR_CODES).sort()).toEqual(['FAILURE_NOT_EDITABLE', 'INVALID_EXECUTOR', 'INVALID_IDENTIFIER', 'MIGRATION_FAILED']);
  });
});
