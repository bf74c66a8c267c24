import { expect } from 'vitest';
import { summarise, waitForOutcome } from '../src/outcome.js';
import type { Shop } from '../src/shop.js';

/** The demo's story, asserted: what `pnpm demo` prints, checked outcome by outcome. */
export async function playShopScenario(shop: Shop): Promise<void> {
  const placed = await Promise.all([shop.placeOrder('c-ada', 4200), shop.placeOrder('c-alan', 1999), shop.placeOrder('c-mallory', 500)]);
  expect(new Set(placed.map((p) => p.correlationId)).size).toBe(3);

  const outcome = await waitForOutcome(shop, placed, { timeoutMs: 30_000 });
  const { lines, ok } = summarise(shop, placed, outcome);
  if (!ok) console.log(lines.join('\n'));

  expect(
    outcome.orders
      .filter((o) => o.status === 'paid')
      .map((o) => o.customer_id)
      .sort(),
  ).toEqual(['c-ada', 'c-alan']);
  expect(outcome.failures).toHaveLength(1);
  expect(outcome.failures[0]).toMatchObject({ handler: 'charge-order', error: { name: 'PaymentDeclinedError' } });
  expect(outcome.failures[0]!.correlationId).toBe(placed[2]!.correlationId);
  expect(outcome.remindersCancelled).toBe(2);
  expect(outcome.remindersFired).toBe(1);
  const texts = outcome.sms.map((s) => s.text).sort();
  expect(texts).toHaveLength(3);
  expect(texts[0]).toMatch(/^Mallory \(card blocked\), order o-\w+ is still unpaid\.$/);
  expect(texts[1]).toMatch(/^Thanks Ada Lovelace, order o-\w+ is paid\.$/);
  expect(texts[2]).toMatch(/^Thanks Alan Turing, order o-\w+ is paid\.$/);
  expect(outcome.sms).toHaveLength(3);
  // Each order's correlation id reached all three services' logs.
  for (const p of placed) {
    const services = new Set(shop.logs.filter((l) => l.correlationId === p.correlationId).map((l) => l.service));
    expect([...services].sort()).toEqual(['billing', 'notifications', 'orders']);
  }
  // The batched loader: three lookups, fewer calls than lookups is not guaranteed across
  // separate deliveries, but never more calls than lookups.
  expect(shop.billing.customerCalls()).toBeGreaterThan(0);
  expect(shop.billing.customerCalls()).toBeLessThanOrEqual(3);
  expect(ok).toBe(true);
}
