import type { Options } from 'amqplib';
import type { Destination } from '@metro/core';
import { describeDestination } from './destination-names.js';
import type { LiveConnection } from './connection-supervisor.js';

/** One AMQP publish, resolved from a Metro destination. */
export interface RawPublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly options: Options.Publish;
  readonly mandatory: boolean;
  /**
   * How to name the destination in errors, e.g. `topic "orders" subject "placed"`: the words, a
   * function, or the Metro destination they are made from (the last two: computed only when needed).
   */
  readonly describe: string | (() => string) | Destination;
}

/**
 * Builds the publish once connected: declares what the destination needs first, and returns
 * synchronously when nothing does (the publisher's hot path). It may throw (`UnroutableError`).
 */
export type PreparePublish = (live: LiveConnection) => Promise<RawPublish> | RawPublish;

/** The AMQP options of a publish, with its `mandatory` flag (a copy only when the two differ). */
export function publishOptions(raw: RawPublish): Options.Publish {
  return raw.mandatory === (raw.options.mandatory === true) ? raw.options : { ...raw.options, mandatory: raw.mandatory };
}

/** The destination of a publish, in words. */
export function describeOf(raw: Pick<RawPublish, 'describe'>): string {
  const { describe } = raw;
  if (typeof describe === 'string') return describe;
  return typeof describe === 'function' ? describe() : describeDestination(describe);
}
