import { expect } from 'vitest';
import { placeDemoOrders, summarise, waitForOutcome } from '../src/outcome.js';
import type { Shop } from '../src/shop.js';

/**
 * The demo's story, asserted: what `pnpm demo` prints, checked outcome by outcome. Start the shop
 * with a payment timeout (`reminderDelayMs`) well above the paid path's latency (placed -> relay ->
 * saga -> relay -> billing -> paid -> saga, 1-2 s embedded on the loaded shared machine), or a paid
 * order gets a reminder first: 4-5 s here.
 */
export async function playShopScenario(shop: Shop): Promise<void> {
  const placed = await placeDemoOrders(shop);
  expect(new Set(placed.map((p) => p.correlationId)).size).toBe(4);
  const [ada, alan, mallory, grace] = placed.map((p) => p.orderId) as [string, string, string, string];

  const outcome = await waitForOutcome(shop, placed, { timeoutMs: 45_000 });
  const { lines, ok } = summarise(shop, placed, outcome);
  if (!ok) console.log(lines.join('\n'));

  // Paid: Ada and Alan. Cancelled: Mallory (declined) and Grace (no payment after the reminder).
  expect(Object.fromEntries(outcome.orders.map((o) => [o.id, o.status]))).toEqual({
    [ada]: 'paid',
    [alan]: 'paid',
    [mallory]: 'cancelled',
    [grace]: 'cancelled',
  });
  // Grace's bank never answers: billing's handler fails (retried, then recorded), so no payment reaches her saga.
  expect(outcome.failures).toHaveLength(1);
  expect(outcome.failures[0]).toMatchObject({ handler: 'charge-order', error: { name: 'PaymentProviderUnavailableError' } });
  expect(outcome.failures[0]!.correlationId).toBe(placed[3]!.correlationId);
  // Every order's saga completed (kept 7 days), moved by exactly the messages of its path.
  const sagas = Object.fromEntries(outcome.sagas.map((s) => [s.key, s]));
  expect(outcome.sagas.every((s) => s.status === 'completed')).toBe(true);
  expect(sagas[ada]!.history).toEqual(['orders.placed', 'orders.paid']);
  expect(sagas[alan]!.history).toEqual(['orders.placed', 'orders.paid']);
  expect(sagas[mallory]!.history).toEqual(['orders.placed', 'orders.payment-declined']);
  expect(sagas[grace]!.history).toEqual(['orders.placed', 'orders:payment-due', 'orders:payment-due']);
  expect(sagas[grace]!.currentState).toBe('reminded');
  // The three sagas that completed before their payment timeout cancelled it; Grace's fired twice.
  expect(outcome.timeoutsCancelled).toBe(3);
  expect(outcome.timeoutsFired).toBe(2);
  const texts = outcome.sms.map((s) => s.text).sort();
  expect(texts).toEqual(
    [
      `Thanks Alan Turing, order ${alan} is paid.`,
      `Grace Hopper (bank offline), order ${grace} is still unpaid.`,
      `Grace Hopper (bank offline), order ${grace} was cancelled: no payment arrived.`,
      `Mallory (card blocked), order ${mallory} was cancelled: the card is blocked.`,
      `Thanks Ada Lovelace, order ${ada} is paid.`,
    ].sort(),
  );
  // Each order's correlation id reached all three services' logs.
  for (const p of placed) {
    const services = new Set(shop.logs.filter((l) => l.correlationId === p.correlationId).map((l) => l.service));
    expect([...services].sort()).toEqual(['billing', 'notifications', 'orders']);
  }
  // The batched loader: never more calls than lookups (Grace's retries look her up again).
  expect(shop.billing.customerCalls()).toBeGreaterThan(0);
  expect(shop.billing.customerCalls()).toBeLessThanOrEqual(6);
  expect(ok).toBe(true);
}
