"""Live flips of a consumer group between clusters through turnout.

A producer writes to legacy directly (another service) while a consumer
group consumes through turnout; the MM2-faithful test mirror copies legacy
to target and writes offset-syncs. Editing the config moves the group: the
flip freezes fetches, fences the group, translates its offsets with the
engine, seeds them on the new cluster and moves the members. Assertions
count records by value: none lost across the flip, re-reads no more than
the translation reported.
"""

import json
import re
from datetime import datetime, timezone
import threading
import time


from confluent_kafka import Consumer, Producer, TopicPartition

from harness import unique_group, unique_topic, wait_until
from mirror_proc import CHECKPOINTS_TOPIC, SYNCS_TOPIC, Mirror
from test_admin import parse_metrics, value  # noqa: E402
from turnout_proc import Turnout

PARTS = 2


class Writer:
    """Produces value n for n = 0, 1, ... to legacy until stopped."""

    def __init__(self, bootstrap, topic, parts=PARTS):
        self.p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
        self.parts = parts
        self.topic, self.sent, self.stop_flag = topic, [], threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        n = 0
        while not self.stop_flag.is_set():
            self.p.produce(self.topic, key=b"k%d" % n, value=b"v%d" % n, partition=n % self.parts)
            self.sent.append(b"v%d" % n)
            n += 1
            self.p.poll(0)
            time.sleep(0.02)

    def stop(self):
        self.stop_flag.set()
        self.t.join()
        assert self.p.flush(20) == 0


class Reader:
    """A confluent-kafka group member consuming through turnout."""

    def __init__(self, bootstrap, topic, group):
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                           "auto.offset.reset": "earliest", "enable.auto.commit": True,
                           "auto.commit.interval.ms": 500, "session.timeout.ms": 6000,
                           "topic.metadata.refresh.interval.ms": 2000})
        self.c.subscribe([topic])
        self.got, self.stop_flag = [], threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop_flag.is_set():
            m = self.c.poll(0.2)
            if m is not None and not m.error():
                self.got.append(m.value())

    def stop(self):
        self.stop_flag.set()
        self.t.join()
        self.c.close()


def start_turnout(clusters, tmp_path, topic, group, mirror_topics=True, **mirror):
    clusters.ok(f"create legacy {topic} {PARTS}")
    clusters.ok(f"create target {topic} {PARTS}")
    if mirror_topics:
        clusters.ok(f"create legacy {SYNCS_TOPIC} 1")
        clusters.ok(f"create target {CHECKPOINTS_TOPIC} 1")
    extra = {"mirror": {"source_alias": "legacy", "target_alias": "target",
                        "replication_policy": "identity", "ready_timeout_ms": 4000,
                        **mirror},
             "cutover": {"quiet_ms": 1500, "freeze_max_ms": 8000}}
    return Turnout(clusters, tmp_path, extra=extra).start()


def move(t, group, cluster):
    cfg = json.loads(t.config_path.read_text())
    cfg["routes"] = {"groups": {group: cluster}}
    t.config_path.write_text(json.dumps(cfg))


def committed(bootstrap, group, topic, parts=PARTS):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        got = c.committed([TopicPartition(topic, p) for p in range(parts)], timeout=10)
    finally:
        c.close()
    return [tp.offset for tp in got]


def fetch_switches(t):
    """[(wall ms of the switch line, new cluster, previous cluster, wall ms of
    the last Fetch forwarded to the previous one)] from turnout's log."""
    out = []
    for ln in t.log_text().splitlines():
        m = re.search(r"ts=(\S+) .*event=fetch_cluster cluster=(\w+) previous=(\w+) "
                      r"previous_last_fetch_ms=(-?\d+)", ln)
        if m:
            ts = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=timezone.utc).timestamp() * 1000
            out.append((ts, m.group(2), m.group(3), int(m.group(4))))
    return out


def assert_one_cluster_at_a_time(t, flips):
    """Every switch of the cluster Fetch requests go to happened after a
    flip began, and only once per flip: legacy, then target, then legacy."""
    sw = fetch_switches(t)
    assert [s[1] for s in sw] == ["legacy"] + [c for c in flips], sw
    for when, _, _, prev_last in sw[1:]:
        assert prev_last < when, sw


def flip_lines(t, group, state):
    return [ln for ln in t.log_text().splitlines()
            if f"event=flip group={group} state={state}" in ln]


