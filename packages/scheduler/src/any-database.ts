import type { Kysely } from 'kysely';

/**
 * The app's kysely instance, whatever its database type: the scheduler reaches only its own tables,
 * through SQL it writes itself, so it needs none of the app's table types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDatabase = Kysely<any>;
