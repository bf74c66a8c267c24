// A process built exactly as the README's quick start shows (a pg Pool, createPgDatabase, the
// outbox written in the caller's transaction) keeps running through 20 connection cuts that land
// while queries and transactions hold connections; the same process on a bare pool crashes.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '@metro/test-support';
import { createTestDb, DATABASE_URL, dropSchema, sleep, uniqueSchema, waitFor, type TestDb } from './helpers.js';

/**
 * How a process dies of a pg error nobody handled: pg's client emits 'error' with no listener. The
 * error is pg's "Connection terminated unexpectedly" or the socket's own (read ECONNRESET), depending
 * on where the cut lands.
 */
const UNCAUGHT_PG_ERROR = /Uncaught|Connection terminated unexpectedly|Unhandled 'error' event/;

const fixture = fileURLToPath(new URL('./fixtures/quick-start-process.mjs', import.meta.url));
const CUTS = 20;

interface Service {
  child: ChildProcess;
  progress: { ok: number; failed: number };
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startService(schema: string, mode: 'guarded' | 'bare', proxyPort: number): Promise<Service> {
  const url = new URL(DATABASE_URL);
  url.host = `127.0.0.1:${proxyPort}`;
  const child = spawn(process.execPath, [fixture, schema, mode], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: url.toString() } });
  const progress = { ok: 0, failed: 0 };
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') resolve();
        else if (line.startsWith('{')) Object.assign(progress, JSON.parse(line));
      }
    });
    void exited.then((code) => reject(new Error(`service exited before it was ready (${code}): ${err}`)));
  });
  return { child, progress, stderr: () => err, exited };
}

/** Cuts every connection through the proxy once queries are flowing, CUTS times or until the service dies. */
async function cutRepeatedly(proxy: TcpProxy, service: Service): Promise<number> {
  let cuts = 0;
  for (; cuts < CUTS && service.child.exitCode === null; cuts++) {
    const before = service.progress.ok;
    await waitFor(() => service.progress.ok > before + 2 || service.child.exitCode !== null, 15_000, `queries to flow again before cut ${cuts + 1}`);
    if (service.child.exitCode !== null) break;
    proxy.cut();
    await sleep(30);
  }
  return cuts;
}

describe('a service set up as the README quick start, through 20 PostgreSQL connection cuts', () => {
  const schemas: string[] = [];
  let t: TestDb;
  let proxy: TcpProxy;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    t = createTestDb();
    proxy = await TcpProxy.start(Number(new URL(DATABASE_URL).port || 5432));
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await proxy?.close();
    for (const s of schemas) await dropSchema(t.db, s);
    await t?.db.destroy();
  });

  it('createPgDatabase: stays up, every cut fails only the queries it hit, and it recovers each time', async () => {
    const schema = uniqueSchema('quick_start');
    schemas.push(schema);
    const service = await startService(schema, 'guarded', proxy.port);
    children.push(service.child);
    const droppedBefore = proxy.dropped;

    expect(await cutRepeatedly(proxy, service)).toBe(CUTS);
    const afterCuts = service.progress.ok;
    await waitFor(() => service.progress.ok > afterCuts + 20, 15_000, 'queries to succeed after the last cut');
    expect(service.child.exitCode).toBeNull();
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);

    expect(proxy.dropped - droppedBefore).toBeGreaterThanOrEqual(CUTS);
    expect(service.progress.failed).toBeGreaterThan(0); // the cuts did land on queries in flight
    expect(service.stderr()).not.toMatch(UNCAUGHT_PG_ERROR);
    // Each committed write holds its order and its outbox row; no cut split one from the other.
    const { rows } = await sql<{ orders: string; outbox: string }>`
      select (select count(*) from ${sql.id(schema, 'orders')}) as orders, (select count(*) from ${sql.id(schema, 'outbox')}) as outbox`.execute(t.db);
    expect(Number(rows[0]!.orders)).toBeGreaterThan(0);
    expect(rows[0]!.outbox).toBe(rows[0]!.orders);
  }, 120_000);

  it('a bare pool in kysely (no createPgDatabase) dies of an uncaught pg error within the same cuts', async () => {
    const schema = uniqueSchema('quick_start_bare');
    schemas.push(schema);
    const service = await startService(schema, 'bare', proxy.port);
    children.push(service.child);
    await cutRepeatedly(proxy, service);
    const code = await Promise.race([service.exited, sleep(10_000).then(() => 'still running' as const)]);
    expect(code).not.toBe(0);
    expect(code).not.toBe('still running');
    expect(service.stderr()).toMatch(UNCAUGHT_PG_ERROR);
  }, 120_000);
});
