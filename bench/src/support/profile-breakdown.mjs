// Where the CPU of one end-to-end message goes, from a V8 CPU profile of the bench's Metro side:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/support/telemetry-profile.ts 20000 off
//   node src/support/profile-breakdown.mjs /tmp/prof/<largest>.cpuprofile 62000
// (62,000 = the warm-up round of 2,000 plus 3 rounds of 20,000.) Each sample goes to the first
// bucket in this list whose rule matches any frame of its stack (so the order is the priority).
import fs from 'node:fs';

const [file, messagesArg] = process.argv.slice(2);
const messages = Number(messagesArg ?? 62_000);
const BUCKETS = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['ids (uuidv7)', (f) => f.functionName === 'uuidv7'],
  ['validate (zod, publish and consume)', (f) => f.functionName === 'validateNow' || f.functionName === 'payloadFor'],
  ['envelope (build, time text)', (f) => f.functionName === 'envelopeOf' || f.functionName === 'buildEnvelope'],
  ['encode (JSON.stringify + Buffer)', (f) => f.functionName === 'encode' && f.url.includes('json-envelope-codec')],
  [
    'decode (UTF-8, JSON.parse, envelope checks)',
    (f) => f.url.includes('json-envelope-codec') || f.url.includes('safe-json') || f.functionName === 'decodeDelivery',
  ],
  ['routing', (f) => f.functionName === 'routeDelivery'],
  ['context (correlation, handler context)', (f) => f.functionName === 'runWithCorrelation' || f.functionName === 'MessageContext'],
  ['settle + ack (batched acks)', (f) => f.url.includes('ack-batcher') || f.url.includes('delivery-settler') || f.url.includes('amqp-delivery')],
  [
    'publish: amqplib frames + confirm bookkeeping',
    (f) => f.url.includes('confirmed-publish') || f.url.includes('channel-publisher') || f.url.includes('outgoing.js'),
  ],
  ['bus publish step (options, telemetry checks, promise)', (f) => f.url.includes('bus/publishing') || f.url.includes('bus/metro.js')],
  ['consume: delivery + dispatch bookkeeping', (f) => f.url.includes('consumer.js') || f.url.includes('dispatcher.js') || f.url.includes('handler-runner')],
  ['socket writes and reads (kernel)', (f) => ['writeBuffer', 'writev', 'writeUtf8String', 'onStreamRead'].includes(f.functionName)],
  ['amqplib receive (frame parsing)', (f) => f.url.includes('amqplib')],
  ["handler and publishing loop (the bench's own)", (f) => f.url.includes('telemetry-round')],
  [
    'promise and async-context machinery',
    (f) => ['runMicrotasks', 'processTicksAndRejections', 'promiseInitHook', 'promiseBeforeHook', 'promiseAfterHook'].includes(f.functionName),
  ],
];
const p = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const totals = new Map(BUCKETS.map(([name]) => [name, 0]));
let other = 0;
const otherLeaves = new Map();
let busy = 0;
p.samples.forEach((sample, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  const leaf = byId.get(sample).callFrame.functionName;
  if (leaf === '(idle)' || leaf === '(program)') return;
  busy += dt;
  const frames = [];
  for (let id = sample; id !== undefined; id = parent.get(id)) frames.push(byId.get(id).callFrame);
  const bucket = BUCKETS.find(([, rule]) => frames.some(rule));
  if (bucket) totals.set(bucket[0], totals.get(bucket[0]) + dt);
  else {
    other += dt;
    if (process.env.SHOW_OTHER)
      otherLeaves.set(
        `${frames[0].functionName} ${frames[0].url.split('/').slice(-2).join('/')}`,
        (otherLeaves.get(`${frames[0].functionName} ${frames[0].url.split('/').slice(-2).join('/')}`) ?? 0) + dt,
      );
  }
});
const us = (t) => (t / messages).toFixed(1).padStart(6);
console.log(`busy CPU ${(busy / 1000).toFixed(0)} ms over ${messages} messages: ${us(busy)} µs/msg (profiler overhead included)`);
for (const [name, t] of [...totals, ['other (module loading at start, timers, streams)', other]].sort((a, b) => b[1] - a[1])) {
  console.log(`${us(t)} µs  ${((100 * t) / busy).toFixed(1).padStart(5)}%  ${name}`);
}
if (process.env.SHOW_OTHER)
  for (const [k, v] of [...otherLeaves].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`   other: ${(v / 1000).toFixed(0)} ms ${k}`);