def test_flip_forward_and_back_loses_nothing(clusters, tmp_path):
    topic, group = unique_topic("fl"), unique_group("fl")
    t = start_turnout(clusters, tmp_path, topic, group)
    m = Mirror(clusters, tmp_path, topics=[topic],
               args=["--offset-lag-max", "10", "--flush-interval-ms", "200"])
    w = r = None
    try:
        w = Writer(clusters.bootstrap("legacy"), topic)
        r = Reader(t.bootstrap, topic, group)
        wait_until(lambda: len(r.got) >= 50, timeout=30, what="consumption before the flip")
        move(t, group, "target")
        wait_until(lambda: flip_lines(t, group, "serving"), timeout=40,
                   what="flip to target\n" + t.log_text()[-3000:])
        line = flip_lines(t, group, "seeding")[0]
        rereads_max = int(re.search(r"rereads_max=(\d+)", line).group(1))
        assert "none=0" in line, line
        # the admin server saw the flip and its translation (hooks in flip.c)
        fams = parse_metrics(t.admin("/metrics")[1].decode())
        assert value(fams, "turnout_flip_duration_seconds_count", **{
            "from": "legacy", "to": "target", "result": "ok"}) == 1
        assert value(fams, "turnout_translation_partitions", group=group, method="none") == 0
        assert value(fams, "turnout_translation_partitions", group=group) >= 1
        assert value(fams, "turnout_translation_rereads_max", group=group) == rereads_max
        assert value(fams, "turnout_mm2_reader_ready") == 2
        assert value(fams, "turnout_group_flips_total", group=group) == 1
        assert [n for n, _, _ in fams["turnout_mm2_newest_record_age_seconds"]["samples"]]
        assert t.admin("/readyz")[0] == 200
        st = t.admin_json("/status")[1]
        g = [x for x in st["groups"] if x["group"] == group][0]
        assert g["cluster"] == "target" and g["translation"]["direction"] == "forward"
        assert all(p["method"] != "none" for p in g["translation"]["partitions"])
        assert st["mirror"]["engine_running"] and st["mirror"]["ready"]
        # the member resumes on target and commits there
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 50, timeout=40,
                   what="consumption after the flip\n" + t.log_text()[-3000:])
        seeded = sum(committed(clusters.bootstrap("target"), group, topic))
        wait_until(lambda: sum(committed(clusters.bootstrap("target"), group, topic)) >
                   seeded + 20, timeout=20, what="commits on target past the seed")
        # and back to legacy, with reverse translation
        move(t, group, "legacy")
        wait_until(lambda: len(flip_lines(t, group, "serving")) >= 2, timeout=40,
                   what="flip back\n" + t.log_text()[-3000:])
        back = flip_lines(t, group, "serving")[1]
        assert "to=legacy" in back, back
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 50, timeout=40,
                   what="consumption after the flip back\n" + t.log_text()[-3000:])
        w.stop()
        m.cmd("wait")
        sent = list(w.sent)
        wait_until(lambda: set(sent) <= set(r.got), timeout=40,
                   what=f"every record consumed; missing "
                        f"{len(set(sent) - set(r.got))} of {len(sent)}")
        rereads_back = int(re.search(r"rereads_max=(\d+)",
                                     flip_lines(t, group, "seeding")[1]).group(1))
        dups = len(r.got) - len(set(r.got))
        assert dups <= rereads_max + rereads_back, (dups, rereads_max, rereads_back)
        assert "event=flip_failed" not in t.log_text()
        assert_one_cluster_at_a_time(t, ["target", "legacy"])
        pauses = [int(re.search(r"pause_ms=(\d+)", ln).group(1))
                  for ln in flip_lines(t, group, "resumed")]
        print(f"flip pauses (ms): {pauses}; re-reads {dups} "
              f"(bounds {rereads_max} + {rereads_back})")
    finally:
        if w and not w.stop_flag.is_set():
            w.stop()
        if r:
            r.stop()
        m.stop()
        assert t.stop() == 0, t.log_text()[-3000:]


def test_flip_without_mirror_data_rolls_back_and_keeps_consuming(clusters, tmp_path):
    topic, group = unique_topic("fb"), unique_group("fb")
    # no offset-syncs / checkpoints topics: the engine never becomes ready
    t = start_turnout(clusters, tmp_path, topic, group, mirror_topics=False,
              offset_syncs_topic=unique_topic("nosyncs"),
              checkpoints_topic=unique_topic("nockpt"))
    w = r = None
    try:
        w = Writer(clusters.bootstrap("legacy"), topic)
        r = Reader(t.bootstrap, topic, group)
        wait_until(lambda: len(r.got) >= 30, timeout=30, what="consumption")
        move(t, group, "target")
        wait_until(lambda: "event=flip_failed" in t.log_text(), timeout=40,
                   what="rollback\n" + t.log_text()[-3000:])
        failed = [ln for ln in t.log_text().splitlines() if "event=flip_failed" in ln][0]
        # the engine is not ready (the mock has no such topics) or, where the
        # mock makes empty topics on demand, it has no offset-sync to translate by
        assert f"group={group}" in failed, failed
        assert "not ready" in failed or "no translation for" in failed, failed
        fams = parse_metrics(t.admin("/metrics")[1].decode())
        assert value(fams, "turnout_flip_duration_seconds_count", result="failed") == 1
        assert value(fams, "turnout_group_flip_failures_total", group=group) == 1
        status, body = t.admin("/readyz")
        if "not ready" in failed:  # MM2's topics never read: not ready, and why
            assert status == 503 and b"not read to its end" in body, body
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 30, timeout=30,
                   what="consumption on legacy after the rollback")
        w.stop()
        sent = list(w.sent)
        wait_until(lambda: set(sent) <= set(r.got), timeout=30, what="every record consumed")
        assert committed(clusters.bootstrap("target"), group, topic) == [-1001] * PARTS
    finally:
        if w and not w.stop_flag.is_set():
            w.stop()
        if r:
            r.stop()
        assert t.stop() == 0, t.log_text()[-3000:]
