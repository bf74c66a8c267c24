import type { Destination } from '../transport.js';

/** A destination in words, for error messages and logs: `topic "orders" subject "placed"`. */
export function describeDestination(d: Destination): string {
  if (d.kind === 'topic') return `topic "${d.topic}" subject "${d.subject}"`;
  if (d.kind === 'command') return `the command route of service "${d.service}"`;
  return `queue "${d.queue}"`;
}
