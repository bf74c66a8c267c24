// Syscalls, event-loop work, AMQP frames and latency legs per call of one side of the rpc bench
// (both ends of that side run in this process; the sides are the bench's: support/raw-rpc.ts,
// support/transport-echo.ts, createRpc). Deterministic where the calls/s figure is noisy:
//   cd bench && npx tsx src/support/rpc-syscalls.ts <metro|transport|raw> [calls=2000]
// Re-runs itself under `strace -f` (strace must be installed), counts the syscalls between two
// markers around the measured calls (after a warm-up of 500), and prints them per call: for the
// main thread (the event loop) and for all threads. The child also counts, per call: setImmediate /
// setTimeout / clearTimeout / process.nextTick calls, socket writes (what amqplib hands the socket),
// the AMQP frames written and read by method (basic.publish, basic.ack, basic.deliver, ...), and, at
// concurrency 1, the medians of the legs of a call (client until the request is written, broker,
// server until the reply is written, broker, client until the call resolves).
// Environment: NO_STRACE=1 runs the child alone (timings without strace's cost; the counting
// wrappers stay); SEQUENCE=1 prints the commonest orders of frames and setImmediate calls within a
// call; KEEP_TRACE=1 keeps the strace output (with timestamps, 400 bytes of each buffer);
// CONCURRENCY=n runs n calls in flight (no legs); ENABLE_ALS=1 puts an AsyncLocalStorage in use first
// (on Node 20 that turns async hooks on for the whole process, as the rpc server's first handler does).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const side = process.argv[2] ?? 'metro';
const calls = Number(process.argv[3] ?? 2000);
/** CONCURRENCY=n: calls in flight (the latency legs are only measured at 1). */
const concurrency = Number(process.env['CONCURRENCY'] ?? 1);
const MARK_START = '/nonexistent/metro-rpc-syscalls-start';
const MARK_END = '/nonexistent/metro-rpc-syscalls-end';

