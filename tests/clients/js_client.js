// kafkajs client for turnout's client matrix: the operations of
// tests/clients/rdk_client.c with the same JSON output, so the matrix
// compares every client the same way.
//
// usage: node js_client.js OP BOOTSTRAP TOPIC[,TOPIC...] GROUP N ACKS IDEMPOTENT PREFIX
//   OP: produce | consume | group | metadata; unused arguments are "-".
// (NODE_PATH must point at build/npm/node_modules.)
//
// Prints one JSON object on stdout and exits 0, or {"error": ...} and exits 1.
'use strict';

const { Kafka, logLevel, Partitioners, PartitionAssigners } = require('kafkajs');

const [op, bootstrap, topicArg, group, nArg, acksArg, idemArg, prefix] = process.argv.slice(2);
const topics = topicArg && topicArg !== '-' ? topicArg.split(',') : [];
const topic = topics[0];
const n = Number(nArg) || 0;
const TIMEOUT_MS = 60000;

// kafkajs logs through console.log by default; stdout is for the result.
const toStderr = () => ({ namespace, level, log }) => {
  const { message, ...rest } = log;
  console.error(`kafkajs ${level} ${namespace}: ${message} ${JSON.stringify(rest)}`);
};

const kafka = new Kafka({
  clientId: 'js_client',
  brokers: bootstrap.split(','),
  logLevel: logLevel.WARN,
  logCreator: toStderr,
  retry: { retries: 8, initialRetryTime: 100 },
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, pred) {
  const end = Date.now() + TIMEOUT_MS;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const rec = (partition, offset, key, value) => [
  partition, offset === null || offset < 0 ? -1 : Number(offset),
  key === null ? null : key.toString(), value.toString()];

async function partitionsOf(admin, name) {
  const md = await admin.fetchTopicMetadata({ topics: [name] });
  return md.topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId);
}

async function produce() {
  const acks = acksArg === 'all' ? -1 : Number(acksArg);
  const idempotent = idemArg === '1';
  const admin = kafka.admin();
  await admin.connect();
  const partitionMetadata = await partitionsOf(admin, topic);
  await admin.disconnect();
  const messages = [];
  for (let i = 0; i < n; i++) messages.push({ key: `k${i % 5}`, value: `${prefix}${i}` });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent,
    maxInFlightRequests: idempotent ? 1 : undefined,
  });
  await producer.connect();
  const meta = await producer.send({ topic, acks, messages });
  // acks=0: the mock answers anyway; closing before it has read every
  // request resets the connection and it drops the rest (see rdk_client.c)
  if (acks === 0) await sleep(1000);
  await producer.disconnect();
  // One send, one batch per partition: a record's offset is its
  // partition's base offset plus its place in that batch. kafkajs says
  // nothing for acks=0, so offsets are -1 then.
  const partitioner = Partitioners.DefaultPartitioner();
  const base = {};
  for (const m of meta) base[m.partition] = Number(m.baseOffset);
  const next = {};
  const delivered = messages.map((m) => {
    const p = partitioner({ topic, partitionMetadata, message: m });
    const idx = next[p] || 0;
    next[p] = idx + 1;
    return [p, p in base ? base[p] + idx : -1, m.key, m.value];
  });
  return { delivered };
}

// Every record from the beginning to the high watermarks, read by a consumer
// of a group of its own (kafkajs has no assign()); nothing is committed.
async function consume() {
  const admin = kafka.admin();
  await admin.connect();
  const highs = {};
  for (const o of await admin.fetchTopicOffsets(topic)) highs[o.partition] = Number(o.high);
  await admin.disconnect();
  const seen = {};
  const records = [];
  const consumer = kafka.consumer({
    groupId: group, sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10000,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      records.push(rec(partition, message.offset, message.key, message.value));
      seen[partition] = Number(message.offset) + 1;
    },
  });
  await waitFor('every partition read to its end',
    () => Object.keys(highs).every((p) => highs[p] === 0 || seen[p] >= highs[p]));
  await consumer.disconnect();
  return { records };
}

// The round robin assigner, run by the group leader after a pause:
// librdkafka's mock completes a sync as soon as the leader's SyncGroup
// assigns every member and answers a follower's SyncGroup that arrives
// after that with INVALID_REQUEST, which sends the group round again.
const patientRoundRobin = (config) => {
  const rr = PartitionAssigners.roundRobin(config);
  return { ...rr, assign: async (args) => { await sleep(500); return rr.assign(args); } };
};

async function groupOp() {
  const records = [];
  const next = {}; // partition -> next offset, what A commits
  const assignment = { a: 0, b: 0 };
  const member = async (name) => {
    const c = kafka.consumer({
      groupId: group, sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10000,
      partitionAssigners: [patientRoundRobin],
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      assignment[name] = (e.payload.memberAssignment[topic] || []).length;
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        records.push(rec(partition, message.offset, message.key, message.value));
        next[partition] = (BigInt(message.offset) + 1n).toString();
      },
    });
    return c;
  };
  const admin = kafka.admin();
  await admin.connect();
  const parts = (await partitionsOf(admin, topic)).length;
  const a = await member('a');
  await waitFor('member A reads every record', () => records.length >= n && assignment.a === parts);
  const sizes = [assignment.a];
  await a.commitOffsets(Object.entries(next).map(
    ([partition, offset]) => ({ topic, partition: Number(partition), offset })));
  const b = await member('b');
  await waitFor('two members share the partitions',
    () => assignment.a > 0 && assignment.b > 0 && assignment.a + assignment.b === parts);
  sizes.push(assignment.a, assignment.b);
  await b.disconnect();
  await waitFor('member A owns every partition again', () => assignment.a === parts);
  sizes.push(assignment.a);
  await a.disconnect();
  const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  const committed = {};
  for (const p of fetched[0].partitions) committed[p.partition] = Number(p.offset);
  return { records, assignments: sizes, committed };
}

async function metadata() {
  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  const md = await admin.fetchTopicMetadata({ topics });
  await admin.disconnect();
  const out = {};
  for (const t of md.topics) {
    out[t.name] = {
      error: 0,
      partitions: t.partitions.sort((x, y) => x.partitionId - y.partitionId)
        .map((p) => [p.partitionId, p.leader, p.replicas, p.isr]),
    };
  }
  const brokers = cluster.brokers.map((b) => [b.nodeId, b.host, b.port])
    .sort((x, y) => x[0] - y[0]);
  return { brokers, topics: out };
}

const ops = { produce, consume, group: groupOp, metadata };

async function main() {
  if (!ops[op]) throw new Error(`unknown op ${op}`);
  const out = await ops[op]();
  process.stdout.write(JSON.stringify({ op, ...out }) + '\n');
}

main().then(() => process.exit(0), (err) => {
  console.error(`js_client ${op} failed: ${err && err.stack ? err.stack : err}`);
  process.stdout.write(JSON.stringify({ op, error: String(err && err.message ? err.message : err) }) + '\n');
  process.exit(1);
});
