// Test helpers shared by the Metro test suites. Plain ESM JavaScript: no build step, Node loads it as is.
import { createServer, connect } from 'node:net';

/**
 * A TCP proxy between a client and a server (RabbitMQ, PostgreSQL) that a fault test controls.
 * See index.d.mts for the documentation of each member.
 */
export class TcpProxy {
  #server;
  #sockets = new Set();
  #pairs = new Set();
  #blocked = false;
  #frozen = false;
  #port = 0;
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections that ended so far (either side closed). */
  dropped = 0;

  constructor(targetHost = '127.0.0.1', targetPort = 5672) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  static async start(targetPort = 5672, targetHost = '127.0.0.1') {
    const proxy = new TcpProxy(targetHost, targetPort);
    await proxy.listen();
    return proxy;
  }

  get port() {
    return this.#port;
  }

  get connections() {
    return this.#pairs.size;
  }

  get listening() {
    return this.#server !== undefined;
  }

  async listen(port = 0) {
    if (this.#server) return this.#port;
    const server = createServer((client) => this.#onClient(client));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#port = server.address().port;
    return this.#port;
  }

  start(port = 0) {
    return this.listen(port);
  }

  url(suffix = '') {
    return `amqp://guest:guest@127.0.0.1:${this.#port}${suffix}`;
  }

  urlFor(baseUrl) {
    const url = new URL(baseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.#port);
    return url.toString();
  }

  #onClient(client) {
    if (this.#blocked) {
      client.on('error', () => undefined);
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(this.targetPort, this.targetHost);
    const pair = [client, upstream];
    this.#pairs.add(pair);
    for (const socket of pair) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        if (this.#pairs.delete(pair)) this.dropped++;
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => {
      if (!this.#frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.#frozen) client.write(chunk);
    });
  }

  cut() {
    for (const socket of [...this.#sockets]) socket.destroy();
  }

  cutAll() {
    this.block();
    this.cut();
  }

  block() {
    this.#blocked = true;
  }

  pause() {
    this.block();
  }

  restore() {
    this.#blocked = false;
  }

  resume() {
    this.restore();
  }

  freeze() {
    this.#frozen = true;
  }

  thaw() {
    this.#frozen = false;
  }

  async close() {
    this.cutAll();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise((resolve) => server.close(() => resolve()));
  }
}

export { sleep, waitFor } from './wait.mjs';
export { createTestDatabase, DATABASE_URL } from './test-database.mjs';
