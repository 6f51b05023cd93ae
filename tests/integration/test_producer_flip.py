"""Flipping producers between clusters through turnout, under load.

An application producer writes continuously through turnout while the
config's producer route is edited (atomic rename) and reloaded. The legacy
cluster answers slowly around the flip, so Produce requests are in flight
to it when the route changes. Every check reads both real clusters
directly (CRCs checked) and counts records by value:

  * every acknowledged record is present exactly once (idempotent) or at
    least once (acks=all) across legacy + target, and nothing the
    application was told failed;
  * per partition, every record on legacy precedes every record on the
    target (in-flight legacy requests finished before the target got new
    ones), and records sent after the flip are on the target only;
  * turnout gave the idempotent producer an id of the target cluster
    (event=producer_id_mapped) and drained the requests in flight.
"""

import collections
import json
import os
import re
import subprocess
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from kafka import KafkaClient
from kafka import TopicPartition as KTopicPartition
from kafka.protocol.api import Request, Response
from kafka.protocol.produce import ProduceRequest
from kafka.protocol.types import Int16, Int32, Int64, Schema, String
from kafka.record.default_records import DefaultRecordBatchBuilder

from client_matrix import rdk
from harness import unique_group, unique_topic, wait_until
from turnout_proc import Turnout

PARTS = 2
SLOW_MS = 150  # legacy's answer delay around the flip: requests are in flight


