import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealthHandler, createMetro, CORRELATION_HEADER, parseJsonSafely, uuidv7, withCorrelation, type Logger, type Metro } from '@metro/core';
import { createOutbox, createOutboxRelay, pgFailureStore, type OutboxRelay } from '@metro/outbox-pg';
import { createRpc, type Rpc } from '@metro/rpc';
import { createSagaRuntime, type SagaRuntime } from '@metro/saga';
import { createScheduler, createSchedulerWorker, type Scheduler, type SchedulerWorker } from '@metro/scheduler';
import type { ShopInfrastructure } from '../infrastructure.js';
import { GetCustomers, OrderPlaced, type Customer } from '../messages.js';
import { withRequestSpan } from '../telemetry/request-span.js';
import { defineOrderSaga } from './order-saga.js';

export interface OrdersService {
  readonly metro: Metro;
  readonly url: string;
  readonly relay: OutboxRelay;
  readonly scheduler: Scheduler;
  /** The order saga's runtime (its `store` lists and inspects the sagas). */
  readonly sagas: SagaRuntime;
  /** The scheduler worker (its health is part of /readyz and the admin stats). */
  readonly worker: SchedulerWorker;
  stop(): Promise<void>;
}

/**
 * orders: takes orders over HTTP, writes the order and its `orders.placed` event in ONE
 * transaction (outbox); runs the order saga (`order-saga.ts`: payment requested, paid or declined,
 * reminded, cancelled), whose transitions commit with their order row, SMS commands and timeouts;
 * serves `customers.get` over RPC. Runs the outbox relay and the scheduler worker (every instance
 * may; rows are claimed with SKIP LOCKED).
 */
export async function startOrders(infra: ShopInfrastructure, options: { logger: Logger; port?: number; paymentTimeoutMs?: number }): Promise<OrdersService> {
  const { db, schema } = infra;
  const logger = options.logger;
  const transport = infra.transport('orders');
  const metro = createMetro({ service: 'orders', transport, failures: pgFailureStore(db, { schema }), logger, closeTransport: !infra.sharedTransport });
  const outbox = createOutbox({ db, schema, source: 'orders' });
  const scheduler = createScheduler({ db, schema, source: 'orders' });
  const relay = createOutboxRelay({ db, transport, schema, listen: infra.notifications, logger });
  const worker: SchedulerWorker = createSchedulerWorker({ db, schema, listen: infra.notifications, logger });
  const rpc: Rpc = createRpc({ transport, service: 'orders', logger });

  await rpc.serve(GetCustomers, async (ids) => {
    if (ids.length === 0) return [];
    const rows = await db
      .withSchema(schema)
      .selectFrom('customers')
      .select(['id', 'name', 'phone', 'blocked', 'bank_offline as bankOffline'])
      .where('id', 'in', ids)
      .execute();
    logger.info({ keys: ids.length }, `customers.get answered ${rows.length} of ${ids.length} in one call`);
    return rows as Customer[];
  });

  const sagas = createSagaRuntime({ metro, db, schema, scheduler, logger });
  sagas.register(defineOrderSaga({ schema, paymentTimeoutMs: options.paymentTimeoutMs ?? 60 * 60_000 }), {
    retry: { attempts: 5, backoff: 'exponential', delay: '100ms' },
  });

  await metro.start();
  await relay.start();
  await worker.start();

  async function placeOrder(body: { customerId?: unknown; amountCents?: unknown }): Promise<{ orderId: string }> {
    const customerId = String(body.customerId ?? '');
    const amountCents = Number(body.amountCents);
    const orderId = `o-${uuidv7().slice(-12)}`;
    await db.transaction().execute(async (trx) => {
      await trx.withSchema(schema).insertInto('orders').values({ id: orderId, customer_id: customerId, amount_cents: amountCents, status: 'placed' }).execute();
      await outbox.publish(trx, OrderPlaced, { orderId, customerId, amountCents }, { aggregateId: orderId });
    });
    logger.info({ orderId, customerId }, `order ${orderId} placed for ${customerId} (order row + orders.placed in one transaction)`);
    return { orderId };
  }

  // Kubernetes probes: /livez and /readyz report the bus, the outbox relay and the scheduler worker.
  const probes = createHealthHandler({ sources: [metro, relay, worker] });
  const server: Server = createServer((req, res) =>
    probes(req, res, () => {
      const correlationId = headerValue(req, CORRELATION_HEADER) ?? uuidv7();
      res.setHeader(CORRELATION_HEADER, correlationId);
      withCorrelation(correlationId, () => {
        withRequestSpan(req, res, () => route(req, res)).catch((err: unknown) => {
          logger.error({ err, correlationId }, 'request failed');
          send(res, 400, { error: (err as Error).message });
        });
      });
    }),
  );

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'POST' && req.url === '/orders') {
      const body = (await readJson(req)) as { customerId?: unknown; amountCents?: unknown };
      send(res, 201, await placeOrder(body));
      return;
    }
    const match = /^\/orders\/([\w-]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && match) {
      const order = await db.withSchema(schema).selectFrom('orders').selectAll().where('id', '=', match[1]!).executeTakeFirst();
      send(res, order ? 200 : 404, order ?? { error: 'no such order' });
      return;
    }
    send(res, 404, { error: 'not found' });
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    metro,
    url,
    relay,
    scheduler,
    sagas,
    worker,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await worker.stop();
      await relay.stop();
      await rpc.stop();
      await metro.stop();
      await sagas.close();
    },
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return parseJsonSafely(Buffer.concat(chunks).toString('utf8') || '{}');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
