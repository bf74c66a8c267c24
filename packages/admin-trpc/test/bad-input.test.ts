import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminRouter, createAdminServer, type AdminRouter, type AdminServer } from '../src/index.js';
import { createAdminClient, createTestDb, newFailure, recordMany, roleAuth, ROLE_TOKENS, type AdminClient } from './support.js';

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let server: AdminServer;
let dir: string;
let id: string;
const errors: unknown[] = [];
const logger = { debug() {}, info() {}, warn() {}, error: (fields: unknown) => void errors.push(fields) };

const NUL = '\u0000';
const MIN_YEAR = '-271821-04-20T00:00:00.000Z';
const MAX_YEAR = '+275760-09-13T00:00:00.000Z';

/** The probe list of issue #21 (point 8) and its neighbours, each call a function of a client. */
function probes(client: AdminClient): Array<[string, () => Promise<unknown>]> {
  return [
    ['NUL in a failure id', () => client.failed.get.query({ id: `a${NUL}b` })],
    ['NUL in a retried id', () => client.failed.retry.mutate({ id: NUL })],
    ['NUL in bulk ids', () => client.failed.deleteMany.mutate({ ids: [id, `x${NUL}`] })],
    ['NUL in filter text', () => client.failed.list.query({ filter: { text: `card${NUL}` } })],
    ['NUL in a filter field', () => client.failed.retryMany.mutate({ filter: { type: NUL } })],
    ['NUL in a cursor', () => client.failed.list.query({ cursor: NUL })],
    ['NUL in an edited payload', () => client.failed.editAndRetry.mutate({ id, payload: { note: `x${NUL}` } })],
    ['NUL in a payload key', () => client.failed.editAndRetry.mutate({ id, payload: { [`k${NUL}`]: 1 } })],
    ['NUL in a tag key', () => client.scheduled.cancelByTags.mutate({ type: 'reminder', tags: { [`k${NUL}`]: 'v' } })],
    ['NUL in a scheduled id', () => client.scheduled.cancel.mutate({ id: NUL })],
    ['NUL in a deferred type', () => client.deferred.list.query({ type: NUL })],
    ['year -271821 in from', () => client.failed.list.query({ filter: { from: MIN_YEAR } })],
    ['year 275760 in to', () => client.failed.stats.query({ filter: { to: MAX_YEAR } })],
    ['year -271821 in a bulk filter', () => client.failed.deleteMany.mutate({ filter: { from: MIN_YEAR } })],
    ['year -271821 to reschedule', () => client.scheduled.reschedule.mutate({ id: 'some-id', at: MIN_YEAR })],
    ['malformed scheduled cursor', () => client.scheduled.list.query({ cursor: 'not-a-cursor' })],
    ['scheduled cursor of bad JSON', () => client.scheduled.list.query({ cursor: Buffer.from('{"dueAt":').toString('base64url') })],
    ['scheduled cursor of a bad date', () => client.scheduled.list.query({ cursor: Buffer.from('{"dueAt":"-271821-04-20","id":"x"}').toString('base64url') })],
    ['malformed deferred cursor', () => client.deferred.list.query({ cursor: 'zz%%' })],
    ['malformed audit cursor', () => client.audit.list.query({ cursor: 'abc' })],
    ['huge deferred seq', () => client.deferred.get.query({ seq: 2 ** 60 })],
  ];
}

beforeAll(async () => {
  env = await createTestDb('admin_bad_input');
  id = (await recordMany(env.db, env.schema, [newFailure()]))[0]!;
  admin = createAdminRouter({ db: env.db, schema: env.schema, authorize: roleAuth(), logger, allowUnvalidatedEdits: true });
  dir = await mkdtemp(join(tmpdir(), 'metro-admin-bad-input-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>dashboard</title>');
  server = await createAdminServer({ router: admin, port: 0, staticDir: dir });
});

afterAll(async () => {
  await server?.close();
  await admin?.close();
  await env?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(['http', 'ws'] as const)('bad input over %s', (transport) => {
  it('answers every probe with a 4xx and a message, never 500, and logs no error', async () => {
    const client = createAdminClient({ url: server.url, token: ROLE_TOKENS.admin, allOverWebSocket: transport === 'ws' });
    const answers: Array<{ probe: string; status: unknown; code: unknown; message: string }> = [];
    for (const [probe, call] of probes(client)) {
      try {
        await call();
        answers.push({ probe, status: 200, code: 'OK', message: '' });
      } catch (err) {
        const data = (err as { data?: { httpStatus?: number; code?: string } }).data;
        answers.push({ probe, status: data?.httpStatus, code: data?.code, message: (err as Error).message });
      }
    }
    await client.close();
    const bad = answers.filter((a) => typeof a.status !== 'number' || a.status < 400 || a.status >= 500 || a.message.length < 10);
    expect(bad).toEqual([]);
    expect(answers.filter((a) => a.status === 500)).toHaveLength(0);
    expect(errors).toEqual([]);
  });
});

describe('a dashboard path with a malformed % escape', () => {
  it('is answered 400 without a token, and writes nothing to the error log', async () => {
    const port = server.port;
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    const statuses = [];
    for (const path of ['/%E0%A4%A', '/%zz', '/failed/%', '/%C0%80']) statuses.push(await get(path));
    expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
    expect(statuses[3]).toBeLessThan(500);
    expect(await get('/')).toBe(200);
    expect(errors).toEqual([]);
  });
});
