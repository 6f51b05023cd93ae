"""Clients through turnout, against both mock cluster versions. Every result
is compared with what the same cluster holds when read directly."""
import json
import os
import re
import socket
import struct
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from kafka import KafkaConsumer, KafkaProducer

from harness import (JS_DIR, NPM_MODULES, SESSION_TIMEOUT_MS, kafka_request,
                     kafka_roundtrip, kcat_consume, kcat_metadata, recv_exact,
                     require_tool, run, unique_group, unique_topic, wait_until)

KAFKA_PYTHON_API_VERSION = (2, 5, 0)


def parse_kcat_metadata(text):
    brokers = dict((int(i), int(p)) for i, p in
                   re.findall(r"broker (\d+) at 127\.0\.0\.1:(\d+)", text))
    leaders = [int(x) for x in re.findall(r"partition \d+, leader (-?\d+)", text)]
    return brokers, leaders


def test_metadata_shows_only_turnout(clusters, turnout):
    topic = unique_topic("md")
    clusters.ok(f"create legacy {topic} 3")
    brokers, leaders = parse_kcat_metadata(kcat_metadata(turnout.bootstrap))
    real_ports = {p for _, (_, p) in clusters.brokers("legacy").items()} | \
                 {p for _, (_, p) in clusters.brokers("target").items()}
    # every broker of both clusters is listed (a group's coordinator may be
    # on either); both clusters number brokers 1..3, virtual ids never collide
    assert len(brokers) == 6, brokers
    assert not set(brokers.values()) & real_ports, "a real broker port leaked"
    assert set(leaders) <= set(brokers), (leaders, brokers)
    direct = kcat_metadata(clusters.bootstrap("legacy"))
    assert f'topic "{topic}" with 3 partitions' in direct
    through = kcat_metadata(turnout.bootstrap)
    assert f'topic "{topic}" with 3 partitions' in through
    # every virtual broker listener answers Metadata itself
    for vid, port in brokers.items():
        assert f"broker {vid} at 127.0.0.1:{port}" in kcat_metadata(f"127.0.0.1:{port}")


def test_kcat_produce_acks_and_consume(clusters, turnout):
    kcat = require_tool("kcat")
    for acks in ("all", "1", "0"):
        topic = unique_topic("kc")
        clusters.ok(f"create legacy {topic} 3")
        payloads = [f"{acks}-{i}" for i in range(300)]
        run([kcat, "-P", "-b", turnout.bootstrap, "-t", topic, "-X", f"acks={acks}"],
            input="".join(p + "\n" for p in payloads).encode(), timeout=30)
        # acks=0 is fire-and-forget even in Kafka; on loopback nothing is lost
        wait_until(lambda: len(kcat_consume(clusters.bootstrap("legacy"), topic)) == 300,
                   timeout=10, what=f"300 records with acks={acks}")
        assert sorted(kcat_consume(clusters.bootstrap("legacy"), topic)) == sorted(payloads)
        assert sorted(kcat_consume(turnout.bootstrap, topic)) == sorted(payloads)


def test_confluent_idempotent_producer_and_group(clusters, turnout):
    topic, group = unique_topic("ck"), unique_group("ck")
    clusters.ok(f"create legacy {topic} 3")
    n = 500
    acked = []
    p = Producer({"bootstrap.servers": turnout.bootstrap, "enable.idempotence": True,
                  "linger.ms": 5})
    for i in range(n):
        p.produce(topic, key=str(i % 7).encode(), value=f"ck-{i}".encode(),
                  on_delivery=lambda err, msg: acked.append(err is None))
    assert p.flush(20) == 0
    assert len(acked) == n and all(acked)

    c = Consumer({"bootstrap.servers": turnout.bootstrap, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "session.timeout.ms": SESSION_TIMEOUT_MS})
    c.subscribe([topic])
    got = []
    deadline = time.time() + 30
    while len(got) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    assert sorted(got) == sorted(f"ck-{i}" for i in range(n))
    c.commit(asynchronous=False)
    committed = c.committed([TopicPartition(topic, i) for i in range(3)], timeout=10)
    c.close()
    # a partition that got no records has no commit (offset -1001)
    assert sum(max(tp.offset, 0) for tp in committed) == n
    # the commits landed on the real cluster: read them directly
    d = Consumer({"bootstrap.servers": clusters.bootstrap("legacy"), "group.id": group})
    direct = d.committed([TopicPartition(topic, i) for i in range(3)], timeout=10)
    d.close()
    assert [tp.offset for tp in direct] == [tp.offset for tp in committed]


