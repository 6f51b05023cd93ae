"""Python clients for turnout's client matrix: confluent-kafka-python and
kafka-python, with the same operations and the same JSON output as
rdk_client (see tests/clients/rdk_client.c), so the matrix compares every
client the same way.

usage: /usr/bin/python3 py_client.py confluent|kafka-python OP --bootstrap BS
           [--topic T]... [--group G] [-n N] [--acks 0|1|all] [--idempotent]
           [--prefix P] [--txn-id ID]
OPs: produce, consume, group, metadata, txn (confluent only).

Prints one JSON object on stdout and exits 0, or {"error": ...} and exits 1.
Run with Debian's /usr/bin/python3: the client modules are installed there.
"""
import argparse
import json
import queue
import subprocess
import sys
import threading
import time

SESSION_TIMEOUT_MS = 6000
TIMEOUT = 60.0
KAFKA_PYTHON_API_VERSION = (2, 5, 0)
# acks=0 records count as delivered once written. The mock answers them
# anyway; a client that closes before the mock has read everything (and
# before the answers are read) gets its connection reset, and the mock
# drops what it had not read. Real brokers send no answer.
ACKS0_LINGER = 1.0


class Failed(Exception):
    pass


def record(partition, offset, key, value):
    return [partition, offset if offset is not None and offset >= 0 else -1,
            key.decode() if key is not None else None, value.decode()]


def payloads(args):
    return [(f"k{i % 5}".encode(), f"{args.prefix}{i}".encode()) for i in range(args.n)]


def deadline_after(seconds=TIMEOUT):
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


# -- confluent-kafka-python (librdkafka 2.0.2 underneath) -----------------------

def ck_conf(args, **extra):
    conf = {"bootstrap.servers": args.bootstrap}
    conf.update(extra)
    return conf


def ck_consumer_conf(args, group, isolation="read_uncommitted"):
    return ck_conf(args, **{"group.id": group, "enable.auto.commit": False,
                            "auto.offset.reset": "earliest",
                            "session.timeout.ms": SESSION_TIMEOUT_MS,
                            "heartbeat.interval.ms": 500,
                            "isolation.level": isolation})


def ck_partitions(client, topic):
    expired = deadline_after()
    while not expired():
        md = client.list_topics(topic, timeout=5)
        t = md.topics.get(topic)
        if t is not None and t.error is None and t.partitions:
            return sorted(t.partitions)
    raise Failed(f"topic {topic}: no metadata")


def ck_produce(args):
    from confluent_kafka import Producer
    delivered, errors = [], []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append(record(msg.partition(), msg.offset(), msg.key(), msg.value()))
    conf = ck_conf(args, **{"acks": args.acks, "linger.ms": 5, "message.timeout.ms": 30000})
    if args.idempotent:
        conf["enable.idempotence"] = True
    p = Producer(conf)
    for key, value in payloads(args):
        p.produce(args.topic, key=key, value=value, on_delivery=on_delivery)
        p.poll(0)
    left = p.flush(TIMEOUT)
    if args.acks == "0":
        p.poll(ACKS0_LINGER)
    if left or errors:
        raise Failed(f"{left} undelivered, errors {errors[:3]}")
    return {"delivered": delivered}


def ck_consume_all(args, topic, isolation):
    from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING
    c = Consumer(dict(ck_consumer_conf(args, "py_client-assign", isolation),
                      **{"enable.partition.eof": True}))
    parts = ck_partitions(c, topic)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    eof, out = set(), []
    expired = deadline_after()
    while len(eof) < len(parts):
        if expired():
            raise Failed(f"end of {len(eof)} of {len(parts)} partitions")
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error() is None:
            out.append(record(m.partition(), m.offset(), m.key(), m.value()))
        elif m.error().code() == KafkaError._PARTITION_EOF:
            eof.add(m.partition())
        else:
            print(f"py_client consume: {m.error()}", file=sys.stderr)
    c.close()
    return out


def ck_consume(args):
    return {"records": ck_consume_all(args, args.topic, "read_uncommitted")}


