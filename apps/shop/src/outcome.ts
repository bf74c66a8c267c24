import type { Shop } from './shop.js';

export interface PlacedOrder {
  readonly orderId: string;
  readonly correlationId: string;
}

/** The demo's orders: two customers pay, one card is blocked (declined), one bank never answers (timeout). */
export const DEMO_ORDERS = [
  ['c-ada', 4200],
  ['c-alan', 1999],
  ['c-mallory', 500],
  ['c-grace', 1250],
] as const;

/** Places the demo's orders over HTTP, at once. */
export function placeDemoOrders(shop: Shop): Promise<PlacedOrder[]> {
  return Promise.all(DEMO_ORDERS.map(([customerId, amountCents]) => shop.placeOrder(customerId, amountCents)));
}

/** What the shop did with the demo's orders, read back from the database. */
export interface ShopOutcome {
  readonly orders: ReadonlyArray<{ id: string; customer_id: string; status: string }>;
  readonly sms: ReadonlyArray<{ phone: string; text: string; correlation_id: string | null }>;
  readonly failures: ReadonlyArray<{ id: string; handler: string | null; error: { name: string; message: string }; correlationId: string | null }>;
  /** The order sagas: completed ones (kept 7 days) with the messages that moved them. */
  readonly sagas: ReadonlyArray<{ key: string; status: string; currentState: string | null; version: number; history: string[] }>;
  /** Payment timeouts cancelled when their saga completed first, and fired (reminder, cancellation). */
  readonly timeoutsCancelled: number;
  readonly timeoutsFired: number;
  readonly settled: boolean;
}

async function readOutcome(shop: Shop, placed: ReadonlyArray<PlacedOrder>): Promise<Omit<ShopOutcome, 'settled'>> {
  const { db, schema } = shop.infra;
  const ids = placed.map((p) => p.orderId);
  const orders = await db.withSchema(schema).selectFrom('orders').select(['id', 'customer_id', 'status']).where('id', 'in', ids).orderBy('id').execute();
  const sms = await db.withSchema(schema).selectFrom('sms_log').select(['phone', 'text', 'correlation_id']).orderBy('sent_at').execute();
  const corr = new Set(placed.map((p) => p.correlationId));
  const page = await shop.billing.metro.failures.list({ service: 'billing', status: 'failed', limit: 100 });
  const failures = page.items
    .filter((f) => f.correlationId !== null && corr.has(f.correlationId))
    .map((f) => ({ id: f.id, handler: f.handler, error: { name: f.error.name, message: f.error.message }, correlationId: f.correlationId }));
  const sagas = [];
  for (const id of ids) {
    const saga = await shop.orders.sagas.store.get('order', id);
    if (saga)
      sagas.push({ key: saga.key, status: saga.status, currentState: saga.currentState, version: saga.version, history: saga.history.map((h) => h.message) });
  }
  const cancelled = await shop.orders.scheduler.list({ type: 'payment-due', status: 'cancelled', limit: 500 });
  const fired = await shop.orders.scheduler.list({ type: 'payment-due', status: 'fired', limit: 500 });
  const mine = (m: { envelope: { data?: unknown } }): boolean => ids.includes((m.envelope.data as { orderId?: string } | null)?.orderId ?? '');
  return {
    orders: orders as ShopOutcome['orders'],
    sms: (sms as ShopOutcome['sms']).filter((s) => s.correlation_id !== null && corr.has(s.correlation_id)),
    failures,
    sagas,
    timeoutsCancelled: cancelled.items.filter(mine).length,
    timeoutsFired: fired.items.filter(mine).length,
  };
}

/**
 * Waits until the demo's story has played out — two orders paid, one declined and cancelled, one
 * reminded and then cancelled by its saga's timeouts (its payment recorded as a failure), four
 * sagas completed, five SMS sent — or until the timeout.
 */
export async function waitForOutcome(shop: Shop, placed: ReadonlyArray<PlacedOrder>, options: { timeoutMs: number }): Promise<ShopOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const o = await readOutcome(shop, placed);
    const count = (status: string) => o.orders.filter((x) => x.status === status).length;
    const settled =
      count('paid') === 2 &&
      count('cancelled') === 2 &&
      o.failures.length === 1 &&
      o.sagas.filter((s) => s.status === 'completed').length === 4 &&
      o.timeoutsFired === 2 &&
      o.timeoutsCancelled === 3 &&
      o.sms.length === 5;
    if (settled || Date.now() > deadline) return { ...o, settled };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The summary printed for the person running the demo; `ok` when everything happened as it should. */
export function summarise(shop: Shop, placed: ReadonlyArray<PlacedOrder>, o: ShopOutcome): { lines: string[]; ok: boolean } {
  const lines: string[] = ['Summary'];
  const count = (status: string) => o.orders.filter((x) => x.status === status).length;
  lines.push(
    `  orders placed: ${o.orders.length}, paid: ${count('paid')}, cancelled: ${count('cancelled')}, open: ${o.orders.length - count('paid') - count('cancelled')}`,
  );
  lines.push(
    `  customers.get RPC calls made by billing's batched loader: ${shop.billing.customerCalls()} (${placed.length} orders; the unpaid one is looked up on each attempt)`,
  );
  lines.push('  order sagas (one per order; each transition committed with its order row, SMS and timeout):');
  for (const s of o.sagas) lines.push(`    - ${s.key} ${s.status} at version ${s.version}: ${s.history.join(' -> ')}`);
  lines.push(`  payment timeouts cancelled when the saga completed first: ${o.timeoutsCancelled}; fired (reminder, then cancellation): ${o.timeoutsFired}`);
  lines.push(`  SMS sent (each once, through the inbox): ${o.sms.length}`);
  for (const s of o.sms) lines.push(`    - ${s.phone}: ${s.text}`);
  lines.push(`  failed messages recorded: ${o.failures.length}`);
  for (const f of o.failures) lines.push(`    - ${f.id} handler=${f.handler} ${f.error.name}: ${f.error.message}`);
  lines.push('  correlation ids (one per order) seen in the logs of:');
  let everywhere = 0;
  for (const p of placed) {
    const services = [...new Set(shop.logs.filter((l) => l.correlationId === p.correlationId).map((l) => l.service))].sort();
    if (['billing', 'notifications', 'orders'].every((s) => services.includes(s))) everywhere++;
    lines.push(`    - ${p.orderId} ${p.correlationId}: ${services.join(', ')}`);
  }
  const ok = o.settled && everywhere === placed.length;
  if (!o.settled) lines.push('  NOT everything happened within the time limit (see above).');
  if (everywhere !== placed.length) lines.push("  NOT every order's correlation id reached all three services.");
  return { lines, ok };
}
