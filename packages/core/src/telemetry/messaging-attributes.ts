/**
 * The OpenTelemetry semantic-convention names Metro's spans and metrics use (messaging, RPC), plus
 * Metro's own where the conventions have none (`metro.*`). One table, so every package names an
 * attribute the same way.
 */
export const SemanticAttributes = {
  messagingSystem: 'messaging.system',
  operationName: 'messaging.operation.name',
  operationType: 'messaging.operation.type',
  destinationName: 'messaging.destination.name',
  subscriptionName: 'messaging.destination.subscription.name',
  routingKey: 'messaging.rabbitmq.destination.routing_key',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  bodySize: 'messaging.message.body.size',
  batchCount: 'messaging.batch.message_count',
  errorType: 'error.type',
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  url: 'url.full',
  /** Metro: the handler a span or metric is about. */
  handler: 'metro.handler',
  /** Metro: the delivery attempt (1 for the first). */
  attempt: 'metro.attempt',
  /** Metro: how a message or operation ended (`ok`, `failed`, `retried`, `deferred`, `requeued`, `error`). */
  outcome: 'metro.outcome',
  /** Metro: the service (bus) a span or metric belongs to. */
  service: 'metro.service',
  /** Metro: why a message was recorded as failed (a `FailureReason`). */
  failureReason: 'metro.failure.reason',
  /** Metro: the messages of a batch its batch handler failed one by one. */
  batchFailed: 'metro.batch.failed',
} as const;

/** Metro's `Transport.name` → the `messaging.system` value (`amqp` is RabbitMQ). */
export function messagingSystemOf(transportName: string): string {
  return transportName === 'amqp' ? 'rabbitmq' : transportName;
}
