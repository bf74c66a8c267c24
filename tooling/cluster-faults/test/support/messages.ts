import type { OutgoingMessage } from '@metro/core';

const encoder = new TextEncoder();

/** A small text message with id `id`, sent straight into queue `queue`. */
export function queueMessage(queue: string, id: string): OutgoingMessage {
  return { destination: { kind: 'queue', queue }, body: encoder.encode(id), messageId: id, contentType: 'text/plain', headers: {} };
}
