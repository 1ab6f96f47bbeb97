// kafkajs group tests for tests/integration/0121-groups_kafkajs.sh.
//
//   node groups.js BOOTSTRAP TOPIC GROUP rebalance
//     three consumers in one group split a 6-partition topic two each; when
//     one disconnects the other two own all six; a restarted member finds
//     the committed offsets and re-reads nothing.
//   node groups.js BOOTSTRAP TOPIC GROUP killed
//     two consumers here and one in a child node process (mode "member")
//     split a 6-partition topic two each; the child is killed with SIGKILL,
//     so it never leaves, and the two survivors own all six once the broker
//     expires it after the session timeout.
//   node groups.js BOOTSTRAP TOPIC GROUP member
//     one consumer that prints "owned N" after every join; used by "killed".
//   node groups.js BOOTSTRAP TOPIC GROUP inconsistent
//     a member using kafkajs's default RoundRobinAssigner joins a group whose
//     members use librdkafka's range: the join fails with
//     INCONSISTENT_GROUP_PROTOCOL (error 23).
'use strict';
const { spawn } = require('child_process');
const readline = require('readline');
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, groupId, mode] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'js-groups', brokers: bootstrap.split(','),
  logLevel: logLevel.NOTHING, retry: { retries: 5 } });

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) fail('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const SESSION_MS = 6000;

function member(idx, owned, seen, extra) {
  const c = kafka.consumer({ groupId, sessionTimeout: SESSION_MS, heartbeatInterval: 1000,
    rebalanceTimeout: 10000, ...extra });
  c.on(c.events.GROUP_JOIN, (e) => {
    owned[idx] = (e.payload.memberAssignment[topic] || []).length;
  });
  return { c, start: async () => {
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({ eachMessage: async ({ partition, message }) => {
      seen.add(partition + ':' + message.offset);
    } });
  } };
}

// kafkajs heartbeats between fetches; a short fetch wait keeps them about
// heartbeatInterval apart on an idle topic.
const SHORT_FETCH = { maxWaitTimeInMs: 500 };

async function rebalance() {
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < 60; i++) messages.push({ partition: i % 6, value: 'js' + i });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();

  const owned = [0, 0, 0];
  const seen = new Set();
  const ms = [0, 1, 2].map((i) => member(i, owned, seen, SHORT_FETCH));
  await Promise.all(ms.map((m) => m.start()));
  await waitFor(() => owned.join() === '2,2,2', 40000, 'a 2/2/2 split, have ' + owned);
  console.log('three members own 2,2,2');
  await ms[2].c.disconnect();
  owned[2] = 0;
  const t0 = Date.now();
  await waitFor(() => owned[0] === 3 && owned[1] === 3, 6000, 'survivors to own 3/3, have ' + owned);
  console.log('survivors own 3,3 after ' + (Date.now() - t0) + 'ms');
  await waitFor(() => seen.size === 60, 30000, 'all 60 records, have ' + seen.size);
  await ms[0].c.disconnect();
  await ms[1].c.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  const offs = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = offs[0].partitions.map((p) => p.offset).sort().join();
  await admin.disconnect();
  if (committed !== '10,10,10,10,10,10') fail('committed offsets ' + committed);

  const again = new Set();
  const owned2 = [0];
  const r = member(0, owned2, again);
  await r.start();
  await waitFor(() => owned2[0] === 6, 20000, 'restarted member to own 6');
  await new Promise((res) => setTimeout(res, 2000));
  await r.c.disconnect();
  if (again.size) fail('restarted member re-read ' + again.size + ' records');
  console.log('restarted member resumed from the committed offsets');
}

async function killed() {
  const owned = [0, 0, 0];
  const ms = [0, 1].map((i) => member(i, owned, new Set(), SHORT_FETCH));
  const child = spawn(process.execPath, [__filename, bootstrap, topic, groupId, 'member'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let exited = null;
  child.on('exit', (code, signal) => { exited = signal || code; });
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    const m = /^owned (\d+)$/.exec(l);
    if (m) owned[2] = Number(m[1]);
  });
  try {
    await Promise.all(ms.map((m) => m.start()));
    await waitFor(() => owned.join() === '2,2,2' || exited !== null, 40000,
      'a 2/2/2 split with the child member, have ' + owned);
    if (exited !== null) fail('child member exited early: ' + exited);
    console.log('three members own 2,2,2, one in child pid ' + child.pid);
    const t0 = Date.now();
    process.kill(child.pid, 'SIGKILL');
    await waitFor(() => exited !== null, 5000, 'the child member to die');
    owned[2] = 0;
    await waitFor(() => owned[0] === 3 && owned[1] === 3, SESSION_MS + 4000,
      'survivors to own 3/3 after the kill, have ' + owned);
    console.log('survivors own 3,3 ' + (Date.now() - t0) + 'ms after the child member was killed');
  } finally {
    if (exited === null) child.kill('SIGKILL');
  }
  await ms[0].c.disconnect();
  await ms[1].c.disconnect();
}

// The child side of "killed": one member, reporting what it owns; it exits
// if the parent goes away (its stdin closes).
async function childMember() {
  process.stdin.on('end', () => process.exit(1));
  process.stdin.resume();
  const c = kafka.consumer({ groupId, sessionTimeout: SESSION_MS, heartbeatInterval: 1000,
    rebalanceTimeout: 10000, ...SHORT_FETCH });
  c.on(c.events.GROUP_JOIN, (e) => {
    console.log('owned ' + (e.payload.memberAssignment[topic] || []).length);
  });
  await c.connect();
  await c.subscribe({ topics: [topic], fromBeginning: true });
  await c.run({ eachMessage: async () => {} });
  await new Promise(() => {});
}

async function inconsistent() {
  const c = kafka.consumer({ groupId, sessionTimeout: 6000, retry: { retries: 0, restartOnFailure: async () => false } });
  let crash = null;
  c.on(c.events.CRASH, (e) => { crash = e.payload.error; });
  await c.connect();
  await c.subscribe({ topics: [topic], fromBeginning: true });
  await c.run({ eachMessage: async () => {} }).catch((e) => { crash = crash || e; });
  await waitFor(() => crash !== null, 20000, 'the join to fail');
  const type = crash.type || (crash.originalError && crash.originalError.type);
  await c.disconnect().catch(() => {});
  if (type !== 'INCONSISTENT_GROUP_PROTOCOL') fail('join failed with ' + type + ': ' + crash);
  console.log('join refused: INCONSISTENT_GROUP_PROTOCOL');
}

const modes = { rebalance, killed, member: childMember, inconsistent };
if (!modes[mode]) fail('unknown mode ' + mode);
modes[mode]()
  .then(() => process.exit(0))
  .catch((e) => fail(e.stack || String(e)));