def ck_committed(consumer, topic, parts):
    from confluent_kafka import TopicPartition
    got = consumer.committed([TopicPartition(topic, p) for p in parts], timeout=10)
    return {str(tp.partition): tp.offset for tp in got}


def ck_group(args):
    from confluent_kafka import Consumer
    records = []

    def poll(c):
        m = c.poll(0.1)
        if m is not None:
            if m.error() is None:
                records.append(record(m.partition(), m.offset(), m.key(), m.value()))
            else:
                print(f"py_client group: {m.error()}", file=sys.stderr)

    def member(name):
        c = Consumer(dict(ck_consumer_conf(args, args.group), **{"client.id": name}))
        c.subscribe([args.topic])
        return c
    a = member("member-a")
    parts = ck_partitions(a, args.topic)
    expired = deadline_after()
    while len(records) < args.n or len(a.assignment()) < len(parts):
        if expired():
            raise Failed(f"member A: {len(records)} records, {len(a.assignment())} partitions")
        poll(a)
    sizes = [len(a.assignment())]
    a.commit(asynchronous=False)
    b = member("member-b")
    expired = deadline_after()
    while True:
        poll(a)
        poll(b)
        na, nb = len(a.assignment()), len(b.assignment())
        if na and nb and na + nb == len(parts):
            sizes += [na, nb]
            break
        if expired():
            raise Failed(f"second member: {na} + {nb} of {len(parts)}")
    b.close()
    expired = deadline_after()
    while len(a.assignment()) != len(parts):
        if expired():
            raise Failed("first member did not take all partitions back")
        poll(a)
    sizes.append(len(a.assignment()))
    committed = ck_committed(a, args.topic, parts)
    a.close()
    return {"records": records, "assignments": sizes, "committed": committed}


def ck_metadata(args):
    from confluent_kafka import Producer
    md = Producer(ck_conf(args)).list_topics(timeout=TIMEOUT)
    topics = {}
    for name, t in md.topics.items():
        if args.topic and name not in args.topic:
            continue
        topics[name] = {"error": t.error.code() if t.error else 0,
                        "partitions": [[p.id, p.leader, list(p.replicas), list(p.isrs)]
                                       for p in sorted(t.partitions.values(),
                                                       key=lambda p: p.id)]}
    brokers = sorted([b.id, b.host, b.port] for b in md.brokers.values())
    return {"brokers": brokers, "topics": topics}


def ck_txn(args):
    from confluent_kafka import Consumer, Producer, TopicPartition
    p = Producer(ck_conf(args, **{"transactional.id": args.txn_id, "linger.ms": 5,
                                  "transaction.timeout.ms": 60000}))
    p.init_transactions(TIMEOUT)
    group_md = Consumer(ck_consumer_conf(args, args.group)).consumer_group_metadata()

    def one(prefix, commit, send_offsets):
        p.begin_transaction()
        for i in range(args.n):
            p.produce(args.topic, key=f"k{i % 5}".encode(), value=f"{prefix}{i}".encode())
        if send_offsets:
            p.send_offsets_to_transaction([TopicPartition(args.topic, 0, args.n)], group_md,
                                          TIMEOUT)
        if commit:
            p.commit_transaction(TIMEOUT)
        else:
            p.flush(TIMEOUT)
            p.abort_transaction(TIMEOUT)
    one("c", True, True)
    one("a", False, False)
    one("d", True, False)
    committed_view = ck_consume_all(args, args.topic, "read_committed")
    all_view = ck_consume_all(args, args.topic, "read_uncommitted")
    c = Consumer(ck_consumer_conf(args, args.group))
    offsets = ck_committed(c, args.topic, ck_partitions(c, args.topic))
    c.close()
    return {"read_committed": committed_view, "read_uncommitted": all_view,
            "group_offsets": offsets}


# -- kafka-python (pure Python) -------------------------------------------------

def kp_common(args):
    return {"bootstrap_servers": args.bootstrap.split(","),
            "api_version": KAFKA_PYTHON_API_VERSION}


