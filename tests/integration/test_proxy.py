"""turnout's own behaviour on the wire, against both mock cluster versions:
what clients are told about brokers, ApiVersions, bad input, pipelining and
timeouts. The client stacks themselves (produce, consume, groups,
transactions with every client) are in test_client_matrix.py, faults in
test_faults.py, virtual broker life cycle in test_vbrokers.py."""
import random
import re
import socket
import struct
import subprocess
import time

from harness import (kafka_request, kafka_roundtrip, kcat_consume,
                     kcat_metadata, recv_exact, require_tool, unique_topic,
                     wait_until)


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
    assert sorted(turnout.vbrokers()[v][:2] for v in brokers) == \
        [(c, b) for c in ("legacy", "target") for b in (1, 2, 3)]
    direct = kcat_metadata(clusters.bootstrap("legacy"))
    assert f'topic "{topic}" with 3 partitions' in direct
    through = kcat_metadata(turnout.bootstrap)
    assert f'topic "{topic}" with 3 partitions' in through
    # every virtual broker listener answers Metadata itself
    for vid, port in brokers.items():
        assert f"broker {vid} at 127.0.0.1:{port}" in kcat_metadata(f"127.0.0.1:{port}")


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


def offered_versions(addr):
    """{api_key: (min, max)} in turnout's ApiVersions v0 answer."""
    _, body = kafka_roundtrip(addr, kafka_request(18, 0, 1))
    cnt = struct.unpack(">i", body[2:6])[0]
    return {k: (lo, hi) for k, lo, hi in
            (struct.unpack(">hhh", body[6 + 6 * i:12 + 6 * i]) for i in range(cnt))}


def raw_request(api_key, version, corr, body=b"", client_id=b"fuzz"):
    """A request frame with a v1 header and one zero byte after it (the tag
    buffer a flexible v2 header needs; body for other versions)."""
    msg = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id + b"\x00"
    msg += body
    return struct.pack(">i", len(msg)) + msg


