"""Faults through turnout: a broker that goes down and comes back while a
producer and a consumer run, refused upstream connections, and many
connect/disconnect and down/up cycles (turnout's open descriptors must
not grow). A broker that stops answering is in test_proxy.py
(test_silent_upstream_times_out); malformed input is there too.
"""
import socket
import struct
import threading
import time

from confluent_kafka import Consumer, Producer

from harness import (SESSION_TIMEOUT_MS, kafka_request, recv_exact,
                     unique_group, unique_topic, wait_until)
from test_vbrokers import closed_by_peer, open_session, rdk


class Load:
    """A producer (acks=all) and a group consumer through turnout, each in
    a thread; librdkafka releases the GIL, so both run while the test
    drives the cluster."""

    def __init__(self, bootstrap, topic, group):
        self.acked = {}        # value -> (partition, offset)
        self.failed = []
        self.consumed = set()
        self.sent = 0
        self.stopping = False
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                                  "linger.ms": 5, "message.timeout.ms": 60000,
                                  "enable.idempotence": True})
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                  "auto.offset.reset": "earliest",
                                  "session.timeout.ms": SESSION_TIMEOUT_MS,
                                  "heartbeat.interval.ms": 500})
        self.consumer.subscribe([topic])
        self.topic = topic
        self.threads = [threading.Thread(target=self._produce, daemon=True),
                        threading.Thread(target=self._consume, daemon=True)]
        for t in self.threads:
            t.start()

    def _on_delivery(self, err, msg):
        if err is None:
            self.acked[msg.value().decode()] = (msg.partition(), msg.offset())
        else:
            self.failed.append(str(err))

    def _produce(self):
        while not self.stopping:
            value = f"load-{self.sent}"
            self.producer.produce(self.topic, key=f"k{self.sent % 7}".encode(),
                                  value=value.encode(), on_delivery=self._on_delivery)
            self.sent += 1
            self.producer.poll(0.01)
        self.left = self.producer.flush(90)

    def _consume(self):
        self.consumer_done = False
        while not self.consumer_done:
            m = self.consumer.poll(0.2)
            if m is not None and m.error() is None:
                self.consumed.add(m.value().decode())
        self.consumer.close()

    def stop_producing(self):
        self.stopping = True
        self.threads[0].join(120)
        assert not self.threads[0].is_alive(), "producer did not finish"

    def stop_consuming(self):
        self.consumer_done = True
        self.threads[1].join(30)


def test_broker_down_and_up_under_load(clusters, turnout):
    """No acknowledged record is lost and both clients recover."""
    topic, group = unique_topic("load"), unique_group("load")
    clusters.ok(f"create legacy {topic} 3")
    for part, leader in ((0, 1), (1, 2), (2, 3)):
        clusters.ok(f"leader legacy {topic} {part} {leader}")
    # the group's coordinator is the broker that goes down
    clusters.ok(f"coordinator legacy group {group} 2")
    load = Load(turnout.bootstrap, topic, group)
    try:
        wait_until(lambda: len(load.consumed) >= 50, timeout=30, what="load running")
        vid2 = turnout.vid_of("legacy", 2)
        port2 = turnout.vbrokers()[vid2][2]
        clusters.ok("down legacy 2")
        time.sleep(1)
        # a client of the down broker: a refused upstream closes it promptly
        with socket.create_connection(("127.0.0.1", port2), timeout=5) as s:
            start = time.monotonic()
            s.sendall(kafka_request(3, 1, 5, struct.pack(">i", 0)))
            assert closed_by_peer(s)
            assert time.monotonic() - start < 3, "not closed promptly"
        acked_while_down = len(load.acked)
        time.sleep(3)
        assert len(load.acked) > acked_while_down, "partitions on brokers 1 and 3 stalled"
        clusters.ok("up legacy 2")
        sent_at_up = load.sent
        wait_until(lambda: any(int(v[5:]) > sent_at_up and p == 1
                               for v, (p, _) in list(load.acked.items())),
                   timeout=30, what="records acked on broker 2's partition after it is up")
    finally:
        load.stop_producing()
    try:
        assert load.left == 0 and not load.failed, (load.left, load.failed[:3])
        assert len(load.acked) == load.sent
        wait_until(lambda: set(load.acked) <= load.consumed, timeout=60,
                   what="the consumer has every acknowledged record")
    finally:
        load.stop_consuming()
    # every acknowledged record is on the cluster, where it was acknowledged
    stored = {r[3]: (r[0], r[1]) for r in rdk("consume", "-b", clusters.bootstrap("legacy"),
                                               "-t", topic)["records"]}
    assert stored == load.acked
    log = turnout.log_text()
    assert "upstream legacy broker 2" in log, "no client saw broker 2 go"
    assert turnout.alive()


def roundtrip(port, frame):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        return recv_exact(s, size)


def test_no_fd_growth_over_connection_and_broker_cycles(clusters, turnout):
    """turnout's open descriptors are the same after hundreds of client
    connections (clean, abrupt, with requests in flight, malformed) and
    broker down/up cycles as before them."""
    topic = unique_topic("fd")
    clusters.ok(f"create legacy {topic} 3")
    rdk("produce", "-b", turnout.bootstrap, "-t", topic, "-n", "30")  # warm up
    vports = [turnout.vbrokers()[turnout.vid_of("legacy", b)][2] for b in (1, 2, 3)]

    def settled():
        n = turnout.fd_count()
        time.sleep(0.3)
        return n if n == turnout.fd_count() else None
    before = wait_until(settled, timeout=10, what="a steady descriptor count")

    metadata = kafka_request(3, 1, 7, struct.pack(">i", 0))
    for i in range(100):
        port = turnout.port if i % 2 else vports[i % 3]
        assert struct.unpack(">i", roundtrip(port, metadata)[:4])[0] == 7
        socket.create_connection(("127.0.0.1", port)).close()          # abrupt
        with socket.create_connection(("127.0.0.1", port)) as s:        # in flight
            s.sendall(metadata * 3)
        with socket.create_connection(("127.0.0.1", port)) as s:        # malformed
            s.sendall(struct.pack(">i", -1))
            closed_by_peer(s)
    for cycle in range(4):
        held = [open_session(vports[1]) for _ in range(5)]
        clusters.ok("down legacy 2")
        for s in held:
            assert closed_by_peer(s), "a client of the down broker stayed open"
            s.close()
        for _ in range(5):   # refused upstreams
            with socket.create_connection(("127.0.0.1", vports[1]), timeout=5) as s:
                s.sendall(metadata)
                closed_by_peer(s)
        clusters.ok("up legacy 2")
        wait_until(lambda: open_session(vports[1]).close() is None, timeout=10,
                   what="broker 2 served again")
    rdk("produce", "-b", turnout.bootstrap, "-t", topic, "-n", "30")
    wait_until(lambda: turnout.fd_count() <= before, timeout=10,
               what=f"turnout back to {before} open descriptors "
                    f"(now {turnout.fd_count()})")
    assert turnout.fd_count() == before
    assert turnout.alive()
