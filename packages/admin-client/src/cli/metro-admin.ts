#!/usr/bin/env node
/**
 * `metro-admin`: the admin API from a terminal. Tables for people, `--json` for scripts.
 *
 * @example
 * ```sh
 * METRO_ADMIN_URL=http://127.0.0.1:4400 METRO_ADMIN_TOKEN=... metro-admin failed list --type placed
 * metro-admin failed retry-all --text timeout
 * ```
 */
import { createAdminClient, TRPCClientError, type AdminClient } from '../index.js';
import { parse, payloadOf, tagsOf, UsageError, USAGE, type ParsedArgs } from './args.js';
import { auditCommand } from './audit-command.js';
import { EXIT, exitOf } from './exit-codes.js';
import { printable, printableJson } from './printable.js';
import { sagasCommand } from './sagas-command.js';
import { renderTable, shortTime } from './table.js';

type Values = ParsedArgs['values'];

// Everything printed goes through `printable`: control characters from message data never reach the terminal.
const out = (text: string): void => void process.stdout.write(printable(text, true) + '\n');
const err = (text: string): void => void process.stderr.write(printable(text, true) + '\n');
const json = (value: unknown): void => out(printableJson(value));

function filterOf(v: Values) {
  const status = v.status?.includes(',') ? v.status.split(',') : v.status;
  return {
    ...(v.type !== undefined ? { type: v.type } : {}),
    ...(v.topic !== undefined ? { topic: v.topic } : {}),
    ...(v.service !== undefined ? { service: v.service } : {}),
    ...(v.queue !== undefined ? { queue: v.queue } : {}),
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    ...(v['error-name'] !== undefined ? { errorName: v['error-name'] } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(v.text !== undefined ? { text: v.text } : {}),
    ...(v.from !== undefined ? { from: v.from } : {}),
    ...(v.to !== undefined ? { to: v.to } : {}),
  } as Parameters<AdminClient['failed']['list']['query']>[0] extends infer I ? (I extends { filter?: infer F } ? F : never) : never;
}

function limitOf(v: Values): number | undefined {
  if (v.limit === undefined) return undefined;
  const n = Number(v.limit);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new UsageError('--limit must be an integer from 1 to 500');
  return n;
}

function need(args: string[], what: string): string[] {
  if (args.length === 0) throw new UsageError(`give at least one ${what}`);
  return args;
}

async function failed(client: AdminClient, sub: string | undefined, args: string[], v: Values): Promise<void> {
  switch (sub) {
    case 'list': {
      const limit = limitOf(v);
      const page = await client.failed.list.query({ filter: filterOf(v), ...(limit ? { limit } : {}), ...(v.cursor ? { cursor: v.cursor } : {}) });
      if (v.json) return json(page);
      out(
        renderTable(page.items, [
          { header: 'ID', value: (f) => f.id, max: 36 },
          { header: 'STATUS', value: (f) => f.status },
          { header: 'TYPE', value: (f) => f.type },
          { header: 'SERVICE', value: (f) => f.service },
          { header: 'REASON', value: (f) => f.reason },
          { header: 'ERROR', value: (f) => `${f.error.code ?? f.error.name}: ${f.error.message}`, max: 50 },
          { header: 'ATTEMPTS', value: (f) => f.attempts, align: 'right' },
          { header: 'LAST FAILED', value: (f) => shortTime(f.lastFailedAt) },
        ]),
      );
      if (page.nextCursor) out(`\nmore: --cursor ${page.nextCursor}`);
      return;
    }
    case 'show': {
      const [id] = need(args, 'failure id');
      const f = await client.failed.get.query({ id: id! });
      if (v.json) return json(f);
      const rows: Array<[string, string]> = [
        ['id', f.id],
        ['status', f.status],
        ['message id', f.messageId],
        ['type', f.type ?? '-'],
        ['topic', f.topic ?? '-'],
        ['service', f.service],
        ['queue', f.queue],
        ['handler', f.handler ?? '-'],
        ['reason', f.reason],
        ['attempts', String(f.attempts)],
        ['retries', String(f.retryCount)],
        ['first failed', shortTime(f.firstFailedAt)],
        ['last failed', shortTime(f.lastFailedAt)],
        ['correlation', f.correlationId ?? '-'],
        ['trace', f.traceId ?? '-'],
        ['error', `${f.error.name}${f.error.code ? ` [${f.error.code}]` : ''}: ${f.error.message}`],
      ];
      const width = Math.max(...rows.map(([k]) => k.length));
      for (const [k, value] of rows) out(`${k.padEnd(width)}  ${printable(value)}`);
      out(f.payloadHidden ? '\npayload: (hidden: your role may not read payloads)' : `\npayload:\n${printableJson(f.payload, 2)}`);
      out(`\nheaders:\n${printableJson(f.headers, 2)}`);
      if (f.error.stack) out(`\nstack:\n${printable(f.error.stack, true)}`);
      return;
    }
    case 'retry': {
      const ids = need(args, 'failure id');
      const edit = payloadOf(v.payload);
      const results = [];
      for (const id of ids) {
        const r = edit ? await client.failed.editAndRetry.mutate({ id, payload: edit.payload }) : await client.failed.retry.mutate({ id });
        results.push({ id, ...r });
        if (!v.json) out(r.retried ? `retried ${id}` : `not retried ${id} (status ${r.status})`);
      }
      if (v.json) json(results);
      return;
    }
    case 'retry-all': {
      const filter = filterOf(v);
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.failed.list.query({ filter: { ...filter, status: 'failed' }, limit: 500, ...(cursor ? { cursor } : {}) });
        ids.push(...page.items.map((f) => f.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      let retried = 0;
      let skipped = 0;
      const chunk = 500;
      for (let i = 0; i < ids.length; i += chunk) {
        const r = await client.failed.retryMany.mutate({ ids: ids.slice(i, i + chunk) });
        retried += r.retried;
        skipped += r.skipped;
        if (!v.json) err(`retrying: ${Math.min(i + chunk, ids.length)}/${ids.length} (${retried} retried, ${skipped} skipped)`);
      }
      if (v.json) json({ matched: ids.length, retried, skipped });
      else out(`retried ${retried} of ${ids.length} matching failed messages${skipped ? ` (${skipped} skipped: no longer failed)` : ''}`);
      return;
    }
    case 'delete': {
      const ids = need(args, 'failure id');
      const r = await client.failed.deleteMany.mutate({ ids });
      return v.json ? json(r) : out(`deleted ${r.deleted} of ${ids.length}`);
    }
    case 'restore': {
      const ids = need(args, 'failure id');
      const r = await client.failed.restoreMany.mutate({ ids });
      return v.json ? json(r) : out(`restored ${r.restored} of ${ids.length}${r.restored < ids.length ? ' (the others were not deleted)' : ''}`);
    }
    default:
      throw new UsageError(`unknown command "failed ${sub ?? ''}"`);
  }
}

async function deferred(client: AdminClient, sub: string | undefined, args: string[], v: Values): Promise<void> {
  if (sub === 'list') {
    const limit = limitOf(v);
    const page = await client.deferred.list.query({
      ...(v.type ? { type: v.type } : {}),
      ...(v.service ? { service: v.service } : {}),
      ...(limit ? { limit } : {}),
      ...(v.cursor ? { cursor: v.cursor } : {}),
    });
    if (v.json) return json(page);
    return out(
      renderTable(page.items, [
        { header: 'SEQ', value: (d) => d.seq, align: 'right' },
        { header: 'TYPE', value: (d) => d.type },
        { header: 'SERVICE', value: (d) => d.service },
        { header: 'QUEUE', value: (d) => d.queue },
        { header: 'REASON', value: (d) => d.reason, max: 50 },
        { header: 'DEFERRED AT', value: (d) => shortTime(d.deferredAt) },
      ]),
    );
  }
  if (sub === 'complete' || sub === 'resume') {
    const seqs = need(args, 'deferred seq').map((arg) => {
      const seq = Number(arg);
      if (!Number.isInteger(seq) || seq < 1) throw new UsageError(`"${arg}" is not a deferred seq`);
      return seq;
    });
    const results = [];
    for (const seq of seqs) {
      if (sub === 'resume') {
        const r = await client.deferred.resume.mutate({ seq });
        results.push({ seq, ...r });
        if (!v.json) out(r.resumed ? `resumed #${seq}` : `#${seq} not found`);
      } else {
        const r = await client.deferred.complete.mutate({ seq });
        results.push({ seq, ...r });
        if (!v.json) out(r.completed ? `completed #${seq}` : `#${seq} not found`);
      }
    }
    if (v.json) json(results);
    return;
  }
  throw new UsageError(`unknown command "deferred ${sub ?? ''}"`);
}

async function scheduled(client: AdminClient, sub: string | undefined, args: string[], v: Values): Promise<void> {
  const tags = tagsOf(v.tag);
  if (sub === 'list') {
    const limit = limitOf(v);
    const status = v.status as 'pending' | 'fired' | 'cancelled' | undefined;
    const page = await client.scheduled.list.query({
      ...(v.type ? { type: v.type } : {}),
      ...(status ? { status } : {}),
      ...(tags ? { tags } : {}),
      ...(limit ? { limit } : {}),
      ...(v.cursor ? { cursor: v.cursor } : {}),
    });
    if (v.json) return json(page);
    return out(
      renderTable(page.items, [
        { header: 'ID', value: (s) => s.id, max: 36 },
        { header: 'NAME', value: (s) => s.name },
        { header: 'STATUS', value: (s) => s.status },
        { header: 'DUE', value: (s) => shortTime(s.dueAt) },
        {
          header: 'TAGS',
          value: (s) =>
            Object.entries(s.tags)
              .map(([k, t]) => `${k}=${t}`)
              .join(' '),
          max: 50,
        },
      ]),
    );
  }
  if (sub === 'cancel') {
    if (args.length === 0) {
      if (!v.type || !tags) throw new UsageError('scheduled cancel needs ids, or --type and at least one --tag');
      const r = await client.scheduled.cancelByTags.mutate({ type: v.type, tags });
      return v.json ? json(r) : out(`cancelled ${r.cancelled}`);
    }
    const results = [];
    for (const id of args) {
      const r = await client.scheduled.cancel.mutate({ id });
      results.push({ id, ...r });
      if (!v.json) out(r.cancelled ? `cancelled ${id}` : `${id} not pending`);
    }
    if (v.json) json(results);
    return;
  }
  throw new UsageError(`unknown command "scheduled ${sub ?? ''}"`);
}

async function stats(client: AdminClient, v: Values): Promise<void> {
  const [failures, outbox, queues] = await Promise.all([client.failed.stats.query(), client.outbox.stats.query(), client.queues.list.query()]);
  if (v.json) return json({ failures, outbox, queues });
  const s = failures.byStatus;
  out(`failed ${s.failed}   retried ${s.retried}   resolved ${s.resolved}   deleted ${s.deleted}`);
  out(
    `outbox: ${outbox.pending} pending (oldest ${outbox.oldestPendingAgeMs === null ? '-' : `${Math.round(outbox.oldestPendingAgeMs / 1000)}s`}), ${outbox.sentLastMinute} sent in the last minute, ${outbox.failed} failed`,
  );
  if (failures.byType.length > 0)
    out(
      '\n' +
        renderTable(failures.byType, [
          { header: 'TYPE', value: (t) => t.type },
          { header: 'COUNT', value: (t) => t.count, align: 'right' },
        ]),
    );
  if (failures.byError.length > 0)
    out(
      '\n' +
        renderTable(failures.byError, [
          { header: 'ERROR', value: (e) => e.error },
          { header: 'COUNT', value: (e) => e.count, align: 'right' },
        ]),
    );
  if (queues.length > 0) {
    out(
      '\n' +
        renderTable(queues, [
          { header: 'QUEUE', value: (q) => q.queue },
          { header: 'DEPTH', value: (q) => (q.exists ? q.depth : 'missing'), align: 'right' },
          { header: 'CONSUMERS', value: (q) => q.consumers, align: 'right' },
        ]),
    );
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parse(argv);
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  const [group, sub, ...args] = positionals;
  if (v.help || group === undefined || group === 'help') {
    out(USAGE);
    return group === undefined && !v.help ? EXIT.usage : EXIT.ok;
  }
  const url = v.url ?? process.env['METRO_ADMIN_URL'] ?? 'http://127.0.0.1:4400';
  const token = v.token ?? process.env['METRO_ADMIN_TOKEN'];
  if (!token) {
    err('No token: pass --token or set METRO_ADMIN_TOKEN.');
    return EXIT.usage;
  }
  const client = createAdminClient({ url, token });
  try {
    if (group === 'failed') await failed(client, sub, args, v);
    else if (group === 'deferred') await deferred(client, sub, args, v);
    else if (group === 'scheduled') await scheduled(client, sub, args, v);
    else if (group === 'stats') await stats(client, v);
    else if (group === 'audit') await auditCommand(client, v, { out, json });
    else if (group === 'sagas') await sagasCommand(client, sub, args, v, { out, json });
    else throw new UsageError(`unknown command "${group}"`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.showUsage ? `${e.message}\n\n${USAGE}` : `metro-admin: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof TRPCClientError) {
      const code = (e.data as { code?: string } | undefined)?.code;
      if (code === 'FORBIDDEN') {
        // "forbidden for role viewer: failed.retry needs the operator role. ..."
        err(`metro-admin: ${e.message.replace(/^Forbidden/, 'forbidden')}`);
      } else {
        err(`metro-admin: ${code ? `${code}: ` : ''}${e.message}${code === undefined ? ` (is the admin server running at ${url}?)` : ''}`);
      }
      return exitOf(code);
    }
    err(`metro-admin: ${(e as Error).message}`);
    return EXIT.failed;
  } finally {
    await client.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
