// A consumer process for the SIGKILL test: consumes QUEUE with the built transport, prints
// "start <id>" when a handler starts and "acked <id>" once it acked; each handler takes HANDLER_MS.
import { AmqpTransport } from '../../dist/index.js';

const [url, queue, handlerMs] = process.argv.slice(2);
const transport = new AmqpTransport({ url, concurrency: 8, prefetch: 16 });
await transport.declareQueue({ queue });
await transport.consume(queue, async (delivery) => {
  process.stdout.write(`start ${delivery.messageId}\n`);
  await new Promise((resolve) => setTimeout(resolve, Number(handlerMs)));
  await delivery.ack();
  process.stdout.write(`acked ${delivery.messageId}\n`);
});
process.stdout.write('ready\n');
