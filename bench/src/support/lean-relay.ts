// The fastest relay of Metro's design we could write by hand, as a baseline for the outbox bench:
// per lane one pg client, `begin` with synchronous_commit off and the planner held to the pending
// index (as Metro's claim is), a named (plan-cached) claim with FOR UPDATE SKIP LOCKED that starts
// after the rows the other lanes hold or are claiming (Metro's claim floor, without its starvation
// guards: a claim in flight after `f` counts as reaching `f + batch`), every
// row published mandatory on a raw amqplib confirm channel, then `DELETE` and `commit` in one
// simple query: three round trips per batch, as Metro's relay takes. No per-aggregate order, no
// retries or failure states, no counters: what is left is the cost of the design itself.
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

const BEGIN = 'begin; set local synchronous_commit = off; set local enable_seqscan = off; set local enable_bitmapscan = off';

/** Publishes every pending row of `schema`.outbox; resolves when `total` rows are gone, rejects (and stops every lane) on the first error. */
export async function leanRelay(pool: pg.Pool, schema: string, channel: ConfirmChannel, batch: number, lanes: number, total: number): Promise<void> {
  const claim = `select seq, message_id, destination, body, content_type, created_at from "${schema}".outbox
    where status = 'pending' and next_attempt_at <= now() and seq > $2 order by seq limit $1 for update skip locked`;
  const held = new Map<number, bigint>();
  const claiming = new Map<number, bigint>();
  let done = 0;
  let failed = false;
  const lane = async (index: number): Promise<void> => {
    const client = await pool.connect();
    let fromStart = true;
    try {
      while (done < total && !failed) {
        await client.query(BEGIN);
        let floor = 0n;
        if (!fromStart) for (const seq of [...held.values(), ...claiming.values()]) if (seq > floor) floor = seq;
        if (!fromStart) claiming.set(index, floor + BigInt(batch));
        const { rows } = await client
          .query<LeanRow>({ name: `lean-claim-${schema}`, text: claim, values: [batch, floor.toString()] })
          .finally(() => claiming.delete(index));
        fromStart = rows.length < batch;
        if (rows.length > 0) held.set(index, BigInt(rows[rows.length - 1]!.seq));
        await Promise.all(
          rows.map(
            (r) =>
              new Promise<void>((resolve, reject) =>
                channel.publish(
                  r.destination.topic,
                  r.destination.subject,
                  r.body,
                  {
                    persistent: true,
                    mandatory: true,
                    messageId: r.message_id,
                    contentType: r.content_type,
                    timestamp: Math.floor(r.created_at.getTime() / 1000),
                  },
                  (err) => (err ? reject(err as Error) : resolve()),
                ),
              ),
          ),
        );
        // Seqs come from the table (digits): inlined, so the delete shares a simple query with the commit.
        await client.query(
          rows.length > 0 ? `delete from "${schema}".outbox where seq = any('{${rows.map((r) => r.seq).join(',')}}'::bigint[]); commit` : 'commit',
        );
        held.delete(index);
        done += rows.length;
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 2));
      }
    } catch (err) {
      failed = true;
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      held.delete(index);
      client.release();
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: lanes }, (_, i) => lane(i)));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
}
