// The fastest relay of Metro's design we could write by hand, as a baseline for the outbox bench:
// per lane one pg client, `begin` with synchronous_commit off, a named (plan-cached) claim with
// FOR UPDATE SKIP LOCKED, every row published mandatory on a raw amqplib confirm channel, one
// DELETE, `commit`. No per-aggregate order, no retries or failure states, no counters: what is
// left is the cost of the design itself on this machine.
import type { ConfirmChannel } from 'amqplib';
import type pg from 'pg';

interface LeanRow {
  seq: string;
  message_id: string;
  destination: { topic: string; subject: string };
  body: Buffer;
  content_type: string;
  created_at: Date;
}

/** Publishes every pending row of `schema`.outbox; resolves when `total` rows are gone. */
export async function leanRelay(pool: pg.Pool, schema: string, channel: ConfirmChannel, batch: number, lanes: number, total: number): Promise<void> {
  const claim = `select seq, message_id, destination, body, content_type, created_at from "${schema}".outbox
    where status = 'pending' and next_attempt_at <= now() order by seq limit $1 for update skip locked`;
  const remove = `delete from "${schema}".outbox where seq = any($1::bigint[])`;
  let done = 0;
  const lane = async (): Promise<void> => {
    const client = await pool.connect();
    try {
      while (done < total) {
        await client.query('begin; set local synchronous_commit = off');
        const { rows } = await client.query<LeanRow>({ name: `lean-claim-${schema}`, text: claim, values: [batch] });
        await Promise.all(
          rows.map(
            (r) =>
              new Promise<void>((resolve, reject) =>
                channel.publish(
                  r.destination.topic,
                  r.destination.subject,
                  r.body,
                  { persistent: true, mandatory: true, messageId: r.message_id, contentType: r.content_type, timestamp: Math.floor(r.created_at.getTime() / 1000) },
                  (err) => (err ? reject(err as Error) : resolve()),
                ),
              ),
          ),
        );
        if (rows.length > 0) await client.query({ name: `lean-delete-${schema}`, text: remove, values: [`{${rows.map((r) => r.seq).join(',')}}`] });
        await client.query('commit');
        done += rows.length;
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
