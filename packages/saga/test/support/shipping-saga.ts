// The saga of the SIGKILL test, shared by the test and its child service: Start -> Reserve sent,
// a 60 s timeout; Confirm -> Ship sent, the timeout replaced by a 1 s one; the timeout -> Notify
// sent, completed (kept an hour, so the test can read the final state).
import { defineCommand, defineEvent } from '@metro/core';
import { z } from 'zod';
import { defineSaga } from '../../src/index.js';

/** The names one test run uses (unique per run, passed to the child in its environment). */
export interface ShippingNames {
  readonly topic: string;
  readonly service: string;
  readonly out: string;
}

/** The messages and the saga of one run. */
export function shipping(names: ShippingNames) {
  const Start = defineEvent({ topic: names.topic, type: 'start', schema: z.object({ id: z.string() }) });
  const Confirm = defineEvent({ topic: names.topic, type: 'confirm', schema: z.object({ id: z.string() }) });
  const Expire = defineCommand({ service: names.service, type: 'expire', schema: z.object({ id: z.string() }) });
  const Reserve = defineCommand({ service: names.out, type: 'reserve', schema: z.object({ id: z.string() }) });
  const Ship = defineCommand({ service: names.out, type: 'ship', schema: z.object({ id: z.string() }) });
  const Notify = defineCommand({ service: names.out, type: 'notify', schema: z.object({ id: z.string() }) });
  const saga = defineSaga({
    name: 'shipping',
    state: z.object({ id: z.string(), status: z.enum(['started', 'confirmed']) }),
    currentState: (s) => s.status,
    completed: { keep: '1h' },
  })
    .startedBy(Start, { key: (m) => m.id }, async (m, state, ctx) => {
      if (state) return state;
      await ctx.send(Reserve, { id: m.id });
      await ctx.requestTimeout(Expire, { id: m.id }, { delay: '60s' });
      return { id: m.id, status: 'started' as const };
    })
    .on(Confirm, { key: (m) => m.id, notFound: 'failure' }, async (m, state, ctx) => {
      await ctx.send(Ship, { id: m.id });
      await ctx.requestTimeout(Expire, { id: m.id }, { delay: '1s' });
      return { ...state, status: 'confirmed' as const };
    })
    .onTimeout(Expire, { key: (m) => m.id }, async (m, _state, ctx) => {
      await ctx.send(Notify, { id: m.id });
      return ctx.complete();
    });
  return { Start, Confirm, Expire, Reserve, Ship, Notify, saga };
}
