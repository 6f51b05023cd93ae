"""A member that keeps its positions across a flip (issue 5).

A Java consumer with the cooperative-sticky assignor that was already
rejoining when turnout released it resets its generation only after it
prepared the rejoin, so the partitions it is assigned again keep the
positions they had: the old cluster's offsets, never read again from the
new coordinator (reference §7.1). No Java client runs here, so this test
drives that sequence itself on the wire (kafka-python's request classes
over a socket, through turnout): join, sync, no OffsetFetch, Heartbeat.
turnout must tell that Heartbeat UNKNOWN_MEMBER_ID, which makes a Java
member drop every position as lost, and keep the group's fetches held
until the member has read the offsets of everything it was assigned.
"""

import json
import re
import socket
import struct
import time

import pytest

from kafka.protocol.commit import (GroupCoordinatorRequest, OffsetCommitRequest,
                                   OffsetFetchRequest)
from kafka.protocol.group import HeartbeatRequest, JoinGroupRequest, SyncGroupRequest
from kafka.protocol.parser import KafkaProtocol

from harness import unique_group, unique_topic, wait_until
from mirror_proc import Mirror
from test_flip import PARTS, Writer, committed, flip_lines, start_turnout

NONE, LOADING, UNKNOWN_MEMBER_ID = 0, 14, 25


def kstr(s):
    return struct.pack(">h", len(s)) + s.encode()


def subscription(topic):
    """ConsumerProtocolSubscription v0: one topic, no user data."""
    return struct.pack(">hi", 0, 1) + kstr(topic) + struct.pack(">i", 0)


def assignment(topic, parts):
    """ConsumerProtocolAssignment v0: parts of one topic, no user data."""
    return (struct.pack(">hi", 0, 1) + kstr(topic) + struct.pack(">i", len(parts))
            + b"".join(struct.pack(">i", p) for p in parts) + struct.pack(">i", 0))


class Wire:
    """One connection speaking Kafka requests, one at a time."""

    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=20)
        self.p = KafkaProtocol(client_id="kept-positions")

    def call(self, req):
        self.p.send_request(req)
        self.s.sendall(self.p.send_bytes())
        while True:
            data = self.s.recv(65536)
            assert data, f"turnout closed the connection on {type(req).__name__}"
            for _, resp in self.p.receive_bytes(data):
                return resp

    def close(self):
        self.s.close()


class Member:
    """A group member that does only what the test says."""

    def __init__(self, bootstrap, group, topic):
        host, port = bootstrap.rsplit(":", 1)
        self.boot = (host, int(port))
        self.group, self.topic = group, topic
        self.member_id, self.generation, self.coord = "", -1, None

    def find(self):
        w = Wire(*self.boot)
        try:
            r = w.call(GroupCoordinatorRequest[0](self.group))
        finally:
            w.close()
        assert r.error_code == 0, r
        if self.coord:
            self.coord.close()
        self.coord = Wire(r.host, r.port)

    def join_and_sync(self):
        """Joins (alone: the leader), assigns itself every partition."""
        while True:  # COORDINATOR_LOAD_IN_PROGRESS: turnout checks the group first
            r = self.coord.call(JoinGroupRequest[2](self.group, 10000, 10000, self.member_id,
                                                    "consumer",
                                                    [("range", subscription(self.topic))]))
            if r.error_code != LOADING:
                break
            time.sleep(0.3)
        if r.error_code == UNKNOWN_MEMBER_ID:  # an id the coordinator does not know
            self.member_id = ""
            return r.error_code
        assert r.error_code == 0, r
        self.member_id, self.generation = r.member_id, r.generation_id
        assert r.leader_id == r.member_id, "not alone in the group"
        plan = assignment(self.topic, range(PARTS))
        r = self.coord.call(SyncGroupRequest[1](self.group, self.generation, self.member_id,
                                                [(self.member_id, plan)]))
        assert r.error_code == 0, r
        return 0

    def heartbeat(self):
        return self.coord.call(HeartbeatRequest[1](self.group, self.generation,
                                                   self.member_id)).error_code

    def commit(self, offsets):
        r = self.coord.call(OffsetCommitRequest[2](
            self.group, self.generation, self.member_id, -1,
            [(self.topic, [(p, o, "") for p, o in enumerate(offsets)])]))
        assert all(e == 0 for _, parts in r.topics for _, e in parts), r

    def fetch_offsets(self):
        r = self.coord.call(OffsetFetchRequest[1](self.group, [(self.topic,
                                                                list(range(PARTS)))]))
        return [o for _, parts in r.topics for _, o, _, _ in sorted(parts)]


