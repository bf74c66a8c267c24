// Asks PostgreSQL for a checkpoint before a benchmark module starts. The modules write a lot of WAL
// (the outbox fills, the scheduler's million rows), and the checkpoints that WAL sets off run in the
// background for up to minutes, spread out. On the bench machine, commits that waited 150–400 ms for
// the disk showed up in the scheduler's lateness runs while such checkpoints ran, enough to decide a
// p99. A checkpoint forced before each module does that work before the module measures anything
// (a later one can still start within a module that writes enough, and a module's second side runs
// after its first side's writes).
import pg from 'pg';

/** Runs `CHECKPOINT`; returns its duration in ms, or why it could not (no server, not a superuser). */
export async function checkpointPostgres(
  connectionString = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
): Promise<{ ms: number } | { error: string }> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  const started = performance.now();
  try {
    await client.connect();
    await client.query('checkpoint');
    return { ms: performance.now() - started };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
