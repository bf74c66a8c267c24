// The shop on the embedded default: InMemoryTransport + PGlite, no servers.
import { afterAll, describe, it } from 'vitest';
import { startShop, type Shop } from '../src/shop.js';
import { playShopScenario } from './shop-scenario.js';

let shop: Shop | undefined;
afterAll(async () => {
  await shop?.stop();
});

describe('shop, embedded (in-memory transport + PGlite)', () => {
  it('places four orders: two paid, one declined and cancelled, one reminded then cancelled by its saga', async () => {
    shop = await startShop({ reminderDelayMs: 5000 });
    await playShopScenario(shop);
  });
});
