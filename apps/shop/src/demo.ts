// `pnpm demo`: runs the shop end to end and tells the person running it what happened.
// With neither METRO_AMQP_URL nor DATABASE_URL set: in-memory transport + embedded PostgreSQL (PGlite).
// With both set: RabbitMQ + PostgreSQL, and the admin server stays up so the failure can be retried.
import { startDemoTelemetry } from './telemetry/demo-telemetry.js';
import { placeDemoOrders, summarise, waitForOutcome } from './outcome.js';
import { startShop } from './shop.js';
import { startAdmin } from './admin.js';

const amqpUrl = process.env.METRO_AMQP_URL;
const databaseUrl = process.env.DATABASE_URL;
const started = Date.now();
// OpenTelemetry: OTLP export with OTEL_EXPORTER_OTLP_ENDPOINT set, else a trace summary per order at the end.
const telemetry = startDemoTelemetry();

console.log(
  `Metro shop demo: orders (an order saga) -> billing -> notifications, ${amqpUrl || databaseUrl ? 'on RabbitMQ + PostgreSQL' : 'embedded (in-memory transport + PGlite)'}\n`,
);
const shop = await startShop({ amqpUrl, databaseUrl, print: true, reminderDelayMs: 4000 });
console.log(`\n1. services up (${shop.infra.mode}); orders HTTP at ${shop.orders.url}\n`);

const placed = await placeDemoOrders(shop);
console.log(
  `\n2. placed ${placed.length} orders over HTTP (Ada and Alan pay, Mallory's card is blocked, Grace's bank never answers); ` +
    'waiting for the order sagas: payment requested, paid or declined, reminded, cancelled...\n',
);

const outcome = await waitForOutcome(shop, placed, { timeoutMs: 45_000 });
console.log('');
const { lines, ok } = summarise(shop, placed, outcome);
for (const line of lines) console.log(line);
if (telemetry.mode === 'summary') {
  console.log('\nTraces (one per order; set OTEL_EXPORTER_OTLP_ENDPOINT to export them over OTLP):');
  for (const line of telemetry.orderSummaries()) console.log(line);
} else {
  console.log(`\nTraces and metrics exported over OTLP to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}`);
}

const keepAdmin = shop.infra.mode === 'servers' && process.env.METRO_DEMO_EXIT !== '1';
if (keepAdmin) {
  const admin = await startAdmin(shop);
  console.log(`\nAdmin API and dashboard: ${admin.url}  (token: ${admin.token})`);
  console.log(`Retry the failure: pnpm --filter @metro/admin-client exec metro-admin failed list --url ${admin.url} --token ${admin.token}`);
  console.log(`The order sagas:  pnpm --filter @metro/admin-client exec metro-admin sagas list --saga order --url ${admin.url} --token ${admin.token}`);
  console.log('Press Ctrl+C to stop.');
  process.once('SIGINT', () => {
    void admin
      .close()
      .then(() => shop.stop())
      .then(() => telemetry.shutdown())
      .then(() => process.exit(ok ? 0 : 1));
  });
} else {
  await shop.stop();
  await telemetry.shutdown();
  console.log(`\n${ok ? 'demo finished' : 'demo FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(ok ? 0 : 1);
}
