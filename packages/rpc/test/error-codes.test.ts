import { MetroError } from '@metro/core';
import { describe, expect, it } from 'vitest';
import * as rpc from '../src/index.js';
import {
  HttpError,
  HttpLoginError,
  HttpNetworkError,
  HttpTimeoutError,
  NoResponderError,
  OutputNotSerializableError,
  RemoteError,
  RPC_ERROR_CODES,
  RpcProtocolError,
  RpcTimeoutError,
  type RpcErrorCode,
} from '../src/index.js';

// One instance of every error class rpc exports whose code is rpc's own (RemoteError carries the remote's).
const instances: ReadonlyArray<MetroError> = [
  new RpcTimeoutError('customers.get', 10),
  new NoResponderError('customers.get'),
  new RpcProtocolError('RPC reply is not a JSON object.'),
  new OutputNotSerializableError(new TypeError('Do not know how to serialize a BigInt')),
  new HttpError('GET', 'http://peer/x', 404, null),
  new HttpLoginError('POST', 'http://peer/login', 403, null),
  new HttpTimeoutError('GET', 'http://peer/x', 10),
  new HttpNetworkError('GET', 'http://peer/x', new Error('ECONNREFUSED')),
];

describe('rpc error codes', () => {
  it('every rpc error class raises a code from RPC_ERROR_CODES', () => {
    for (const err of instances) expect(Object.keys(RPC_ERROR_CODES), err.name).toContain(err.code);
  });

  it('the test covers every MetroError subclass the entry exports (RemoteError carries the remote code)', () => {
    const exported = (Object.values(rpc) as unknown[]).filter((v): v is typeof MetroError => typeof v === 'function' && v.prototype instanceof MetroError);
    const covered = new Set<unknown>([...instances.map((e) => e.constructor), RemoteError]);
    expect(exported.filter((c) => !covered.has(c)).map((c) => c.name)).toEqual([]);
  });

  it('pins the set of codes', () => {
    expect(Object.keys(RPC_ERROR_CODES).sort()).toEqual(
      [
        'HANDLER_FAILED',
        'HTTP_LOGIN_FAILED',
        'HTTP_NETWORK',
        'HTTP_STATUS',
        'HTTP_TIMEOUT',
        'NO_RESPONDER',
        'OUTPUT_NOT_SERIALIZABLE',
        'RPC_PROTOCOL',
        'RPC_TIMEOUT',
      ].sort(),
    );
  });

  it('types each class code as its literal', () => {
    const timeout: 'RPC_TIMEOUT' = new RpcTimeoutError('p', 1).code;
    const login: 'HTTP_LOGIN_FAILED' = new HttpLoginError('POST', 'u', 401, null).code;
    const status: RpcErrorCode = new HttpError('GET', 'u', 500, null).code;
    const remote: string = new RemoteError('p', 'APP_SPECIFIC', 'no').code;
    expect([timeout, login, status, remote]).toEqual(['RPC_TIMEOUT', 'HTTP_LOGIN_FAILED', 'HTTP_STATUS', 'APP_SPECIFIC']);
  });
});