/** Runs the child under strace and prints the syscalls per call between the markers. */
function parent(): void {
  const out = join(tmpdir(), `rpc-syscalls-${side}-${process.pid}.strace`);
  const run = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      ...(process.env['KEEP_TRACE'] === '1' ? ['-tt', '-s', '400', '-e', 'trace=!futex,mprotect,madvise,mmap,munmap'] : []),
      '-o',
      out,
      process.execPath,
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      side,
      String(calls),
    ],
    {
      env: { ...process.env, RPC_SYSCALLS_CHILD: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (run.status !== 0 || !existsSync(out)) throw new Error(`the child failed (status ${run.status}, ${run.error?.message ?? 'see above'})`);
  const { main, all } = countBetweenMarkers(readFileSync(out, 'utf8'));
  if (process.env['KEEP_TRACE'] === '1') console.log(`trace kept: ${out}`);
  else rmSync(out);
  const names = [...new Set([...all.keys()])].sort((a, b) => (all.get(b) ?? 0) - (all.get(a) ?? 0));
  console.log(`\nsyscalls per call, ${side}, ${calls} calls (main thread | all threads):`);
  for (const name of names) {
    const m = (main.get(name) ?? 0) / calls;
    const a = (all.get(name) ?? 0) / calls;
    if (a >= 0.01) console.log(`  ${name.padEnd(16)} ${m.toFixed(2).padStart(7)} | ${a.toFixed(2).padStart(7)}`);
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0) / calls;
  console.log(`  ${'total'.padEnd(16)} ${sum(main).toFixed(2).padStart(7)} | ${sum(all).toFixed(2).padStart(7)}`);
}

/** Counts syscalls by name between the start and end markers: on the thread that wrote them, and on all threads. */
function countBetweenMarkers(trace: string): { main: Map<string, number>; all: Map<string, number> } {
  const main = new Map<string, number>();
  const all = new Map<string, number>();
  let mainPid: string | undefined;
  let inside = false;
  for (const line of trace.split('\n')) {
    const m = /^(\d+)\s+(?:<\.\.\. )?(\w+)/.exec(line);
    if (!m) continue;
    const [, pid, name] = m as unknown as [string, string, string];
    if (line.includes(MARK_START)) {
      inside = true;
      mainPid = pid;
      continue;
    }
    if (line.includes(MARK_END)) break;
    // A syscall interrupted by another thread's shows twice (`unfinished` then `resumed`): count it once.
    if (!inside || line.includes('resumed>')) continue;
    all.set(name, (all.get(name) ?? 0) + 1);
    if (pid === mainPid) main.set(name, (main.get(name) ?? 0) + 1);
  }
  return { main, all };
}

/** Counts what the event loop is asked to do, and the AMQP frames on every socket. */
async function child(): Promise<void> {
  const counts = new Map<string, number>();
  let counting = false;
  // When each call's request and reply were handed to and read from the sockets (concurrency 1: in that order).
  const events: number[] = [];
  const sequence: [string, number][] = [];
  const count = (what: string, n = 1) => {
    if (!counting) return;
    counts.set(what, (counts.get(what) ?? 0) + n);
    if (what === 'frame out: basic.publish' || what === 'frame in: basic.deliver') events.push(performance.now());
    if (process.env['SEQUENCE'] === '1' && (what.startsWith('frame') || what === 'setImmediate')) sequence.push([what, performance.now()]);
  };
  countScheduling(count);
  await countFrames(count);
  if (process.env['ENABLE_ALS'] === '1') {
    // What the rpc server's first handler does to the whole process: an AsyncLocalStorage in use
    // (on Node 20 it turns on async hooks, so every promise and tick pays the propagation).
    const { AsyncLocalStorage } = await import('node:async_hooks');
    new AsyncLocalStorage().run({}, () => undefined);
  }
  const { call, close } = await sideUnderTest(side);
  for (let i = 0; i < 500; i++) await call(i);
  existsSync(MARK_START);
  counting = true;
  const switches = contextSwitches();
  const threadsBefore = threadCpu();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const timeline: number[][] = [];
  if (concurrency > 1) {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) await call(next++);
      }),
    );
  }
  for (let i = 0; i < calls && concurrency === 1; i++) {
    events.length = 0;
    const t0 = performance.now();
    sequence.push(['call', t0]);
    await call(i);
    timeline.push([t0, ...events, performance.now()]);
  }
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const switched = contextSwitches();
  const threadsAfter = threadCpu();
  counting = false;
  existsSync(MARK_END);
  await close();
  console.log(
    `${side}: ${calls} calls at concurrency ${concurrency}, ${Math.round(calls / (elapsed / 1000))} calls/s${process.env['NO_STRACE'] === '1' ? '' : ' (under strace: slow)'}, CPU ${((used.user + used.system) / calls).toFixed(0)} µs/call (user ${(used.user / calls).toFixed(0)}, system ${(used.system / calls).toFixed(0)})`,
  );
  const mainTicks = (threadsAfter.main - threadsBefore.main) / calls;
  const otherTicks = (threadsAfter.others - threadsBefore.others) / calls;
  console.log(
    `CPU per call by thread (clock ticks of 10 ms, from /proc): main ${(mainTicks * 10_000).toFixed(0)} µs, other threads ${(otherTicks * 10_000).toFixed(0)} µs`,
  );
  console.log('per call (in process):');
  console.log(`  ${'main thread voluntary switches'.padEnd(34)} ${((switched.voluntary - switches.voluntary) / calls).toFixed(2)}`);
  console.log(`  ${'main thread involuntary switches'.padEnd(34)} ${((switched.involuntary - switches.involuntary) / calls).toFixed(2)}`);
  for (const [what, n] of [...counts].sort()) console.log(`  ${what.padEnd(34)} ${(n / calls).toFixed(2)}`);
  if (concurrency === 1) printTimeline(timeline);
  if (process.env['SEQUENCE'] === '1') printSequences(sequence);
}

