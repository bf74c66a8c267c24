import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { formatDiagnostics, typecheck, writeModules } from '../src/typecheck.js';

// The types behind the READMEs' inbox handlers, checked with the same strict options: with
// `{ inbox: true }` ctx.trx is defined and typed by the app's Database (from createInbox({ db })),
// without it ctx.trx may be undefined. Each `@ts-expect-error` must meet an error, so a
// Transaction<any> or an optional trx fails this test.
const code = `
import pg from 'pg';
import { z } from 'zod';
import { createMetro, defineCommand, defineEvent, InMemoryInbox, InMemoryTransport } from '@metro/core';
import { createInbox, createPgDatabase } from '@metro/outbox-pg';

interface Database { sms_log: { phone: string; text: string } }
const db = createPgDatabase<Database>(new pg.Pool());
const SendSms = defineCommand({ service: 'sms', type: 'send', schema: z.object({ phone: z.string(), text: z.string() }) });
const SmsSent = defineEvent({ topic: 'sms', type: 'sent', schema: z.object({ phone: z.string(), text: z.string() }) });

const metro = createMetro({ service: 'sms', transport: new InMemoryTransport(), inbox: createInbox({ db }) });
metro.handle(SendSms, async (sms, ctx) => {
  await ctx.trx.insertInto('sms_log').values(sms).execute();
  // @ts-expect-error: not a table of Database
  await ctx.trx.insertInto('no_such_table').values(sms).execute();
  // @ts-expect-error: not a column of sms_log
  await ctx.trx.insertInto('sms_log').values({ ...sms, extra: 1 }).execute();
}, { inbox: true, name: 'send' });
metro.on(SmsSent, async (sms, ctx) => {
  await ctx.trx.insertInto('sms_log').values(sms).execute();
}, { inbox: true });
metro.subscription('audit').on({ topic: 'sms', subject: '#' }, async (data, ctx) => {
  await ctx.trx.selectFrom('sms_log').selectAll().execute();
}, { inbox: true });
metro.on(SmsSent, async (sms, ctx) => {
  // @ts-expect-error: without inbox: true, ctx.trx may be undefined
  await ctx.trx.insertInto('sms_log').values(sms).execute();
});

const memory = createMetro({ service: 'mem', transport: new InMemoryTransport(), inbox: new InMemoryInbox() });
memory.on(SmsSent, (sms, ctx) => {
  const trx: undefined = ctx.trx; // the in-memory inbox has no transaction
}, { inbox: true });
`;

test('inbox handlers: ctx.trx is defined and typed with the app database', () => {
  const dir = fileURLToPath(new URL('../.scratch-types', import.meta.url));
  const modules = writeModules([{ file: 'inbox-types', line: 0, code, notChecked: undefined, continues: false }], dir);
  const errors = typecheck(modules, dir).get(modules[0]?.fileName ?? '') ?? [];
  expect(formatDiagnostics('inbox-types', errors)).toBe('');
}, 60_000);