def test_group_second_member_joins_and_leaves(clusters, turnout):
    topic, group = unique_topic("gm"), unique_group("gm")
    clusters.ok(f"create legacy {topic} 4")
    conf = {"bootstrap.servers": turnout.bootstrap, "group.id": group,
            "auto.offset.reset": "earliest", "session.timeout.ms": SESSION_TIMEOUT_MS}
    a, b = Consumer(conf), Consumer(conf)
    a.subscribe([topic])
    wait_until(lambda: (a.poll(0.2), len(a.assignment()) == 4)[1], timeout=30,
               what="first member owns all 4 partitions")
    b.subscribe([topic])

    def split():
        a.poll(0.1)
        b.poll(0.1)
        return len(a.assignment()) + len(b.assignment()) == 4 and \
            len(a.assignment()) > 0 and len(b.assignment()) > 0
    wait_until(split, timeout=40, what="partitions shared by two members")
    b.close()
    wait_until(lambda: (a.poll(0.2), len(a.assignment()) == 4)[1], timeout=40,
               what="first member takes all partitions back")
    a.close()


def test_kafka_python_through_turnout(clusters, turnout):
    topic, group = unique_topic("kp"), unique_group("kp")
    clusters.ok(f"create legacy {topic} 2")
    n = 40
    prod = KafkaProducer(bootstrap_servers=[turnout.bootstrap], acks="all",
                         api_version=KAFKA_PYTHON_API_VERSION)
    for f in [prod.send(topic, value=f"kp-{i}".encode()) for i in range(n)]:
        f.get(timeout=10)
    prod.close(timeout=10)
    cons = KafkaConsumer(topic, bootstrap_servers=[turnout.bootstrap], group_id=group,
                         auto_offset_reset="earliest", enable_auto_commit=False,
                         session_timeout_ms=SESSION_TIMEOUT_MS, heartbeat_interval_ms=1000,
                         consumer_timeout_ms=20000, api_version=KAFKA_PYTHON_API_VERSION)
    values = []
    for msg in cons:
        values.append(msg.value.decode())
        if len(values) == n:
            break
    cons.commit()
    cons.close()
    assert sorted(values) == sorted(f"kp-{i}" for i in range(n))
    assert sorted(kcat_consume(clusters.bootstrap("legacy"), topic)) == sorted(values)


def test_kafkajs_through_turnout(clusters, turnout):
    node = require_tool("node")
    topic, group = unique_topic("kjs"), unique_group("kjs")
    clusters.ok(f"create legacy {topic} 3")
    env = dict(os.environ, NODE_PATH=str(NPM_MODULES))
    res = run([node, str(JS_DIR / "produce_consume.js"), turnout.bootstrap, topic, group, "30"],
              timeout=60, env=env)
    out = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert out["produced"] == 30 and out["consumed"] == 30 and out["payloads_match"] is True
    assert sum(out["committed"].values()) == 30
    assert len(kcat_consume(clusters.bootstrap("legacy"), topic)) == 30


def test_api_versions_answered_by_turnout(clusters, turnout):
    cid, body = kafka_roundtrip(turnout.addr, kafka_request(18, 0, 41))
    assert cid == 41
    err, cnt = struct.unpack(">hi", body[:6])
    assert err == 0
    offered = {}
    for i in range(cnt):
        k, lo, hi = struct.unpack(">hhh", body[6 + 6 * i:12 + 6 * i])
        offered[k] = (lo, hi)
    assert 17 not in offered and 36 not in offered      # no client-side SASL
    assert offered[18] == (0, 4)                        # turnout's own ApiVersions
    # never more than what a cluster accepts
    from harness import api_versions_v0
    direct = api_versions_v0(clusters.broker_addr("legacy", 1))
    for k, (lo, hi) in offered.items():
        if k in (0, 18):
            continue
        assert k in direct and hi <= direct[k][1], (k, offered[k], direct.get(k))
    assert offered[3][1] <= 12
    # a version turnout does not know: UNSUPPORTED_VERSION with a v0 body (KIP-511)
    cid, body = kafka_roundtrip(turnout.addr, kafka_request(18, 99, 42))
    assert cid == 42
    err, cnt = struct.unpack(">hi", body[:6])
    assert err == 35 and cnt == 1
    assert struct.unpack(">hhh", body[6:12]) == (18, 0, 4)