/** The most common orders of events within a call, with the median time of each since the call began. */
function printSequences(sequence: [string, number][]): void {
  const byOrder = new Map<string, number[][]>();
  let current: [string, number][] = [];
  const close = () => {
    if (current.length === 0) return;
    const key = current.map(([w]) => w).join(' > ');
    const list = byOrder.get(key) ?? [];
    list.push(current.map(([, t]) => (t - current[0]![1]) * 1000));
    byOrder.set(key, list);
  };
  for (const e of sequence) {
    if (e[0] === 'call') {
      close();
      current = [];
    }
    current.push(e);
  }
  close();
  const orders = [...byOrder].sort((a, b) => b[1].length - a[1].length).slice(0, 3);
  for (const [key, list] of orders) {
    const names = key.split(' > ');
    const medians = names.map((_, i) => {
      const xs = list.map((l) => l[i]!).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!.toFixed(0);
    });
    console.log(`${list.length} calls:`);
    names.forEach((n, i) => console.log(`    ${medians[i]!.padStart(5)} µs  ${n}`));
  }
}

/** Medians of the legs of a call: call -> request written -> delivered to the server -> reply written -> reply read -> call resolved. */
function printTimeline(timeline: number[][]): void {
  const legs = [
    'client: call to request written',
    'broker: request written to delivered',
    'server: delivered to reply written',
    'broker: reply written to read',
    'client: reply read to call resolved',
    'whole call',
  ];
  const whole = timeline.filter((t) => t.length === 6);
  console.log(`latency legs, median (p25-p75) µs over ${whole.length} calls with exactly 2 publishes and 2 deliveries:`);
  legs.forEach((leg, i) => {
    const xs = whole.map((t) => (i === 5 ? t[5]! - t[0]! : t[i + 1]! - t[i]!) * 1000).sort((a, b) => a - b);
    const q = (f: number) => xs[Math.floor(f * (xs.length - 1))]!.toFixed(0);
    console.log(`  ${leg.padEnd(40)} ${q(0.5).padStart(5)} (${q(0.25)}-${q(0.75)})`);
  });
}

