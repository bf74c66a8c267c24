import { sql, type Kysely } from 'kysely';
import { MigrationError } from '../errors.js';
import { checkIdentifier, schemaName } from '../identifiers.js';

/**
 * One versioned schema change of a component. `up` runs inside the migration transaction
 * (`db` is that transaction) and must create everything in `schema`.
 */
export interface Migration {
  /** Its place in the component's order: a positive integer, distinct within the component. */
  readonly version: number;
  /** What it does, recorded with its version in `<schema>.<component>_migrations`. */
  readonly name: string;
  /** Applies the change on `db` (the migration transaction) in `schema`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, schema: string): Promise<void>;
}

/** Options of {@link runMigrations}. */
export interface RunMigrationsOptions {
  /** The schema to migrate (created if missing). Default `metro`. */
  readonly schema?: string;
  /** The component whose migrations these are; its versions live in `<schema>.<component>_migrations`. */
  readonly component: string;
  /** The component's migrations, in any order (they run by version). */
  readonly migrations: ReadonlyArray<Migration>;
}

/**
 * Applies the component's migrations that are not yet applied, in version order, in ONE
 * transaction holding an advisory lock on the schema: idempotent, and safe when several
 * instances start at once (the second waits, then finds nothing to do). A failing migration
 * rolls the whole run back and throws `MigrationError`.
 *
 * @example
 * ```ts
 * await runMigrations(db, { schema: 'metro', component: 'scheduler', migrations: [
 *   { version: 1, name: 'create schedule', up: async (db, schema) => { await sql`create table ${sql.id(schema, 'schedule')} (id text primary key)`.execute(db); } },
 * ] });
 * ```
 */
export async function runMigrations(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  options: RunMigrationsOptions,
): Promise<{ applied: number[] }> {
  const schema = schemaName(options.schema);
  const component = checkIdentifier('component', options.component);
  const versions = new Set<number>();
  for (const m of options.migrations) {
    if (!Number.isInteger(m.version) || m.version < 1 || versions.has(m.version)) {
      throw new MigrationError(component, m.version, m.name, new Error('versions must be distinct positive integers'));
    }
    versions.add(m.version);
  }
  const ordered = [...options.migrations].sort((a, b) => a.version - b.version);
  const table = sql.id(schema, `${component}_migrations`);
  return db.transaction().execute(async (trx) => {
    // One lock per schema: components migrating the same schema at once take turns.
    await sql`select pg_advisory_xact_lock(7301, hashtext(${'metro-migrations:' + schema}))`.execute(trx);
    await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
    await sql`create table if not exists ${table} (version integer primary key, name text not null, applied_at timestamptz not null default now())`.execute(
      trx,
    );
    const done = await sql<{ version: number }>`select version from ${table}`.execute(trx);
    const have = new Set(done.rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const migration of ordered) {
      if (have.has(migration.version)) continue;
      try {
        await migration.up(trx, schema);
      } catch (err) {
        throw new MigrationError(component, migration.version, migration.name, err);
      }
      await sql`insert into ${table} (version, name) values (${migration.version}, ${migration.name})`.execute(trx);
      applied.push(migration.version);
    }
    return { applied };
  });
}
