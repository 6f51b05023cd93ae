"""Static routes through turnout: a consumer group routed to the target
reads the target's copy of its topics and commits there; producers go where
their routes say; everything else stays on the default cluster. Every check
reads the real clusters directly."""

import time

from confluent_kafka import Consumer, Producer, TopicPartition

from harness import kcat_metadata, unique_group, unique_topic
from turnout_proc import Turnout

SESSION_TIMEOUT_MS = 6000


def produce(bootstrap, topic, values, partition=None):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    acked = []
    for v in values:
        kw = {} if partition is None else {"partition": partition}
        p.produce(topic, value=v.encode(), on_delivery=lambda e, m: acked.append(e is None), **kw)
    assert p.flush(20) == 0
    assert len(acked) == len(values) and all(acked)


def consume_all(bootstrap, topic, n, group=None, timeout=30):
    conf = {"bootstrap.servers": bootstrap, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": SESSION_TIMEOUT_MS,
            "group.id": group or unique_group("peek")}
    c = Consumer(conf)
    c.subscribe([topic])
    got = []
    deadline = time.time() + timeout
    while len(got) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    return c, got


def committed(bootstrap, group, topic, parts):
    d = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        return [tp.offset for tp in d.committed(
            [TopicPartition(topic, i) for i in range(parts)], timeout=10)]
    finally:
        d.close()


def test_group_routed_to_target_reads_and_commits_there(clusters, tmp_path):
    topic, group = unique_topic("rt"), unique_group("rt")
    for c in ("legacy", "target"):
        clusters.ok(f"create {c} {topic} 2")
    produce(clusters.bootstrap("legacy"), topic, [f"L{i}" for i in range(30)])
    produce(clusters.bootstrap("target"), topic, [f"T{i}" for i in range(20)])
    t = Turnout(clusters, tmp_path, extra={"routes": {"groups": {group: "target"}}}).start()
    try:
        c, got = consume_all(t.bootstrap, topic, 20, group=group)
        # turnout learns the group's topics from its JoinGroup: from then on
        # the topic is served by the target (stale fetches are refused)
        c.commit(asynchronous=False)
        c.close()
        assert sorted(got) == sorted(f"T{i}" for i in range(20)), got[:5]
        on_target = committed(clusters.bootstrap("target"), group, topic, 2)
        on_legacy = committed(clusters.bootstrap("legacy"), group, topic, 2)
        assert sum(max(o, 0) for o in on_target) == 20, on_target
        assert all(o < 0 for o in on_legacy), on_legacy
        assert "event=group_topic" in t.log_text()
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_latest_offsets_come_from_the_serving_cluster(clusters, tmp_path):
    """auto.offset.reset=latest: the end offset must be the target's, or the
    group would start at a legacy position on the target's copy."""
    topic, group = unique_topic("lo"), unique_group("lo")
    for c in ("legacy", "target"):
        clusters.ok(f"create {c} {topic} 1")
    produce(clusters.bootstrap("legacy"), topic, [f"L{i}" for i in range(50)])
    produce(clusters.bootstrap("target"), topic, [f"T{i}" for i in range(5)])
    t = Turnout(clusters, tmp_path, extra={"routes": {"groups": {group: "target"}}}).start()
    try:
        c = Consumer({"bootstrap.servers": t.bootstrap, "group.id": group,
                      "auto.offset.reset": "latest", "enable.auto.commit": False,
                      "session.timeout.ms": SESSION_TIMEOUT_MS})
        c.subscribe([topic])
        deadline = time.time() + 30
        while not c.assignment() and time.time() < deadline:
            c.poll(0.2)
        for _ in range(10):
            c.poll(0.2)
        produce(clusters.bootstrap("target"), topic, [f"N{i}" for i in range(3)])
        got = []
        deadline = time.time() + 20
        while len(got) < 3 and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                got.append(m.value().decode())
        pos = c.position([TopicPartition(topic, 0)])[0].offset
        c.close()
        assert got == ["N0", "N1", "N2"], got
        assert pos == 8, pos
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_group_with_listed_topics_and_producer_routes(clusters, tmp_path):
    read, to_legacy, to_target = (unique_topic(p) for p in ("rd", "pl", "pt"))
    group = unique_group("rl")
    for c in ("legacy", "target"):
        for tp in (read, to_legacy, to_target):
            clusters.ok(f"create {c} {tp} 1")
    produce(clusters.bootstrap("target"), read, [f"T{i}" for i in range(10)])
    produce(clusters.bootstrap("legacy"), read, [f"L{i}" for i in range(10)])
    routes = {"groups": {group: {"cluster": "target", "topics": [read]}},
              "producers": {"topics": {to_target: "target"}}}
    t = Turnout(clusters, tmp_path, extra={"routes": routes}).start()
    try:
        # metadata alone already shows the listed topic from the target
        md = kcat_metadata(t.bootstrap)
        assert f'topic "{read}" with 1 partitions' in md
        produce(t.bootstrap, to_legacy, [f"pl{i}" for i in range(7)])
        produce(t.bootstrap, to_target, [f"pt{i}" for i in range(9)])
        c, got = consume_all(t.bootstrap, read, 10, group=group)
        c.close()
        assert sorted(got) == sorted(f"T{i}" for i in range(10))
        # producers landed where their routes say, and only there
        for cl, tp, n in (("legacy", to_legacy, 7), ("target", to_target, 9)):
            cc, vals = consume_all(clusters.bootstrap(cl), tp, n, timeout=15)
            cc.close()
            assert len(vals) == n, (cl, tp, vals)
        for cl, tp in (("target", to_legacy), ("legacy", to_target)):
            cc, vals = consume_all(clusters.bootstrap(cl), tp, 1, timeout=4)
            cc.close()
            assert vals == [], (cl, tp, vals)
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_stale_coordinator_answers_not_coordinator(clusters, tmp_path):
    """A group request that reaches a broker of the cluster the group is not
    served on gets NOT_COORDINATOR (clients then look the coordinator up)."""
    import socket
    import struct
    from harness import kafka_request, recv_exact
    group = unique_group("nc")
    t = Turnout(clusters, tmp_path, extra={"routes": {"groups": {group: "target"}}}).start()
    try:
        # Heartbeat v0 to the bootstrap listener (a legacy broker behind it)
        g = group.encode()
        body = struct.pack(">h", len(g)) + g + struct.pack(">i", 1) + \
            struct.pack(">h", 1) + b"m"
        with socket.create_connection(t.addr, timeout=5) as s:
            s.sendall(kafka_request(12, 0, 77, body))
            size = struct.unpack(">i", recv_exact(s, 4))[0]
            resp = recv_exact(s, size)
        corr, err = struct.unpack(">ih", resp[:6])
        assert (corr, err) == (77, 16)
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]