/** The main thread's context switches so far (voluntary: it slept, i.e. the event loop blocked in epoll_wait). */
function contextSwitches(): { voluntary: number; involuntary: number } {
  const status = readFileSync(`/proc/${process.pid}/task/${process.pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { voluntary: field('voluntary_ctxt_switches'), involuntary: field('nonvoluntary_ctxt_switches') };
}

/** User + system clock ticks of the main thread and of all other threads (GC helpers, libuv pool). */
function threadCpu(): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (tid === String(process.pid)) main += ticks;
    else others += ticks;
  }
  return { main, others };
}

/** Wraps the scheduling functions (before amqplib loads: its muxer keeps a reference to setImmediate). */
function countScheduling(count: (what: string) => void): void {
  const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['setImmediate', 'setTimeout', 'clearTimeout']) {
    const original = g[name]!;
    g[name] = function (this: unknown, ...args: unknown[]) {
      count(name);
      return original.apply(this, args);
    };
  }
  const nextTick = process.nextTick;
  process.nextTick = function (this: unknown, ...args: Parameters<typeof process.nextTick>) {
    count('process.nextTick');
    return nextTick.apply(this, args);
  } as typeof process.nextTick;
}

const METHODS: Record<string, string> = {
  '60.40': 'basic.publish',
  '60.50': 'basic.return',
  '60.60': 'basic.deliver',
  '60.80': 'basic.ack',
  '60.120': 'basic.nack',
  '60.90': 'basic.reject',
};

/** Parses the AMQP frames written to and read from every socket (amqplib writes whole frames; reads may split them). */
async function countFrames(count: (what: string, n?: number) => void): Promise<void> {
  const { Socket } = await import('node:net');
  const proto = Socket.prototype as unknown as {
    write: (...args: unknown[]) => boolean;
    read: (...args: unknown[]) => unknown;
  };
  const write = proto.write;
  proto.write = function (this: object, ...args: unknown[]) {
    if (Buffer.isBuffer(args[0])) {
      count('socket.write (to the stream)');
      for (const f of frames(args[0])) count(`frame out: ${f}`);
    }
    return write.apply(this, args);
  };
  const rest = new WeakMap<object, Buffer>();
  const read = proto.read;
  proto.read = function (this: object, ...args: unknown[]) {
    const chunk = read.apply(this, args);
    if (Buffer.isBuffer(chunk)) {
      const all = Buffer.concat([rest.get(this) ?? Buffer.alloc(0), chunk]);
      let used = 0;
      for (const f of frames(all, (n) => (used = n))) count(`frame in: ${f}`);
      rest.set(this, all.subarray(used));
    }
    return chunk;
  };
}

/** The frames in `buf` by name (method frames by method, others by type); `consumed` gets the bytes of whole frames. */
function* frames(buf: Buffer, consumed?: (n: number) => void): Generator<string> {
  let at = 0;
  while (at + 7 <= buf.length) {
    const type = buf[at]!;
    if (type === 0x41) return; // the protocol header
    const size = buf.readUInt32BE(at + 3);
    if (at + 8 + size > buf.length) break;
    if (type === 1) {
      const key = `${buf.readUInt16BE(at + 7)}.${buf.readUInt16BE(at + 9)}`;
      yield METHODS[key] ?? `method ${key}`;
    } else if (type === 8) yield 'heartbeat';
    at += 8 + size;
    consumed?.(at);
  }
}

interface SideUnderTest {
  call: (i: number) => Promise<unknown>;
  close: () => Promise<void>;
}

/** The side as the rpc bench runs it (rpc.bench.ts): raw amqplib, the transport's request/reply, or Metro RPC. */
async function sideUnderTest(which: string): Promise<SideUnderTest> {
  const { randomUUID } = await import('node:crypto');
  const suffix = randomUUID().slice(0, 8);
  const url = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
  if (which === 'raw') {
    const { rawRpc } = await import('./raw-rpc.js');
    return rawRpc(url, `syscalls-raw-rpc-${suffix}`);
  }
  const { AmqpTransport } = await import('@metro/transport-amqp');
  const serverTransport = new AmqpTransport({ url });
  const clientTransport = new AmqpTransport({ url });
  const stopTransports = async () => {
    await clientTransport.close();
    await serverTransport.close();
  };
  if (which === 'transport') {
    const { echoCaller, serveEcho } = await import('./transport-echo.js');
    const queue = `syscalls-transport-echo-${suffix}`;
    await serveEcho(serverTransport, queue);
    return { call: echoCaller(clientTransport, queue), close: stopTransports };
  }
  const { z } = await import('zod');
  const { createRpc, defineProcedure } = await import('@metro/rpc');
  const Echo = defineProcedure({
    name: `syscalls-${suffix}.echo`,
    input: z.object({ i: z.number() }),
    output: z.object({ i: z.number(), ok: z.boolean() }),
  });
  const server = createRpc({ transport: serverTransport, service: 'syscalls-server', concurrency: 64 });
  const client = createRpc({ transport: clientTransport, service: 'syscalls-client', defaultTimeout: '30s' });
  await server.serve(Echo, ({ i }) => ({ i, ok: true }));
  return {
    call: (i) => client.call(Echo, { i }),
    close: async () => {
      await client.stop();
      await server.stop();
      await stopTransports();
      await serverTransport.deleteQueue(Echo.queue).catch(() => undefined);
    },
  };
}

// Last: the functions above use the constants declared between them.
// NO_STRACE=1: the child alone (calls/s, CPU and context switches without strace's cost).
if (process.env['RPC_SYSCALLS_CHILD'] === '1' || process.env['NO_STRACE'] === '1') await child();
else parent();
