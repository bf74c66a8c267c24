import { CORE_ERROR_CODES, MetroError } from '@metro/core';
import { describe, expect, it } from 'vitest';
import * as admin from '../src/index.js';
import {
  ADMIN_ERROR_CODES,
  AdminAuthRequiredError,
  AdminClientError,
  AdminForbiddenError,
  AdminServerError,
  AdminStaticDirError,
  MessageDefinitionMissingError,
  type AdminErrorCode,
} from '../src/index.js';

// One instance of every error class the package exports whose code is the package's own.
const instances: ReadonlyArray<MetroError> = [
  new AdminAuthRequiredError(),
  new AdminServerError('The admin server could not listen on 127.0.0.1:1: EACCES. Pick another port.'),
  new MessageDefinitionMissingError('f-1', 'orders/placed'),
  new AdminForbiddenError('viewer', 'failed.retry', 'operator'),
];

describe('admin-trpc error codes', () => {
  it('every error class raises a code from ADMIN_ERROR_CODES (AdminStaticDirError a core one)', () => {
    for (const err of instances) expect(Object.keys(ADMIN_ERROR_CODES), err.name).toContain(err.code);
    expect(Object.keys(CORE_ERROR_CODES)).toContain(new AdminStaticDirError('web', '/srv/web', 'missing').code);
  });

  it('the test covers every MetroError subclass the entry exports (AdminClientError carries the server code)', () => {
    const exported = (Object.values(admin) as unknown[]).filter((v): v is typeof MetroError => typeof v === 'function' && v.prototype instanceof MetroError);
    const covered = new Set<unknown>([...instances.map((e) => e.constructor), AdminStaticDirError, AdminClientError]);
    expect(exported.filter((c) => !covered.has(c)).map((c) => c.name)).toEqual([]);
  });

  it('pins the set of codes', () => {
    expect(Object.keys(ADMIN_ERROR_CODES).sort()).toEqual(['ADMIN_AUTH_REQUIRED', 'ADMIN_FORBIDDEN', 'ADMIN_SERVER', 'MESSAGE_DEFINITION_MISSING']);
  });

  it('types each class code as its literal', () => {
    const auth: 'ADMIN_AUTH_REQUIRED' = new AdminAuthRequiredError().code;
    const server: AdminErrorCode = new AdminServerError('x').code;
    expect([auth, server]).toEqual(['ADMIN_AUTH_REQUIRED', 'ADMIN_SERVER']);
  });
});