def kp_produce(args):
    from kafka import KafkaProducer
    if args.idempotent:
        raise Failed("kafka-python 2.0.2 has no idempotent producer")
    acks = "all" if args.acks == "all" else int(args.acks)
    p = KafkaProducer(acks=acks, linger_ms=5, **kp_common(args))
    futures = [(key, value, p.send(args.topic, key=key, value=value))
               for key, value in payloads(args)]
    delivered = []
    for key, value, f in futures:
        md = f.get(timeout=TIMEOUT)
        delivered.append(record(md.partition, md.offset, key, value))
    if acks == 0:
        time.sleep(ACKS0_LINGER)
    p.close(timeout=TIMEOUT)
    return {"delivered": delivered}


def kp_partitions(consumer, topic):
    expired = deadline_after()
    while not expired():
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return sorted(parts)
        time.sleep(0.1)
    raise Failed(f"topic {topic}: no metadata")


def kp_consume(args):
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(enable_auto_commit=False, **kp_common(args))
    tps = [TopicPartition(args.topic, p) for p in kp_partitions(c, args.topic)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    ends = c.end_offsets(tps)
    out = []
    expired = deadline_after()
    while any(c.position(tp) < ends[tp] for tp in tps):
        if expired():
            raise Failed(f"{len(out)} records before the deadline")
        for tp, msgs in c.poll(timeout_ms=200).items():
            out += [record(m.partition, m.offset, m.key, m.value) for m in msgs]
    c.close()
    return {"records": out}


def kp_member(args):
    """One kafka-python group member as a process of its own (`member` op),
    driven by kp_group over stdin/stdout: it prints {"assigned": n} when its
    assignment changes and {"records": [...]} as it reads; it answers the
    commands "commit", "offsets" and "stop" with one JSON line each.

    Members run as processes because kafka-python's poll() blocks in
    JoinGroup until every member has rejoined, and in one process the GIL
    makes a follower's SyncGroup late: librdkafka's mock completes a sync as
    soon as the leader's SyncGroup assigns every member and answers a
    follower's SyncGroup that arrives after that with INVALID_REQUEST.
    kafka-python raises that from poll() and rejoins on the next one; the
    leader's assignor waits a little so that this race is rare."""
    import select
    from kafka import KafkaConsumer, TopicPartition
    from kafka.coordinator.assignors.range import RangePartitionAssignor

    class PatientRange(RangePartitionAssignor):
        """The range assignor, run by the group leader after a pause, so the
        followers' SyncGroup reaches the mock before the leader's does."""
        @classmethod
        def assign(cls, cluster, member_metadata):
            time.sleep(0.5)
            return super().assign(cluster, member_metadata)
    c = KafkaConsumer(
        args.topic, group_id=args.group, auto_offset_reset="earliest",
        enable_auto_commit=False, session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=500, max_poll_interval_ms=10000,
        partition_assignment_strategy=[PatientRange], **kp_common(args))

    def say(obj):
        print(json.dumps(obj), flush=True)
    assigned = -1
    while True:
        try:
            got = c.poll(timeout_ms=100)
        except Exception as exc:  # noqa: BLE001 - see above
            print(f"py_client member: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        recs = [record(m.partition, m.offset, m.key, m.value)
                for msgs in got.values() for m in msgs]
        if recs:
            say({"records": recs})
        if len(c.assignment()) != assigned:
            assigned = len(c.assignment())
            say({"assigned": assigned})
        if not select.select([sys.stdin], [], [], 0)[0]:
            continue
        cmd = sys.stdin.readline().strip()
        if cmd == "commit":
            c.commit()
            say({"committed": True})
        elif cmd == "offsets":
            offs = {}
            for p in kp_partitions(c, args.topic):
                off = c.committed(TopicPartition(args.topic, p))
                offs[str(p)] = off if off is not None else -1001
            say({"offsets": offs})
        else:  # "stop" or end of input
            c.close()
            say({"stopped": True})
            return {}


class KpMemberProc:
    """kp_group's handle on one member process."""

    def __init__(self, args, records):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "kafka-python", "member", "--bootstrap",
             args.bootstrap, "--topic", args.topic, "--group", args.group],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.records = records
        self.assigned = 0
        self.replies = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            msg = json.loads(line)
            if "records" in msg:
                self.records.extend(msg["records"])
            elif "assigned" in msg:
                self.assigned = msg["assigned"]
            else:
                self.replies.put(msg)
        self.replies.put({"exited": self.proc.wait()})

    def ask(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        reply = self.replies.get(timeout=TIMEOUT)
        if "exited" in reply:
            raise Failed(f"member process exited {reply['exited']} on {cmd}")
        return reply

    def stop(self):
        if self.proc.poll() is None:
            self.ask("stop")
            self.proc.wait(TIMEOUT)


def wait(what, pred):
    expired = deadline_after()
    while not pred():
        if expired():
            raise Failed(f"timed out waiting for {what}")
        time.sleep(0.05)


def kp_group(args):
    from kafka import KafkaConsumer
    probe = KafkaConsumer(**kp_common(args))
    parts = len(kp_partitions(probe, args.topic))
    probe.close()
    records = []
    a = KpMemberProc(args, records)
    b = None
    try:
        wait(f"member A: {args.n} records", lambda: len(records) >= args.n and
             a.assigned == parts)
        sizes = [a.assigned]
        a.ask("commit")
        b = KpMemberProc(args, records)
        wait("two members share the partitions",
             lambda: a.assigned and b.assigned and
             a.assigned + b.assigned == parts)
        sizes += [a.assigned, b.assigned]
        b.stop()
        wait("member A owns every partition again",
             lambda: a.assigned == parts)
        sizes.append(a.assigned)
        offsets = a.ask("offsets")["offsets"]
        a.stop()
    finally:
        for m in (a, b):
            if m and m.proc.poll() is None:
                m.proc.kill()
    return {"records": records, "assignments": sizes, "committed": offsets}


def kp_metadata(args):
    from kafka import KafkaConsumer
    c = KafkaConsumer(**kp_common(args))
    c.topics()  # a Metadata request for every topic
    cluster = c._client.cluster  # kafka-python keeps replicas and ISR only here
    brokers = sorted([b.nodeId, b.host, b.port] for b in cluster.brokers())
    topics = {}
    for name in cluster.topics():
        if args.topic and name not in args.topic:
            continue
        parts = cluster._partitions.get(name, {})
        topics[name] = {"error": 0, "partitions": [
            [p.partition, p.leader, list(p.replicas), list(p.isr)]
            for p in sorted(parts.values(), key=lambda p: p.partition)]}
    c.close()
    return {"brokers": brokers, "topics": topics}


OPS = {
    "confluent": {"produce": ck_produce, "consume": ck_consume, "group": ck_group,
                  "metadata": ck_metadata, "txn": ck_txn},
    "kafka-python": {"produce": kp_produce, "consume": kp_consume, "group": kp_group,
                     "member": kp_member, "metadata": kp_metadata},
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib", choices=sorted(OPS))
    ap.add_argument("op")
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", action="append", default=[])
    ap.add_argument("--group")
    ap.add_argument("-n", type=int, default=0)
    ap.add_argument("--acks", default="all")
    ap.add_argument("--idempotent", action="store_true")
    ap.add_argument("--prefix", default="v")
    ap.add_argument("--txn-id")
    args = ap.parse_args()
    fn = OPS[args.lib].get(args.op)
    if fn is None:
        print(json.dumps({"op": args.op, "error": f"{args.lib} has no {args.op}"}))
        return 2
    topics = args.topic
    args.topic = topics[0] if args.op != "metadata" and topics else topics
    try:
        out = fn(args)
    except Exception as exc:  # noqa: BLE001 - reported to the test as JSON
        print(json.dumps({"op": args.op, "error": f"{type(exc).__name__}: {exc}"}))
        return 1
    print(json.dumps(dict({"op": args.op}, **out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
