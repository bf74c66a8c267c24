import { InMemoryTransport } from '@metro/core';
import { defineRpcSuite } from './rpc-suite.js';

defineRpcSuite('memory', () => new InMemoryTransport());
