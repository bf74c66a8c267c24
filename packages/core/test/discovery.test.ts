import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, defineConsumers, discoverConsumers, registerConsumers, type Consumers } from '../src/index.js';
import { createTestMetro } from '../src/testing/index.js';
import { handled } from './fixtures/discovery/good/billing/consumers.js';
import { OrderPlaced, SendSms } from './helpers.js';

const fixtures = (name: string): URL => new URL(`./fixtures/discovery/${name}/`, import.meta.url);

describe('autodiscovery of consumers modules', () => {
  it('imports every module the pattern finds (path order) and registers its handlers; other modules are never imported', async () => {
    const metro = createTestMetro({ service: 'sms', bindings: [{ topic: 'orders' }] });
    const modules = await discoverConsumers(metro, { root: fixtures('good') });
    expect(modules).toEqual(['billing/consumers.ts', 'shipping/deep/consumers.ts']);
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.send(SendSms, { phone: '+1', text: 'hi' });
    await metro.drain();
    expect(handled.sort()).toEqual(['billing:1', 'shipping-any:placed', 'sms:hi']);
    await metro.stop();
  });

  it('a typo is an error, never a silent skip: no match, a missing export, a foreign export, an unreadable root', async () => {
    const metro = createTestMetro({ service: 'typo' });
    await expect(discoverConsumers(metro, { root: fixtures('good'), pattern: /(^|\/)consumres\.ts$/ })).rejects.toThrow(/no file under .* matches/);
    await expect(discoverConsumers(metro, { root: fixtures('typo') })).rejects.toThrow(
      /"orders\/consumers.ts" matches .* but has no export "consumers" \(it exports: consumer\)/,
    );
    await expect(discoverConsumers(metro, { root: fixtures('foreign') })).rejects.toThrow(/was not made by defineConsumers/);
    await expect(discoverConsumers(metro, { root: fileURLToPath(fixtures('missing')) })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(discoverConsumers(metro, { root: fixtures('typo'), exportName: 'consumer' })).resolves.toEqual(['orders/consumers.ts']);
    await metro.stop();
  });

  it('registerConsumers: the explicit list, typed; something else in it is a ConfigurationError', async () => {
    const metro = createTestMetro({ service: 'explicit' });
    const got: string[] = [];
    const orders = defineConsumers((m) => m.on(OrderPlaced, (o) => void got.push(o.orderId)));
    registerConsumers(metro, [orders]);
    expect(() => registerConsumers(metro, [(() => undefined) as unknown as Consumers])).toThrow(/item 0 was not made by defineConsumers/);
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '2' });
    await metro.drain();
    expect(got).toEqual(['2']);
    await metro.stop();
  });
});
