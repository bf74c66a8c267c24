import { pgSagaStore, type SagaRecord } from '@metro/saga';
import type { Scheduler } from '@metro/scheduler';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { adminMutation, adminQuery, router } from '../trpc.js';
import type { PageDto } from './dto.js';
import { paging, text } from './inputs.js';
import { recordPayloadRead, seesPayloads } from './payload-access.js';
import type { AnyKysely } from './stores.js';

/** A saga as the admin API shows it: its state only to callers who may read payloads. */
export interface SagaDto {
  readonly saga: string;
  readonly key: string;
  readonly currentState: string | null;
  readonly status: 'active' | 'completed';
  readonly version: number;
  readonly state: unknown;
  readonly stateHidden: boolean;
  /** Pending timeouts: message name -> scheduled message id and due time. */
  readonly timeouts: Record<string, { id: string; dueAt: string }>;
  /** The last messages that moved it, oldest first. */
  readonly history: Array<{ messageId: string; message: string; version: number; at: string }>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt: string | null;
  readonly expiresAt: string | null;
}

const sagaName = text(100).min(1);
const sagaKey = text(200).min(1);

function toSagaDto(record: SagaRecord, showState: boolean): SagaDto {
  return {
    saga: record.saga,
    key: record.key,
    currentState: record.currentState,
    status: record.status,
    version: record.version,
    state: showState ? record.state : null,
    stateHidden: !showState,
    timeouts: { ...record.timeouts },
    history: record.history.map((h) => ({ ...h })),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    completedAt: record.completedAt?.toISOString() ?? null,
    expiresAt: record.expiresAt?.toISOString() ?? null,
  };
}

/** PostgreSQL's "relation does not exist": the saga table was never migrated in this schema. */
async function withSagaTable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if ((err as { code?: unknown }).code === '42P01') {
      throw new TRPCError({
        code: 'PRECONDITION_FAILED',
        message: 'No saga table in this schema: run migrateSagas(db, { schema }) from @metro/saga.',
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * The `sagas.*` procedures over `@metro/saga`'s table: list by saga, status and current state;
 * get one (state, version, pending timeouts, the messages that moved it); complete or delete a
 * stuck one (its pending timeouts are cancelled).
 */
export function sagasRouter(db: AnyKysely, schema: string, scheduler: Scheduler) {
  const store = pgSagaStore(db, { schema, scheduler });
  return router({
    list: adminQuery
      .input(
        z
          .strictObject({ saga: sagaName.optional(), status: z.enum(['active', 'completed']).optional(), currentState: text(200).optional(), ...paging })
          .optional(),
      )
      .query(async ({ ctx, input, path }): Promise<PageDto<SagaDto>> => {
        const page = await withSagaTable(() =>
          store.list({
            ...(input?.saga !== undefined ? { saga: input.saga } : {}),
            ...(input?.status !== undefined ? { status: input.status } : {}),
            ...(input?.currentState !== undefined ? { currentState: input.currentState } : {}),
            ...(input?.cursor !== undefined ? { cursor: input.cursor } : {}),
            limit: input?.limit ?? 50,
          }),
        );
        const showState = seesPayloads(ctx.principal);
        if (showState)
          await recordPayloadRead(
            ctx,
            path,
            page.items.map((s) => `${s.saga}/${s.key}`),
          );
        return { items: page.items.map((s) => toSagaDto(s, showState)), nextCursor: page.nextCursor };
      }),

    get: adminQuery.input(z.strictObject({ saga: sagaName, key: sagaKey })).query(async ({ ctx, input, path }): Promise<SagaDto | null> => {
      const found = await withSagaTable(() => store.get(input.saga, input.key));
      if (!found) return null;
      const showState = seesPayloads(ctx.principal);
      if (showState) await recordPayloadRead(ctx, path, [`${found.saga}/${found.key}`]);
      return toSagaDto(found, showState);
    }),

    /** Marks an active saga completed (kept `keepDays`, default 7, then pruned) and cancels its pending timeouts. */
    complete: adminMutation
      .input(z.strictObject({ saga: sagaName, key: sagaKey, keepDays: z.number().int().min(0).max(3650).optional() }))
      .mutation(async ({ input }) => {
        const done = await withSagaTable(() =>
          store.complete(input.saga, input.key, input.keepDays !== undefined ? { keepMs: input.keepDays * 86_400_000 } : {}),
        );
        return { completed: done !== undefined };
      }),

    /** Deletes a saga (active or completed) and cancels its pending timeouts. */
    delete: adminMutation
      .input(z.strictObject({ saga: sagaName, key: sagaKey }))
      .mutation(async ({ input }) => ({ deleted: await withSagaTable(() => store.delete(input.saga, input.key)) })),
  });
}
