// kafkajs client for the integration tests: produce, consume in a group,
// commit, and report what happened as one JSON line on stdout.
//
// usage: node produce_consume.js <brokers> <topic> <group> <count>
// (NODE_PATH must point at build/npm/node_modules.)
//
// The test asserts on the JSON, so this script only reports; it exits
// non-zero on any error or if not every record came back within 20 s.
'use strict';

const { Kafka, logLevel, Partitioners } = require('kafkajs');

const [brokers, topic, groupId, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!brokers || !topic || !groupId || !(count > 0)) {
  console.error('usage: produce_consume.js <brokers> <topic> <group> <count>');
  process.exit(2);
}

// kafkajs logs through console.log by default; keep stdout for the result.
const toStderr = () => ({ namespace, level, log }) => {
  const { message, ...rest } = log;
  console.error(`kafkajs ${level} ${namespace}: ${message} ${JSON.stringify(rest)}`);
};

const kafka = new Kafka({
  clientId: 'turnout-test-kafkajs',
  brokers: brokers.split(','),
  logLevel: logLevel.WARN,
  logCreator: toStderr,
  retry: { retries: 5, initialRetryTime: 100 },
});

async function main() {
  const sent = [];
  for (let i = 0; i < count; i++) sent.push(`kafkajs-${i}`);

  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const acks = await producer.send({
    topic,
    acks: -1,
    messages: sent.map((value, i) => ({ key: `k${i}`, value })),
  });
  await producer.disconnect();

  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 10000,
  });
  const received = [];
  const next = {}; // partition -> next offset to commit
  let done;
  const allIn = new Promise((resolve) => { done = resolve; });

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      received.push(message.value.toString());
      next[partition] = (BigInt(message.offset) + 1n).toString();
      if (received.length >= count) done();
    },
  });

  const timer = setTimeout(() => done(), 20000);
  await allIn;
  clearTimeout(timer);

  await consumer.commitOffsets(Object.entries(next).map(
    ([partition, offset]) => ({ topic, partition: Number(partition), offset })));
  await consumer.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  const fetched = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();

  const committed = {};
  for (const p of fetched[0].partitions) committed[p.partition] = Number(p.offset);

  const result = {
    produced: sent.length,
    produce_acks: acks.length,
    consumed: received.length,
    payloads_match: JSON.stringify([...received].sort()) === JSON.stringify([...sent].sort()),
    committed,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  return received.length === count ? 0 : 1;
}

main().then((rc) => process.exit(rc), (err) => {
  console.error(`kafkajs test failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