def _closed_by_turnout(sock):
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_bad_frames_close_only_that_connection(clusters, turnout):
    topic = unique_topic("bad")
    clusters.ok(f"create legacy {topic} 1")
    good = socket.create_connection(turnout.addr)
    good.sendall(kafka_request(18, 0, 1))
    size = struct.unpack(">i", recv_exact(good, 4))[0]
    recv_exact(good, size)
    cases = {
        "negative": struct.pack(">i", -5),
        "oversized": struct.pack(">i", 200 * 1024 * 1024),
        "short": struct.pack(">i", 3) + b"abc",
        "unknown api": kafka_request(999, 0, 5),
        "garbage header": struct.pack(">i", 10) + b"\x00\x03\x00\x01\x00\x00\x00\x01\x7f\xff",
        # flexible version: header v2, so one tag-buffer byte after the client id
        "version not offered": kafka_request(3, 77, 6, b"\x00"),
    }
    for name, frame in cases.items():
        s = socket.create_connection(turnout.addr)
        s.sendall(frame)
        assert _closed_by_turnout(s), name
        s.close()
    log = turnout.log_text()
    for reason in ("frame size is negative", "exceeds the configured maximum",
                   "shorter than a header", "unknown api key 999",
                   "malformed request header", "Metadata v77 was not offered"):
        assert reason in log, reason
    # the good connection still works, and so does a new client
    good.sendall(kafka_request(18, 0, 2))
    size = struct.unpack(">i", recv_exact(good, 4))[0]
    assert struct.unpack(">i", recv_exact(good, size)[:4])[0] == 2
    good.close()
    assert turnout.alive()
    assert f'topic "{topic}"' in kcat_metadata(turnout.bootstrap)


def test_pipelined_requests_answer_in_order(clusters, turnout):
    """50 requests of mixed apis written at once; answers in request order."""
    frames = b""
    for i in range(50):
        if i % 2:
            frames += kafka_request(18, 0, 1000 + i)                  # answered by turnout
        else:
            frames += kafka_request(3, 1, 1000 + i, struct.pack(">i", 0))  # Metadata, upstream
    with socket.create_connection(turnout.addr, timeout=10) as s:
        s.sendall(frames)
        seen = []
        for _ in range(50):
            size = struct.unpack(">i", recv_exact(s, 4))[0]
            seen.append(struct.unpack(">i", recv_exact(s, size)[:4])[0])
    assert seen == [1000 + i for i in range(50)]


def test_silent_upstream_times_out(clusters, tmp_path):
    """A broker that stops answering: the affected client is closed after
    request_timeout_ms with a logged reason; turnout keeps serving others."""
    from turnout_proc import Turnout
    t = Turnout(clusters, tmp_path, extra={"request_timeout_ms": 500}).start()
    try:
        vb = {}
        for vid, port in parse_kcat_metadata(kcat_metadata(t.bootstrap))[0].items():
            vb[vid] = port
        # both clusters go silent: the listener may front either
        assert clusters.cmd("rtt legacy all 3000").startswith("OK")
        assert clusters.cmd("rtt target all 3000").startswith("OK")
        start = time.time()
        with socket.create_connection(("127.0.0.1", min(vb.values())), timeout=10) as s:
            s.sendall(kafka_request(3, 1, 5, struct.pack(">i", 0)))
            assert _closed_by_turnout(s)
        assert time.time() - start < 2.5, "not closed promptly"
        assert "did not answer within request_timeout_ms" in t.log_text()
        assert clusters.cmd("rtt legacy all 0").startswith("OK")
        assert clusters.cmd("rtt target all 0").startswith("OK")
        # ApiVersions is turnout's own answer and still flows
        cid, _ = kafka_roundtrip(t.addr, kafka_request(18, 0, 9))
        assert cid == 9 and t.alive()
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]
