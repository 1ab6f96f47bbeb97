// txn_offsets.js - kafkajs 2.2.4's transactional producer against Samsa:
// records and consumer offsets committed in one transaction
// (AddOffsetsToTxn, then TxnOffsetCommit v1), an aborted transaction whose
// offsets never become the group's, and a later commit that shows the
// abort was applied (the group keeps the first transaction's offset).
//
// Usage: node txn_offsets.js BOOTSTRAP IN_TOPIC OUT_TOPIC GROUP
'use strict';

const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, inTopic, outTopic, group] = process.argv.slice(2);
if (!bootstrap || !inTopic || !outTopic || !group) {
  console.error('usage: node txn_offsets.js BOOTSTRAP IN_TOPIC OUT_TOPIC GROUP');
  process.exit(2);
}

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

// The group's committed offsets of inTopic, {partition: offset}.
async function committed(admin) {
  const res = await admin.fetchOffsets({ groupId: group, topics: [inTopic] });
  const out = {};
  for (const t of res)
    for (const p of t.partitions)
      out[p.partition] = Number(p.offset);
  return out;
}

// Polls until pred(offsets) holds: the coordinator writes the markers after
// answering EndTxn, so the offsets follow shortly after the commit.
async function until(admin, pred, what) {
  for (let i = 0; i < 600; i++) {
    const o = await committed(admin);
    if (pred(o))
      return o;
    await new Promise((r) => setTimeout(r, 100));
  }
  fail('gave up waiting for ' + what + ': ' + JSON.stringify(await committed(admin)));
}

async function txn(producer, values, offsets, commit) {
  const t = await producer.transaction();
  await t.send({ topic: outTopic, messages: values.map((v) => ({ partition: 0, value: v })) });
  await t.sendOffsets({ consumerGroupId: group,
                        topics: [{ topic: inTopic, partitions: offsets }] });
  if (commit)
    await t.commit();
  else
    await t.abort();
}

async function main() {
  const kafka = new Kafka({ clientId: 'samsa-txn', brokers: bootstrap.split(','),
                            logLevel: logLevel.ERROR });
  const producer = kafka.producer({ transactionalId: 'js-tx', maxInFlightRequests: 1,
                                    idempotent: true });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();

  await txn(producer, ['a', 'b'], [{ partition: 0, offset: '5' }], true);
  let o = await until(admin, (x) => x[0] === 5, 'the first transaction\'s offset 5');
  if (o[1] !== -1)
    fail('partition 1 has an offset: ' + JSON.stringify(o));

  await txn(producer, ['x'], [{ partition: 0, offset: '9' }], false);
  o = await committed(admin);
  if (o[0] !== 5)
    fail('offset after the abort: ' + JSON.stringify(o));

  // the next transaction begins once the abort is complete; when its
  // offset is visible, the aborted 9 must not be
  await txn(producer, ['c'], [{ partition: 1, offset: '3' }], true);
  o = await until(admin, (x) => x[1] === 3, 'the third transaction\'s offset 3');
  if (o[0] !== 5)
    fail('the aborted offset became the group\'s: ' + JSON.stringify(o));

  await producer.disconnect();
  await admin.disconnect();
  console.log('PASS: committed offsets ' + JSON.stringify(o) + ', the aborted one dropped');
}

main().catch((e) => fail(e.stack || String(e)));
