// transactions.js - kafkajs 2.2.4's transactional producer against Samsa:
// a committed and an aborted transaction to every partition of a topic,
// then a second producer with the same transactionalId, which fences the
// first (its next send or commit fails). The caller checks with
// read_committed and read_uncommitted consumers what became visible.
//
// Usage: node transactions.js BOOTSTRAP TOPIC PARTITIONS TRANSACTIONAL_ID
'use strict';

const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, partArg, tid] = process.argv.slice(2);
if (!bootstrap || !topic || !partArg || !tid) {
  console.error('usage: node transactions.js BOOTSTRAP TOPIC PARTITIONS TRANSACTIONAL_ID');
  process.exit(2);
}
const PARTITIONS = Number(partArg);

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

function messages(prefix, n) {
  const out = [];
  for (let i = 0; i < n; i++)
    out.push({ partition: i % PARTITIONS, value: prefix + '-' + i });
  return out;
}

async function main() {
  const kafka = new Kafka({ clientId: 'samsa-txn', brokers: bootstrap.split(','),
                            logLevel: logLevel.NOTHING });
  const p1 = kafka.producer({ transactionalId: tid, idempotent: true, maxInFlightRequests: 1 });
  await p1.connect();

  let txn = await p1.transaction();
  await txn.send({ topic, messages: messages('js-committed', 30) });
  await txn.commit();

  txn = await p1.transaction();
  await txn.send({ topic, messages: messages('js-aborted', 12) });
  await txn.abort();

  // an open transaction of p1, then a new instance with the same id
  txn = await p1.transaction();
  await txn.send({ topic, messages: messages('js-zombie', 6) });
  const p2 = kafka.producer({ transactionalId: tid, idempotent: true, maxInFlightRequests: 1 });
  await p2.connect();
  // kafkajs asks for its producer id with the first transaction:
  // InitProducerId fences p1 and aborts p1's open transaction
  const t2 = await p2.transaction();
  let fenced = false;
  try {
    await txn.commit();
  } catch (e) {
    fenced = true;
    console.log('zombie commit refused: ' + e.type);
  }
  if (!fenced) fail('the fenced producer could commit');
  await t2.send({ topic, messages: messages('js-successor', 6) });
  await t2.commit();
  await p2.disconnect();
  await p1.disconnect().catch(() => {});
  console.log('PASS: kafkajs committed, aborted, and was fenced by a new instance');
}

main().catch((e) => fail(e.stack || String(e)));
