// roundtrip.js - kafkajs 2.2.4 against a Samsa broker: produce with acks -1
// to explicit partitions, check the acknowledged base offsets against
// admin.fetchTopicOffsets, then read everything back.
//
// kafkajs has no group-less consumer. If the broker advertises
// FindCoordinator (ApiVersions key 10) the records are read back by a
// kafkajs group consumer; otherwise kafkajs is limited to producing plus
// metadata/offset calls and the read-back is done with kcat.
//
// Usage: node roundtrip.js BOOTSTRAP TOPIC PARTITIONS COUNT
'use strict';

const net = require('net');
const { execFileSync } = require('child_process');
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, partArg, countArg] = process.argv.slice(2);
if (!bootstrap || !topic || !partArg || !countArg) {
  console.error('usage: node roundtrip.js BOOTSTRAP TOPIC PARTITIONS COUNT');
  process.exit(2);
}
const PARTITIONS = Number(partArg);
const COUNT = Number(countArg);

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

function expected(i) {
  return {
    partition: i % PARTITIONS,
    key: 'js-key-' + (i % 13),
    value: 'js-value-' + String(i).padStart(6, '0') + '-' + 'z'.repeat(i % 30),
    headers: { seq: String(i) },
  };
}

// One raw ApiVersions v0 exchange: returns the advertised API keys.
function apiKeys(hostport) {
  const [host, port] = hostport.split(',')[0].split(':');
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), host);
    const clientId = Buffer.from('js-probe');
    const req = Buffer.alloc(4 + 8 + 2 + clientId.length);
    req.writeInt32BE(req.length - 4, 0);
    req.writeInt16BE(18, 4);            // ApiVersions
    req.writeInt16BE(0, 6);             // v0
    req.writeInt32BE(7, 8);             // correlation id
    req.writeInt16BE(clientId.length, 12);
    clientId.copy(req, 14);
    let buf = Buffer.alloc(0);
    sock.setTimeout(10000, () => { sock.destroy(); reject(new Error('ApiVersions timeout')); });
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      sock.end();
      if (buf.readInt32BE(4) !== 7) return reject(new Error('bad correlation id'));
      const err = buf.readInt16BE(8);
      if (err !== 0) return reject(new Error('ApiVersions error ' + err));
      const n = buf.readInt32BE(10);
      const keys = new Set();
      for (let i = 0; i < n; i++) keys.add(buf.readInt16BE(14 + i * 6));
      resolve(keys);
    });
    sock.write(req);
  });
}

async function produce(kafka) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const byPartition = new Map();
  for (let i = 0; i < COUNT; i++) {
    const e = expected(i);
    if (!byPartition.has(e.partition)) byPartition.set(e.partition, []);
    byPartition.get(e.partition).push(e);
  }
  const nextOffset = new Map();
  // One send per partition batch keeps baseOffset meaningful per record.
  for (const [partition, recs] of byPartition) {
    for (let i = 0; i < recs.length; i += 100) {
      const chunk = recs.slice(i, i + 100);
      const res = await producer.send({
        topic, acks: -1,
        messages: chunk.map((e) => ({ partition, key: e.key, value: e.value, headers: e.headers })),
      });
      if (res.length !== 1 || res[0].errorCode !== 0) fail('send result ' + JSON.stringify(res));
      const base = Number(res[0].baseOffset);
      const want = nextOffset.get(partition) || 0;
      if (base !== want) fail(`partition ${partition}: baseOffset ${base}, expected ${want}`);
      nextOffset.set(partition, base + chunk.length);
    }
  }
  await producer.disconnect();
  return { byPartition, nextOffset };
}

async function checkOffsets(kafka, nextOffset) {
  const admin = kafka.admin();
  await admin.connect();
  const offs = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  for (const o of offs) {
    const want = nextOffset.get(o.partition) || 0;
    if (Number(o.high) !== want) fail(`partition ${o.partition}: high ${o.high}, expected ${want}`);
    if (Number(o.low) !== 0) fail(`partition ${o.partition}: low ${o.low}, expected 0`);
  }
  if (offs.length !== PARTITIONS) fail(`fetchTopicOffsets returned ${offs.length} partitions`);
}

async function readWithGroup(kafka) {
  const got = new Map();
  const consumer = kafka.consumer({ groupId: 'js-roundtrip-' + process.pid, sessionTimeout: 10000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let n = 0;
  let done;
  const finished = new Promise((r) => { done = r; });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (!got.has(partition)) got.set(partition, []);
      got.get(partition).push({
        offset: Number(message.offset), key: message.key.toString(),
        value: message.value.toString(), seq: message.headers.seq.toString(),
      });
      if (++n === COUNT) done();
    },
  });
  const timer = setTimeout(() => fail(`group consumer read only ${n} of ${COUNT}`), 60000);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return got;
}

function readWithKcat() {
  const kcat = process.env.KCAT || 'kcat';
  const got = new Map();
  for (let p = 0; p < PARTITIONS; p++) {
    const out = execFileSync(kcat, ['-b', bootstrap, '-C', '-t', topic, '-p', String(p),
      '-o', 'beginning', '-e', '-q', '-f', '%o\\t%k\\t%s\\t%h\\n'],
    { maxBuffer: 1 << 28, timeout: 120000 }).toString();
    got.set(p, out.split('\n').filter((r) => r.length).map((r) => {
      const [offset, key, value, hdrs] = r.split('\t');
      return { offset: Number(offset), key, value, seq: hdrs.replace(/^seq=/, '') };
    }));
  }
  return got;
}

function compare(byPartition, got) {
  for (const [partition, recs] of byPartition) {
    const g = got.get(partition) || [];
    if (g.length !== recs.length) fail(`partition ${partition}: read ${g.length}, produced ${recs.length}`);
    recs.forEach((e, i) => {
      const r = g[i];
      if (r.offset !== i || r.key !== e.key || r.value !== e.value || r.seq !== e.headers.seq) {
        fail(`partition ${partition} index ${i}: got ${JSON.stringify(r)}, expected ${JSON.stringify(e)}`);
      }
    });
  }
}

async function main() {
  const kafka = new Kafka({ clientId: 'samsa-js-test', brokers: bootstrap.split(','),
    logLevel: logLevel.WARN, retry: { retries: 5 } });
  const { byPartition, nextOffset } = await produce(kafka);
  await checkOffsets(kafka, nextOffset);
  const keys = await apiKeys(bootstrap);
  let got;
  if (keys.has(10)) {
    console.log('broker advertises FindCoordinator: reading back with a kafkajs group consumer');
    got = await readWithGroup(kafka);
  } else {
    console.log('broker has no FindCoordinator: reading back with kcat');
    got = readWithKcat();
  }
  compare(byPartition, got);
  console.log(`PASS: ${COUNT} records round-tripped`);
}

main().catch((e) => fail(e.stack || String(e)));
