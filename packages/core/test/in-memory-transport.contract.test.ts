import { InMemoryTransport } from '../src/memory/in-memory-transport.js';
import { silentLogger } from '../src/logger.js';
import { runTransportContract } from '../src/testing/transport-contract.js';

runTransportContract('memory', () => new InMemoryTransport({ logger: silentLogger }));
