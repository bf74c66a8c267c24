import { describe, expect, it } from 'vitest';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { ThroughputCounter } from '../src/throughput-counter.js';
import { markSent } from '../src/outbox-claim.js';

// Compiles queries as the PostgreSQL dialect does, without a server.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const compiler = new Kysely<any>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('ThroughputCounter', () => {
  const key = '0192c1f0-7c5e-7a3b-9d2e-1f2a3b4c5d6e/3';

  it('writes with the first commit, then at most once per interval, carrying what it held', () => {
    const counter = new ThroughputCounter(key, 1000);
    expect(counter.due(100, 0)).toBe(100);
    counter.committed(100, 100, 0);
    expect(counter.pending).toBe(0);
    // Within the interval: nothing due, the rows are held.
    expect(counter.due(100, 400)).toBe(0);
    counter.committed(100, 0, 400);
    expect(counter.due(50, 999)).toBe(0);
    counter.committed(50, 0, 999);
    expect(counter.pending).toBe(150);
    // Once the interval is over, the next commit writes what was held plus its own rows.
    expect(counter.due(30, 1000)).toBe(180);
    counter.committed(30, 180, 1000);
    expect(counter.pending).toBe(0);
    expect(counter.due(0, 2000)).toBe(0);
  });

  it('keeps its rows when the commit that was to write them fails (committed is not called)', () => {
    const counter = new ThroughputCounter(key, 1000);
    counter.committed(40, 0, 0);
    expect(counter.due(10, 5000)).toBe(50);
    // That commit failed: its 10 rows were not marked, and the 40 are still held for the next one.
    expect(counter.pending).toBe(40);
    expect(counter.due(10, 5001)).toBe(50);
  });

  it('builds its upsert without parameters (it shares a simple query with the commit), and refuses what it would inline unchecked', () => {
    const counter = new ThroughputCounter(key);
    const upsert = counter.write('metro', 12).compile(compiler);
    expect(upsert.parameters).toEqual([]);
    expect(upsert.sql).toContain(`'${key}', 12`);
    const marked = markSent('metro', ['7', '9'], false, counter.write('metro', 2)).compile(compiler);
    expect(marked.parameters).toEqual([]);
    expect(marked.sql).toMatch(/^with marked as \(delete from "metro"\."outbox" where seq = any\('\{7,9\}'::bigint\[\]\)\) insert into "metro"\."outbox_throughput"/);
    expect(markSent('metro', ['7'], true).compile(compiler).sql).toMatch(/^update "metro"\."outbox" set status = 'sent'/);
    expect(() => markSent('metro', ['7 or true'], false)).toThrow(TypeError);
    expect(() => counter.write('metro', 0)).toThrow(RangeError);
    expect(() => counter.write('metro', 1.5)).toThrow(RangeError);
    expect(() => new ThroughputCounter("x'); drop table outbox; --")).toThrow(TypeError);
  });
});