def read_cluster(bootstrap, topic, committed=False):
    """Every record value of topic on one cluster, per partition, in offset
    order; the consumer checks CRCs, so a badly rewritten batch fails
    (committed: read_committed, without CRC checks: the 2.15 mock writes
    its transaction markers with CRC 0)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique_group("oracle"),
                  "enable.auto.commit": False, "check.crcs": not committed,
                  "isolation.level": "read_committed" if committed else "read_uncommitted"})
    try:
        want, tps = {}, []
        for p in range(PARTS):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            want[p] = hi - lo
            if hi > lo:
                tps.append(TopicPartition(topic, p, lo))
        got = {p: [] for p in range(PARTS)}
        c.assign(tps)
        deadline = time.time() + (8 if committed else 30)
        while sum(len(v) for v in got.values()) < sum(want.values()) and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            assert not m.error(), m.error()
            got[m.partition()].append(m.value().decode())
        if not committed:  # markers and aborted records are not delivered
            assert {p: len(v) for p, v in got.items()} == want, (got, want)
        return got
    finally:
        c.close()


def index(value):
    return int(re.sub(r"^\D+", "", value))


def set_routes(t, routes):
    """Edits the config the way a ConfigMap update does: write, rename."""
    cfg = json.loads(t.config_path.read_text())
    cfg["routes"] = routes
    tmp = t.config_path.with_name("turnout.json.new")
    tmp.write_text(json.dumps(cfg))
    os.rename(tmp, t.config_path)


def reloads(t):
    return t.log_text().count("event=reload_applied")


def flip(clusters, t, routes):
    """Slows legacy, applies routes, waits for the reload, restores legacy."""
    before = reloads(t)
    clusters.ok(f"rtt legacy all {SLOW_MS}")
    time.sleep(0.5)  # requests pile up in flight to legacy
    set_routes(t, routes)
    wait_until(lambda: reloads(t) > before, timeout=10, what="reload applied")
    time.sleep(0.3)
    clusters.ok("rtt legacy all 0")


class Writer:
    """A confluent-kafka (librdkafka 2.0.2) producer through turnout writing
    value <prefix><n> for n = 0, 1, ... round robin over topics."""

    def __init__(self, bootstrap, topics, idempotent=True, acks="all"):
        conf = {"bootstrap.servers": bootstrap, "acks": acks, "linger.ms": 5,
                "enable.idempotence": idempotent, "message.timeout.ms": 60000}
        self.p = Producer(conf)
        self.topics = topics
        self.sent = []  # (topic, value) in send order
        self.acked, self.failed = [], []
        self.stop_flag = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _dr(self, err, m):
        (self.failed if err else self.acked).append((m.topic(), m.value().decode(), str(err)))

    def _run(self):
        n = 0
        while not self.stop_flag.is_set():
            topic = self.topics[n % len(self.topics)]
            v = "v%d" % n
            self.p.produce(topic, key=b"k%d" % (n % 7), value=v.encode(), on_delivery=self._dr)
            self.sent.append((topic, v))
            n += 1
            self.p.poll(0)
            time.sleep(0.005)

    def mark(self):
        return len(self.sent)

    def stop(self):
        self.stop_flag.set()
        self.t.join()
        left = self.p.flush(60)
        assert left == 0, f"{left} records never delivered"


def start(clusters, tmp_path, topics, routes=None):
    for c in ("legacy", "target"):
        for tp in topics:
            clusters.ok(f"create {c} {tp} {PARTS}")
    extra = {"routes": routes} if routes else {}
    if os.environ.get("PF_DEBUG"):
        extra["log_level"] = "debug"
    return Turnout(clusters, tmp_path, extra=extra).start()


def check_exactly_once(acked, legacy, target, exact=True):
    """acked: values; legacy/target: {partition: [values]}. Returns counts."""
    on = collections.Counter(v for side in (legacy, target) for vs in side.values() for v in vs)
    missing = [v for v in acked if on[v] == 0]
    dups = {v: n for v, n in on.items() if n > 1}
    assert not missing, f"{len(missing)} acknowledged records lost: {missing[:5]}"
    if exact:
        assert not dups, f"{len(dups)} records duplicated: {list(dups.items())[:5]}"
    return {"acked": len(acked), "legacy": sum(len(v) for v in legacy.values()),
            "target": sum(len(v) for v in target.values()), "dups": len(dups)}


def explain_loss(tmp_path, delivered, legacy, target):
    """On a lost record: what the client was told (partition, offset) and
    what each cluster holds around it, printed and kept in tmp_path."""
    on = {v for side in (legacy, target) for vs in side.values() for v in vs}
    lost = [d for d in delivered if d[3] not in on]
    if not lost:
        return
    (tmp_path / "loss.json").write_text(json.dumps(
        {"lost": lost, "delivered": delivered, "legacy": legacy, "target": target}))
    for _, _, _, v in lost[:3]:
        around = [d for d in delivered if abs(index(d[3]) - index(v)) <= 10]
        print("lost", v, "client was told", around,
              {c: {p: [x for x in vs if abs(index(x) - index(v)) <= 10]
                   for p, vs in side.items()} for c, side in (("legacy", legacy),
                                                                 ("target", target))})


def check_order(legacy, target):
    """Per partition, every legacy record precedes every target record."""
    for p in range(PARTS):
        if legacy[p] and target[p]:
            assert max(map(index, legacy[p])) < min(map(index, target[p])), (
                f"partition {p}: legacy has {max(map(index, legacy[p]))} after the "
                f"target's first {min(map(index, target[p]))}")


def test_idempotent_producer_flips_exactly_once(clusters, tmp_path):
    topic = unique_topic("pfi")
    t = start(clusters, tmp_path, [topic])
    w = None
    try:
        w = Writer(t.bootstrap, [topic])
        time.sleep(1.5)
        flip(clusters, t, {"producers": {"cluster": "target"}})
        after = w.mark()  # enqueued after the reload: target only
        time.sleep(1.5)
        w.stop()
        assert not w.failed, f"errors reached the application: {w.failed[:3]}"
        legacy, target = read_cluster(clusters.bootstrap("legacy"), topic), \
            read_cluster(clusters.bootstrap("target"), topic)
        counts = check_exactly_once([v for _, v, _ in w.acked], legacy, target)
        check_order(legacy, target)
        late = {v for _, v in w.sent[after:]}
        assert not late & {v for vs in legacy.values() for v in vs}, "new records on legacy"
        assert counts["legacy"] > 0 and counts["target"] > 0, counts
        log = t.log_text()
        assert "event=producer_id_mapped" in log, log[-3000:]
        m = re.search(r"event=producer_drain_done waited_ms=(\d+) requests=(\d+)", log)
        assert m and int(m.group(2)) > 0, "no Produce was in flight at the flip"
        print("counts", counts, "drain", m.group(0))
    finally:
        if w and not w.stop_flag.is_set():
            w.stop_flag.set()
        assert t.stop() == 0, t.log_text()[-3000:]


def test_acks_all_producer_flips_at_least_once(clusters, tmp_path):
    topic = unique_topic("pfa")
    t = start(clusters, tmp_path, [topic])
    try:
        w = Writer(t.bootstrap, [topic], idempotent=False)
        time.sleep(1.0)
        flip(clusters, t, {"producers": {"cluster": "target"}})
        after = w.mark()
        time.sleep(1.0)
        w.stop()
        assert not w.failed, f"errors reached the application: {w.failed[:3]}"
        legacy, target = read_cluster(clusters.bootstrap("legacy"), topic), \
            read_cluster(clusters.bootstrap("target"), topic)
        counts = check_exactly_once([v for _, v, _ in w.acked], legacy, target, exact=False)
        late = {v for _, v in w.sent[after:]}
        assert not late & {v for vs in legacy.values() for v in vs}, "new records on legacy"
        print("counts", counts)
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_rdkafka_2_15_idempotent_producer_flip(clusters, tmp_path):
    """The modern client: librdkafka 2.15.1 (flexible Produce versions)."""
    topic = unique_topic("pfm")
    t = start(clusters, tmp_path, [topic])
    try:
        n = 500
        debug = ["-X", "debug=eos,msg,protocol,broker"] if os.environ.get("PF_DEBUG") else []
        errf = open(tmp_path / "rdk_stderr.txt", "w+b")
        proc = subprocess.Popen([rdk("2.15.1"), "produce", "-b", t.bootstrap, "-t", topic,
                                 "-n", str(n), "-I", "-a", "all", "-i", "8", "-T", "60000",
                                 *debug],
                                stdout=subprocess.PIPE, stderr=errf)
        time.sleep(1.5)
        flip(clusters, t, {"producers": {"cluster": "target"}})
        out, _ = proc.communicate(timeout=120)
        errf.seek(0)
        err = errf.read()
        errf.close()
        res = json.loads(out.decode().strip().splitlines()[-1])
        assert proc.returncode == 0 and "error" not in res, (res, err.decode()[-2000:])
        acked = [r[3] for r in res["delivered"]]
        assert len(acked) == n
        legacy, target = read_cluster(clusters.bootstrap("legacy"), topic), \
            read_cluster(clusters.bootstrap("target"), topic)
        explain_loss(tmp_path, res["delivered"], legacy, target)
        counts = check_exactly_once(acked, legacy, target)
        check_order(legacy, target)
        assert counts["legacy"] > 0 and counts["target"] > 0, counts
        assert "event=producer_id_mapped" in t.log_text()
        print("counts", counts)
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_one_topic_moves_then_rolls_back(clusters, tmp_path):
    """Per-topic route: `moving` goes to the target and back, `staying`
    stays on legacy throughout; one idempotent producer writes both."""
    moving, staying = unique_topic("pfmv"), unique_topic("pfst")
    t = start(clusters, tmp_path, [moving, staying])
    try:
        w = Writer(t.bootstrap, [moving, staying])
        time.sleep(1.0)
        flip(clusters, t, {"producers": {"topics": {moving: "target"}}})
        a1 = w.mark()
        time.sleep(1.5)
        b1 = w.mark()
        flip(clusters, t, {"producers": {"topics": {moving: "legacy"}}})
        a2 = w.mark()
        time.sleep(1.5)
        w.stop()
        assert not w.failed, f"errors reached the application: {w.failed[:3]}"
        got = {(c, tp): read_cluster(clusters.bootstrap(c), tp)
               for c in ("legacy", "target") for tp in (moving, staying)}
        acked = [v for _, v, _ in w.acked]
        on = collections.Counter(v for side in got.values() for vs in side.values() for v in vs)
        assert all(on[v] == 1 for v in acked), \
            [(v, on[v]) for v in acked if on[v] != 1][:5]
        assert not any(got[("target", staying)].values()), "staying topic reached the target"
        flat = {k: {v for vs in side.values() for v in vs} for k, side in got.items()}
        # between the flips, new records of `moving` went to the target only
        mid = {v for tp, v in w.sent[a1:b1] if tp == moving}
        assert mid and mid <= flat[("target", moving)], len(mid - flat[("target", moving)])
        late = {v for tp, v in w.sent[a2:] if tp == moving}
        assert late and late <= flat[("legacy", moving)], len(late - flat[("legacy", moving)])
        log = t.log_text()
        assert log.count("event=producer_id_mapped") >= 2, log[-3000:]
        print("counts", {f"{c}/{'moving' if tp == moving else 'staying'}": len(flat[(c, tp)])
                         for c, tp in flat})
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_transactional_producer_moves_between_transactions(clusters, tmp_path):
    """A transaction open at the flip ends where it began (or is aborted);
    the next one starts at the target's coordinator. The application sees
    at most two abortable errors (its ordinary abort-and-retry path), never
    a fatal one; every committed transaction is on exactly one cluster,
    complete, once."""
    topic = unique_topic("pft")
    t = start(clusters, tmp_path, [topic])
    try:
        p = Producer({"bootstrap.servers": t.bootstrap, "linger.ms": 5,
                      "transactional.id": "txn-" + topic})
        p.init_transactions(20)
        committed, aborted, errors, n, flipped, after = [], [], [], 0, False, None
        t0 = time.time()
        while time.time() - t0 < 6:
            batch = ["v%d" % (n + i) for i in range(10)]
            n += 10
            try:
                p.begin_transaction()
                for v in batch:
                    p.produce(topic, key=b"k", value=v.encode())
                p.commit_transaction(20)
                committed.append(batch)
            except KafkaException as e:
                err = e.args[0]
                errors.append(str(err))
                assert err.txn_requires_abort() and not err.fatal(), err
                p.abort_transaction(20)
                aborted.append(batch)
            if not flipped and time.time() - t0 > 2:
                set_routes(t, {"producers": {"cluster": "target"}})
                wait_until(lambda: reloads(t) >= 1, timeout=10, what="reload")
                flipped, after = True, len(committed) + len(aborted)
        legacy = read_cluster(clusters.bootstrap("legacy"), topic, committed=True)
        target = read_cluster(clusters.bootstrap("target"), topic, committed=True)
        on = {c: collections.Counter(v for vs in side.values() for v in vs)
              for c, side in (("legacy", legacy), ("target", target))}
        for batch in committed:
            where = [c for c in on if any(on[c][v] for v in batch)]
            assert len(where) == 1, f"transaction {batch[0]}.. split or lost: {where}"
            assert all(on[where[0]][v] == 1 for v in batch), batch
        for batch in aborted:
            assert not any(on[c][v] for c in on for v in batch), f"aborted {batch[0]} visible"
        assert len(errors) <= 2, errors
        late = committed[after:]
        assert late and all(on["target"][b[0]] == 1 for b in late[-5:]), "not on the target"
        assert "event=producer_init_fresh" in t.log_text()
        print("transactions committed", len(committed), "aborted", len(aborted),
              "errors", errors, "legacy", sum(on["legacy"].values()),
              "target", sum(on["target"].values()))
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


class _InitProducerIdResponse(Response):
    API_KEY = 22
    API_VERSION = 0
    SCHEMA = Schema(("throttle_time_ms", Int32), ("error_code", Int16),
                    ("producer_id", Int64), ("producer_epoch", Int16))


class _InitProducerIdRequest(Request):
    """InitProducerId v0 (kafka-python 2.0.2 has no class for it), built
    from kafka-python's own protocol types."""
    API_KEY = 22
    API_VERSION = 0
    RESPONSE_TYPE = _InitProducerIdResponse
    SCHEMA = Schema(("transactional_id", String("utf-8")), ("transaction_timeout_ms", Int32))