def test_fuzzed_frames_close_only_their_connection(clusters, turnout):
    """Seeded random malformed frames, each on its own connection, while a
    producer runs through turnout: every bad connection is closed with a
    logged reason, the producer and an idle good connection are unaffected."""
    rng = random.Random(20240611)
    topic = unique_topic("fz")
    clusters.ok(f"create legacy {topic} 3")
    offer = offered_versions(turnout.addr)
    good = socket.create_connection(turnout.addr)
    payloads = [f"fz-{i}" for i in range(300)]
    producer = subprocess.Popen(
        [require_tool("kcat"), "-P", "-b", turnout.bootstrap, "-t", topic,
         "-X", "acks=all", "-X", "linger.ms=50"],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def oversized():
        return struct.pack(">i", rng.randint(104857601, 2**31 - 1)) + b"\x00" * 16

    def negative():
        return struct.pack(">i", rng.randint(-2**31, -1)) + b"\x00" * 16

    def short():
        n = rng.randint(0, 7)
        return struct.pack(">i", n) + rng.randbytes(n)

    def unknown_api():
        key = rng.choice([rng.randint(-32768, -1), rng.randint(88, 32767)])
        return raw_request(key, rng.randint(0, 20), rng.randint(0, 2**31 - 1))

    def not_offered():
        key = rng.choice(sorted(set(offer) - {18}))  # 18: answered (KIP-511)
        return raw_request(key, rng.randint(offer[key][1] + 1, 32767), 9)

    def bad_header():
        # client id length runs past the end of the frame
        msg = struct.pack(">hhih", 3, 1, 9, rng.randint(20, 32767)) + rng.randbytes(8)
        return struct.pack(">i", len(msg)) + msg

    cases = {  # name: (frame maker, reason turnout logs)
        "oversized": (oversized, "frame size exceeds the configured maximum"),
        "negative": (negative, "frame size is negative"),
        "short": (short, "frame is shorter than a header"),
        "unknown api": (unknown_api, "unknown api key"),
        "not offered": (not_offered, " was not offered ("),
        "bad header": (bad_header, "malformed request header"),
    }
    before = {reason: turnout.log_text().count(reason) for _, reason in cases.values()}
    sent = {name: 0 for name in cases}
    producer.stdin.write("".join(p + "\n" for p in payloads[:150]).encode())
    producer.stdin.flush()
    for i in range(120):
        name = rng.choice(sorted(cases))
        with socket.create_connection(turnout.addr) as s:
            frame = cases[name][0]()
            s.sendall(frame)
            assert _closed_by_turnout(s), f"{name} frame {frame[:24].hex()} left open"
        sent[name] += 1
    # valid headers with random bodies go to the broker, which answers or
    # drops the connection; either way only that connection is affected
    for i in range(30):
        v = rng.randint(1, min(offer[3][1], 8))
        with socket.create_connection(turnout.addr, timeout=10) as s:
            s.sendall(raw_request(3, v, 77, rng.randbytes(rng.randint(0, 64))))
            s.settimeout(10)
            try:
                head = s.recv(8)
            except ConnectionResetError:
                head = b""
            assert head == b"" or struct.unpack(">i", head[4:8])[0] == 77
    # a frame cut short by a client that hangs up
    for i in range(10):
        with socket.create_connection(turnout.addr) as s:
            s.sendall(raw_request(3, 1, 5, struct.pack(">i", 0))[:rng.randint(1, 15)])
    producer.stdin.write("".join(p + "\n" for p in payloads[150:]).encode())
    producer.stdin.close()
    assert producer.wait(60) == 0, producer.stderr.read()[-2000:]

    log = turnout.log_text()
    for name, (_, reason) in cases.items():
        assert log.count(reason) - before[reason] >= sent[name], (name, reason, sent[name])
    assert sorted(kcat_consume(turnout.bootstrap, topic)) == sorted(payloads)
    good.sendall(kafka_request(18, 0, 2))
    size = struct.unpack(">i", recv_exact(good, 4))[0]
    assert struct.unpack(">i", recv_exact(good, size)[:4])[0] == 2
    good.close()
    assert turnout.alive()


def test_every_api_and_version_outside_the_offer_is_refused(clusters, turnout):
    """Every api key from -1 to 99 (and two far beyond) one version past
    what turnout offers, or v0 if it offers none: closed, reason logged."""
    offer = offered_versions(turnout.addr)
    expected = []
    # ApiVersions past the offer is answered (KIP-511), see above
    for key in [k for k in (*range(-1, 100), 1000, 32767) if k != 18]:
        if key in offer:
            version, want = offer[key][1] + 1, f" v{offer[key][1] + 1} was not offered ("
        elif key in (17, 36):
            version, want = 0, "client-side SASL is not offered"
        elif 0 <= key <= 87:
            version, want = 0, " v0 was not offered (offered 1-0)"
        else:
            version, want = 0, f"unknown api key {key}\""
        with socket.create_connection(turnout.addr) as s:
            s.sendall(raw_request(key, version, 3))
            assert _closed_by_turnout(s), (key, version)
        expected.append((key, want))
    log = turnout.log_text()
    missing = [(k, w) for k, w in expected if w not in log]
    assert not missing, missing
    assert log.count('event=closed') >= len(expected)
    assert len(offer) >= 15 and 0 in offer and 1 in offer and 3 in offer
    cid, _ = kafka_roundtrip(turnout.addr, kafka_request(18, 0, 8))
    assert cid == 8 and turnout.alive()


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


def produce_v3_acks0(topic, corr, value):
    """A Produce v3 request, acks=0, one record in a v2 batch for partition 0."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0,
                                  producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                  batch_size=1 << 20)
    b.append(0, int(time.time() * 1000), b"k", value, [])
    batch = bytes(b.build())
    t = topic.encode()
    body = struct.pack(">hhii", -1, 0, 10000, 1) + struct.pack(">h", len(t)) + t
    body += struct.pack(">iii", 1, 0, len(batch)) + batch
    return kafka_request(0, 3, corr, body)


def test_pipelined_acks0_produce_then_hang_up(clusters, turnout):
    """Regression: a client writes 300 acks=0 Produce requests at once and
    hangs up. librdkafka's mock answers acks=0 anyway; turnout dropped only
    replies to the 16 latest such requests and closed the client on the
    next ("broker answered correlation id 0"), and it closed the upstream
    with those replies unread, so the kernel sent a reset and the broker
    dropped requests it had not read yet. Every record must land."""
    vid = turnout.vid_of("legacy", 1)
    port = turnout.vbrokers()[vid][2]
    topics = []
    for round_ in range(3):
        topic = unique_topic("a0")
        clusters.ok(f"create legacy {topic} 1 1")
        clusters.ok(f"leader legacy {topic} 0 1")
        topics.append(topic)
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"".join(produce_v3_acks0(topic, i, f"v{i}".encode())
                               for i in range(300)))
    for topic in topics:
        wait_until(lambda: len(kcat_consume(clusters.bootstrap("legacy"), topic)) == 300,
                   timeout=15, what=f"300 acks=0 records in {topic}")
    assert "broker answered correlation id" not in turnout.log_text()
    assert "the broker did not close its side" not in turnout.log_text()


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


def test_bootstrap_empty_entries_skipped(clusters, tmp_path):
    """An app's own bootstrap list with empty entries (",a:1,,b:2,", which
    Kafka clients accept) reaches turnout through --legacy-bootstrap: the
    config accepts it and discovery never picks an empty entry."""
    from turnout_proc import Turnout
    legacy = ",," + clusters.bootstrap("legacy").replace(",", ",,") + ","
    t = Turnout(clusters, tmp_path, args=["--legacy-bootstrap", legacy]).start()
    try:
        # the list is read until the first metadata; its first entry is empty
        wait_until(lambda: "event=cluster_discovered cluster=legacy" in t.log_text(),
                   timeout=20, what="legacy discovered")
        brokers, _ = parse_kcat_metadata(kcat_metadata(t.bootstrap))
        assert len(brokers) == 6, brokers
        assert "event=discovery_failed" not in t.log_text()
    finally:
        t.stop()