@pytest.mark.parametrize("flavor", ["modern"])
def test_member_that_kept_positions_is_told_to_rejoin(clusters, tmp_path):
    topic, group = unique_topic("fkp"), unique_group("fkp")
    t = start_turnout(clusters, tmp_path, topic, group)
    # target's copy starts 20 records later per partition: a position kept
    # from legacy is a wrong one there
    mirror = Mirror(clusters, tmp_path, topics=[topic],
                    args=["--offset-lag-max", "10", "--flush-interval-ms", "200",
                          "--pre-existing", "20"])
    writer, m = Writer(clusters.bootstrap("legacy"), topic), None
    try:
        wait_until(lambda: len(writer.sent) >= 40 * PARTS, timeout=20, what="records")
        m = Member(t.bootstrap, group, topic)
        m.find()
        assert m.join_and_sync() == 0
        m.commit([30] * PARTS)  # legacy positions
        writer.stop()
        mirror.cmd("wait")
        # the flip, with time for three joins on the mock (3 s each) to settle
        cfg = json.loads(t.config_path.read_text())
        cfg["routes"] = {"groups": {group: "target"}}
        cfg["cutover"]["freeze_max_ms"] = 20000
        t.config_path.write_text(json.dumps(cfg))
        # the member heartbeats through the freeze until it is told to go
        deadline = time.time() + 40
        while True:
            assert time.time() < deadline, t.log_text()[-3000:]
            err = m.heartbeat()
            if err == UNKNOWN_MEMBER_ID or flip_lines(t, group, "serving") and err != NONE:
                break
            time.sleep(0.3)
        m.find()  # the group's coordinator is now one of target's
        # A Java cooperative member that was rejoining: it joins again, is
        # assigned its partitions, keeps their positions, reads no offset
        while m.join_and_sync() == UNKNOWN_MEMBER_ID:
            pass
        time.sleep(1.5)
        assert m.heartbeat() == UNKNOWN_MEMBER_ID, t.log_text()[-3000:]
        kept = [ln for ln in t.log_text().splitlines()
                if f"event=flip_kept_positions group={group}" in ln]
        assert kept and f"partitions={PARTS}" in kept[0], t.log_text()[-3000:]
        assert not flip_lines(t, group, "resumed"), "fetches released before the offsets"
        # it drops them as lost (Java: generation reset), rejoins, reads all
        m.member_id = ""
        assert m.join_and_sync() == 0
        got = m.fetch_offsets()
        assert got == committed(clusters.bootstrap("target"), group, topic), got
        # target's offsets (its copy starts 20 records later), translated
        assert all(20 < o <= 30 + 20 for o in got), got
        assert m.heartbeat() == NONE
        wait_until(lambda: flip_lines(t, group, "resumed"), timeout=10,
                   what=lambda: "settled\n" + t.log_text()[-3000:])
        resumed = flip_lines(t, group, "resumed")[0]
        assert "read its offsets" in resumed, resumed
        pause = re.search(r"pause_ms=(\d+)", resumed).group(1)
        print(f"kept positions: told UNKNOWN_MEMBER_ID once, then read {got} on target; "
              f"fetches held {pause} ms")
    finally:
        if m and m.coord:
            m.coord.close()
        if not writer.stop_flag.is_set():
            writer.stop()
        mirror.stop()
        assert t.stop() == 0, t.log_text()[-3000:]