class RawProducer:
    """An idempotent producer whose Produce requests the test orders itself
    (kafka-python's client and codec): one single-record batch per request,
    to the broker the test names, with the sequence the test chooses."""

    def __init__(self, bootstrap, topic):
        self.c = KafkaClient(bootstrap_servers=bootstrap, api_version=(2, 0, 0))
        self.topic = topic
        self.c.add_topic(topic)
        node = self._any_node()
        r = self._send(node, _InitProducerIdRequest(transactional_id=None,
                                                    transaction_timeout_ms=60000))
        assert r.error_code == 0, r
        self.pid, self.epoch = r.producer_id, r.producer_epoch

    def _any_node(self):
        self.refresh()
        return next(iter(b.nodeId for b in self.c.cluster.brokers()))

    def _send(self, node, req):
        deadline = time.time() + 10
        while not self.c.ready(node) and time.time() < deadline:
            self.c.poll(timeout_ms=100)
        f = self.c.send(node, req)
        self.c.poll(future=f, timeout_ms=10000)
        assert f.succeeded(), f.exception
        return f.value

    def refresh(self):
        f = self.c.cluster.request_update()
        self.c.poll(future=f, timeout_ms=10000)

    def leader(self, partition):
        return self.c.cluster.leader_for_partition(KTopicPartition(self.topic, partition))

    def produce(self, node, partition, seq, value):
        """The partition's error code in the answer."""
        b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                      producer_id=self.pid, producer_epoch=self.epoch,
                                      base_sequence=seq, batch_size=1 << 20)
        b.append(0, timestamp=int(time.time() * 1000), key=None, value=value.encode(),
                 headers=[])
        req = ProduceRequest[3](transactional_id=None, required_acks=-1, timeout=10000,
                                topics=[(self.topic, [(partition, bytes(b.build()))])])
        r = self._send(node, req)
        return r.topics[0][1][0][1]

    def close(self):
        self.c.close()


