/** The state of one connection a transport keeps (RabbitMQ: `publish` and `consume`). */
export interface TransportConnectionHealth {
  /** What the connection is for, e.g. `'publish'`, `'consume'` (the in-memory transport: `'memory'`). */
  readonly role: string;
  /**
   * `idle`: not asked to connect yet; `connecting`: first connect under way; `connected`;
   * `reconnecting`: lost, and reconnecting by itself; `closed`: `close()` was called, it never comes back.
   */
  readonly state: 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';
  /** When it entered `state` (ms since the epoch). */
  readonly since: number;
  /** While the broker blocks the connection (RabbitMQ memory or disk alarm): the reason it gave. */
  readonly blocked?: string | undefined;
  /** Times it connected again after losing its connection. */
  readonly reconnects: number;
  /** The last connection error, as `Name: message`. */
  readonly lastError?: string | undefined;
  /** Where it connects (credentials removed), e.g. `amqp://127.0.0.1:5672`. */
  readonly endpoint?: string | undefined;
}

/** Whether one running `consume()` is attached to its queue. */
export interface TransportConsumerHealth {
  /** The queue (the name given to `consume`). */
  readonly queue: string;
  /** True while it receives from the broker (RabbitMQ: its channel is open on the live connection). */
  readonly attached: boolean;
  /** When `attached` last changed (ms since the epoch). */
  readonly since: number;
}

/** What {@link Transport.health} reports: in-process state only, no I/O. */
export interface TransportHealth {
  readonly connections: ReadonlyArray<TransportConnectionHealth>;
  /** Every consumer this transport runs (buses filter their own queues). */
  readonly consumers: ReadonlyArray<TransportConsumerHealth>;
}
