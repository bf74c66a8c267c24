import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between a client and the broker that a test controls: `cut()` destroys every
 * connection (the client sees a dropped connection), `pause()` refuses new connections until
 * `resume()`, `freeze()` keeps sockets open but stops forwarding bytes (a dead peer: only
 * heartbeats notice it), `thaw()` forwards again.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private paused = false;
  private frozen = false;
  private readonly pairs = new Set<[Socket, Socket]>();
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections that ended so far (either side closed). */
  dropped = 0;

  private constructor(private readonly targetPort: number, private readonly targetHost: string) {
    this.server = createServer((client) => this.onClient(client));
  }

  /** Starts a proxy on an ephemeral 127.0.0.1 port forwarding to `targetHost:targetPort`. */
  static async start(targetPort = 5672, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  /** An AMQP URL through the proxy. */
  url(vhostAndQuery = ''): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}${vhostAndQuery}`;
  }

  private onClient(client: Socket): void {
    if (this.paused) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(this.targetPort, this.targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    for (const s of pair) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        if (this.pairs.delete(pair)) this.dropped++;
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => {
      if (!this.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.frozen) client.write(chunk);
    });
  }

  /** Destroys every open connection (both sides). */
  cut(): void {
    for (const s of [...this.sockets]) s.destroy();
  }

  /** Refuses new connections (existing ones stay). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Stops forwarding bytes while keeping the sockets open (bytes sent meanwhile are dropped). */
  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
  }

  /** Open client connections. */
  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