NOT_LEADER = 6


def test_refused_batch_is_not_skipped(clusters, tmp_path):
    """The interleaving behind a lost record (librdkafka 2.15.1, about one
    flip in six): a batch turnout refused at the old cluster
    (NOT_LEADER_OR_FOLLOWER) must not be overtaken on the new one by the
    partition's next batch. Had the target taken r2 first (as a new
    producer's sequence 0), the client would count r1 as written
    (librdkafka's implicit ack) though no cluster had it."""
    topic = unique_topic("pfgap")
    t = start(clusters, tmp_path, [topic])
    p = None
    try:
        p = RawProducer(t.bootstrap, topic)
        old = p.leader(0)
        assert p.produce(old, 0, 0, "r0") == 0
        before = reloads(t)
        set_routes(t, {"producers": {"cluster": "target"}})
        wait_until(lambda: reloads(t) > before, timeout=10, what="reload applied")
        assert p.produce(old, 0, 1, "r1") == NOT_LEADER  # reached the cluster left
        p.refresh()
        new = p.leader(0)
        assert new != old
        assert p.produce(new, 0, 2, "r2") == NOT_LEADER  # r1 is still with the client
        assert p.produce(new, 0, 1, "r1") == 0
        assert p.produce(new, 0, 2, "r2") == 0
        assert p.produce(new, 0, 4, "r4") == NOT_LEADER  # a gap after the first too
        assert p.produce(new, 0, 3, "r3") == 0
        legacy, target = read_cluster(clusters.bootstrap("legacy"), topic), \
            read_cluster(clusters.bootstrap("target"), topic)
        assert legacy[0] == ["r0"] and target[0] == ["r1", "r2", "r3"], (legacy, target)
        log = t.log_text()
        assert log.count("event=producer_sequence_gap ") == 2, log[-3000:]
        assert "event=producer_id_mapped" in log
    finally:
        if p:
            p.close()
        assert t.stop() == 0, t.log_text()[-3000:]
