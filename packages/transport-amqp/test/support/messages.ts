import type { OutgoingMessage } from '@metro/core';

const encoder = new TextEncoder();
let sequence = 0;

/** A text message to `destination` with a fresh message id (`<prefix>-<n>`); `extra` overrides any field. */
export function textMessage(destination: OutgoingMessage['destination'], body: string, extra: Partial<OutgoingMessage> = {}, prefix = 'm'): OutgoingMessage {
  return { destination, body: encoder.encode(body), messageId: `${prefix}-${++sequence}`, contentType: 'text/plain', headers: {}, ...extra };
}

/** A body as UTF-8 text. */
export function text(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8');
}
