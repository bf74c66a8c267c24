import type { Shop } from './shop.js';

export interface PlacedOrder {
  readonly orderId: string;
  readonly correlationId: string;
}

/** What the shop did with the demo's orders, read back from the database. */
export interface ShopOutcome {
  readonly orders: ReadonlyArray<{ id: string; customer_id: string; status: string }>;
  readonly sms: ReadonlyArray<{ phone: string; text: string; correlation_id: string | null }>;
  readonly failures: ReadonlyArray<{ id: string; handler: string | null; error: { name: string; message: string }; correlationId: string | null }>;
  readonly remindersCancelled: number;
  readonly remindersFired: number;
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
  const cancelled = await shop.orders.scheduler.list({ type: 'reminder', status: 'cancelled', limit: 500 });
  const fired = await shop.orders.scheduler.list({ type: 'reminder', status: 'fired', limit: 500 });
  const mine = (m: { envelope?: { correlationid?: string } } & Record<string, unknown>): boolean =>
    corr.has(String((m.envelope as { correlationid?: string } | undefined)?.correlationid ?? ''));
  return {
    orders: orders as ShopOutcome['orders'],
    sms: (sms as ShopOutcome['sms']).filter((s) => s.correlation_id !== null && corr.has(s.correlation_id)),
    failures,
    remindersCancelled: cancelled.items.filter((m) => mine(m as never)).length,
    remindersFired: fired.items.filter((m) => mine(m as never)).length,
  };
}

/**
 * Waits until the demo's story has played out: two orders paid, one declined and recorded as a
 * failure, two reminders cancelled and one fired, three SMS sent — or until the timeout.
 */
export async function waitForOutcome(shop: Shop, placed: ReadonlyArray<PlacedOrder>, options: { timeoutMs: number }): Promise<ShopOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const o = await readOutcome(shop, placed);
    const paid = o.orders.filter((x) => x.status === 'paid').length;
    const settled = paid === 2 && o.failures.length === 1 && o.remindersCancelled === 2 && o.remindersFired === 1 && o.sms.length === 3;
    if (settled || Date.now() > deadline) return { ...o, settled };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The summary printed for the person running the demo; `ok` when everything happened as it should. */
export function summarise(shop: Shop, placed: ReadonlyArray<PlacedOrder>, o: ShopOutcome): { lines: string[]; ok: boolean } {
  const lines: string[] = ['Summary'];
  const paid = o.orders.filter((x) => x.status === 'paid');
  lines.push(`  orders placed: ${o.orders.length}, paid: ${paid.length}, unpaid: ${o.orders.length - paid.length}`);
  lines.push(`  customers.get RPC calls made by billing's batched loader: ${shop.billing.customerCalls()} (for ${placed.length} lookups)`);
  lines.push(`  SMS sent (each once, through the inbox): ${o.sms.length}`);
  for (const s of o.sms) lines.push(`    - ${s.phone}: ${s.text}`);
  lines.push(`  reminders cancelled by tags when paid: ${o.remindersCancelled}; fired for the unpaid order: ${o.remindersFired}`);
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
