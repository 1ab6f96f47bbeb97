// idempotent.js - kafkajs 2.2.4's idempotent producer (idempotent: true)
// against a Samsa broker: it must get a producer id (InitProducerId) and
// every send must be acknowledged at consecutive offsets, with the end
// offsets of the partitions adding up to the count sent.
//
// Usage: node idempotent.js BOOTSTRAP TOPIC PARTITIONS COUNT
'use strict';

const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, partArg, countArg] = process.argv.slice(2);
if (!bootstrap || !topic || !partArg || !countArg) {
  console.error('usage: node idempotent.js BOOTSTRAP TOPIC PARTITIONS COUNT');
  process.exit(2);
}
const PARTITIONS = Number(partArg);
const COUNT = Number(countArg);

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

async function main() {
  const kafka = new Kafka({ clientId: 'samsa-idem', brokers: bootstrap.split(','),
                            logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const next = new Array(PARTITIONS).fill(0);
  const BATCH = 100;
  for (let i = 0; i < COUNT; i += BATCH) {
    const p = (i / BATCH) % PARTITIONS;
    const messages = [];
    for (let k = i; k < Math.min(i + BATCH, COUNT); k++)
      messages.push({ partition: p, value: 'idem-' + String(k).padStart(7, '0') });
    const res = await producer.send({ topic, messages });
    for (const r of res) {
      if (r.errorCode !== 0) fail('partition ' + r.partition + ' error ' + r.errorCode);
      if (Number(r.baseOffset) !== next[r.partition])
        fail('partition ' + r.partition + ' base offset ' + r.baseOffset + ', expected ' +
             next[r.partition]);
      next[r.partition] += messages.length;
    }
  }
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const offs = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  let total = 0;
  for (const o of offs) {
    if (Number(o.high) !== next[o.partition])
      fail('partition ' + o.partition + ' high ' + o.high + ', expected ' + next[o.partition]);
    total += Number(o.high);
  }
  if (total !== COUNT) fail('end offsets add up to ' + total + ' for ' + COUNT + ' sent');
  console.log('PASS: ' + COUNT + ' messages from an idempotent kafkajs producer, offsets ' +
              next.join(','));
}

main().catch((e) => fail(e.stack || String(e)));
