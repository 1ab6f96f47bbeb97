// sasl.js - kafkajs 2.2.4 over SASL against a Samsa broker: produce COUNT
// records and read them back with a consumer group, then expect a wrong
// password to fail with KafkaJSSASLAuthenticationError.
//
// Usage: node sasl.js BOOTSTRAP MECHANISM USER PASSWORD TOPIC COUNT [CAFILE]
// (MECHANISM: plain, scram-sha-256, scram-sha-512; CAFILE: SASL_SSL)
'use strict';

const fs = require('fs');
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, mechanism, username, password, topic, countArg, ca] = process.argv.slice(2);
if (!countArg) {
  console.error('usage: node sasl.js BOOTSTRAP MECHANISM USER PASSWORD TOPIC COUNT [CAFILE]');
  process.exit(2);
}
const COUNT = Number(countArg);

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

function client(pw) {
  return new Kafka({
    clientId: 'samsa-sasl', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING,
    ssl: ca ? { ca: [fs.readFileSync(ca)], rejectUnauthorized: true } : false,
    sasl: { mechanism, username, password: pw },
    retry: { retries: 2 },
  });
}

async function main() {
  const kafka = client(password);
  const producer = kafka.producer();
  await producer.connect();
  const values = [];
  for (let i = 0; i < COUNT; i++)
    values.push(`${mechanism}-${i}`);
  await producer.send({ topic, acks: -1, messages: values.map((v) => ({ value: v, partition: 0 })) });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} records in 60 s`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value.toString());
        if (got.length >= COUNT) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  if (got.join(',') !== values.join(','))
    fail(`read back ${got.length} records, not the ${COUNT} sent in order`);

  const bad = client('wrong-password').producer();
  try {
    await bad.connect();
    await bad.disconnect();
    fail('a wrong password connected');
  } catch (e) {
    if (e.name !== 'KafkaJSSASLAuthenticationError' &&
        !(e.cause && e.cause.name === 'KafkaJSSASLAuthenticationError'))
      fail(`wrong password: ${e.name}: ${e.message}`);
  }
  console.log(`PASS: ${mechanism} ${COUNT} records round-tripped, wrong password refused`);
}

main().catch((e) => fail(`${e.name}: ${e.message}`));
