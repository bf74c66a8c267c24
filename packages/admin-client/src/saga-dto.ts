import type { AdminClient } from './admin-client.js';

/**
 * A saga as the admin API's `sagas.list` / `sagas.get` return it: saga name and key, its current
 * state machine state, status, version, state (`null` and `stateHidden` for a role that may not
 * read payloads), pending timeouts and the last messages that moved it.
 *
 * @example
 * ```ts
 * import { createAdminClient, type SagaDto } from '@metro/admin-client';
 *
 * const client = createAdminClient({ url: 'http://127.0.0.1:4400', token: process.env.METRO_ADMIN_TOKEN! });
 * const stuck: SagaDto[] = (await client.sagas.list.query({ saga: 'order', currentState: 'reminded' })).items;
 * ```
 */
export type SagaDto = NonNullable<Awaited<ReturnType<AdminClient['sagas']['get']['query']>>>;
