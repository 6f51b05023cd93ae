// A kafkajs group member for the flip tests: consumes through turnout until
// SIGTERM and prints every record's value on stdout, one a line, as it
// arrives (the test counts them by value: losses and re-reads). Group
// events (joins, crashes, rebalances) go to stderr for the test's log.
//
// usage: node flip_consumer.js <brokers> <topic> <group>
// (NODE_PATH must point at build/npm/node_modules.)
'use strict';

const { Kafka, logLevel } = require('kafkajs');

const [brokers, topic, groupId] = process.argv.slice(2);
if (!brokers || !topic || !groupId) {
  console.error('usage: flip_consumer.js <brokers> <topic> <group>');
  process.exit(2);
}

const toStderr = () => ({ namespace, level, log }) => {
  const { message, ...rest } = log;
  console.error(`kafkajs ${level} ${namespace}: ${message} ${JSON.stringify(rest)}`);
};

const kafka = new Kafka({
  clientId: 'flip-consumer-kafkajs',
  brokers: brokers.split(','),
  logLevel: logLevel.WARN,
  logCreator: toStderr,
  retry: { retries: 8, initialRetryTime: 100 },
});

let consumer = null;
let stopping = false;

// One consumer of the group; a new one replaces it after a crash kafkajs
// does not restart from by itself (it restarts only on retriable errors):
// librdkafka's mock answers a follower's SyncGroup that comes after the
// leader's with INVALID_REQUEST (a real broker does not), which kafkajs
// takes as fatal. Committed offsets carry over, as for a restarted pod.
async function start() {
  const c = kafka.consumer({
    groupId, sessionTimeout: 6000, heartbeatInterval: 1000, rebalanceTimeout: 10000,
    metadataMaxAge: 2000,
  });
  consumer = c;
  for (const ev of ['GROUP_JOIN', 'CRASH', 'REBALANCING', 'STOP']) {
    c.on(c.events[ev], (e) => console.error(`event ${ev} ${JSON.stringify(e.payload)}`));
  }
  c.on(c.events.CRASH, (e) => {
    if (e.payload.restart || stopping) return;
    console.error('flip_consumer: kafkajs gave up; starting a new consumer');
    setTimeout(() => c.disconnect().catch(() => {}).then(() => stopping || start()), 200);
  });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({
    autoCommit: true,
    autoCommitInterval: 500,
    eachMessage: async ({ message }) => {
      process.stdout.write(message.value.toString() + '\n');
    },
  });
}

async function main() {
  process.on('SIGTERM', async () => {
    if (stopping) return;
    stopping = true;
    if (consumer) await consumer.disconnect().catch(() => {});
    process.exit(0);
  });
  await start();
}

main().catch((err) => {
  console.error(`flip_consumer failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
