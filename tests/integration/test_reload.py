"""Live reload: a changed file (including a ConfigMap-style symlink swap),
SIGHUP, and a bad file that is rejected while the running config stays."""

import json
import os
import signal
import time

from confluent_kafka import Consumer, Producer, TopicPartition

from harness import unique_group, unique_topic, wait_until
from turnout_proc import Turnout


def count_on(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique_group("cnt")})
    try:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        return hi - lo
    finally:
        c.close()


def swap_config(t, tmp_path, cfg, n):
    """Replace the config the way a ConfigMap update does: a new directory
    and an atomic symlink swap."""
    d = tmp_path / f"data-{n}"
    d.mkdir()
    (d / "turnout.json").write_text(json.dumps(cfg))
    link = tmp_path / f"link-{n}"
    os.symlink(d / "turnout.json", link)
    os.replace(link, t.config_path)


def reloads(t, word):
    return t.log_text().count(f"event=reload_{word}")


def test_producer_route_flips_live_without_losing_acked_records(clusters, tmp_path):
    topic = unique_topic("rl")
    for c in ("legacy", "target"):
        clusters.ok(f"create {c} {topic} 1")
    t = Turnout(clusters, tmp_path).start()
    try:
        cfg = json.loads(t.config_path.read_text())
        p = Producer({"bootstrap.servers": t.bootstrap, "linger.ms": 2, "acks": "all",
                      "retries": 100, "retry.backoff.ms": 100})
        acked = []

        def send(n, tag):
            for i in range(n):
                p.produce(topic, value=f"{tag}{i}".encode(),
                          on_delivery=lambda e, m: acked.append(e is None))
                p.poll(0)
                time.sleep(0.005)

        send(100, "a")
        assert p.flush(20) == 0
        assert count_on(clusters.bootstrap("legacy"), topic) == 100
        # the same producer keeps running while its route moves
        cfg["routes"] = {"producers": {"topics": {topic: "target"}}}
        swap_config(t, tmp_path, cfg, 1)
        wait_until(lambda: reloads(t, "applied") == 1, timeout=10, what="reload")
        send(150, "b")
        assert p.flush(30) == 0
        assert len(acked) == 250 and all(acked)
        on_legacy = count_on(clusters.bootstrap("legacy"), topic)
        on_target = count_on(clusters.bootstrap("target"), topic)
        assert on_legacy == 100 and on_target == 150, (on_legacy, on_target)
        assert "event=not_leader" in t.log_text()
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_bad_config_is_rejected_and_running_config_stays(clusters, tmp_path):
    topic = unique_topic("rb")
    for c in ("legacy", "target"):
        clusters.ok(f"create {c} {topic} 1")
    t = Turnout(clusters, tmp_path).start()
    try:
        good = json.loads(t.config_path.read_text())
        good["routes"] = {"producers": {"topics": {topic: "target"}}}
        t.config_path.write_text(json.dumps(good))
        t.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: reloads(t, "applied") >= 1, timeout=10, what="reload")
        # broken JSON, an unknown key, a typo in a cluster name, a changed
        # listen address: each rejected with its reason
        bad = [("{not json", "not valid JSON"),
               (json.dumps({**good, "rootes": {}}), "rootes: unknown key"),
               (json.dumps({**good, "routes": {"groups": {"g": "targte"}}}),
                "routes.groups.g: must be"),
               (json.dumps({**good, "listen": "127.0.0.1:1"}), "listen changed"),
               (json.dumps({**good, "cutover": {"heartbeat_ms": 500}}),
                "cutover.control_topic, control_cluster, instance_id or heartbeat_ms changed")]
        for n, (text, reason) in enumerate(bad, 1):
            t.config_path.write_text(text)
            t.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: reloads(t, "rejected") >= n, timeout=10, what="rejection")
            rejected = [ln for ln in t.log_text().splitlines() if "event=reload_rejected" in ln]
            assert reason in rejected[-1], rejected[-1]
        assert t.alive()
        # the running config (producers of topic -> target) still applies
        p = Producer({"bootstrap.servers": t.bootstrap})
        for i in range(5):
            p.produce(topic, value=b"x")
        assert p.flush(20) == 0
        assert count_on(clusters.bootstrap("target"), topic) == 5
        assert count_on(clusters.bootstrap("legacy"), topic) == 0
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_moving_a_seen_group_is_refused_until_flips_exist(clusters, tmp_path):
    """A group with members on this sidecar is never moved with untranslated
    offsets: the reload is refused with the reason."""
    topic, group = unique_topic("rg"), unique_group("rg")
    clusters.ok(f"create legacy {topic} 1")
    t = Turnout(clusters, tmp_path).start()
    try:
        c = Consumer({"bootstrap.servers": t.bootstrap, "group.id": group,
                      "session.timeout.ms": 6000})
        c.subscribe([topic])
        wait_until(lambda: c.poll(0.2) is None and bool(c.assignment()), timeout=30,
                   what="assignment")
        cfg = json.loads(t.config_path.read_text())
        cfg["routes"] = {"groups": {group: "target"}}
        t.config_path.write_text(json.dumps(cfg))
        t.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: reloads(t, "rejected") >= 1, timeout=10, what="rejection")
        assert f"group {group} would move from legacy to target" in t.log_text()
        c.close()
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_reload_keeps_command_line_bootstrap_overrides(clusters, tmp_path):
    """The injected sidecar gives the app's bootstrap as --legacy-bootstrap,
    overriding the ConfigMap's: every reload applies it again, so a route
    change is applied instead of being refused as a bootstrap change."""
    topic = unique_topic("ro")
    for c in ("legacy", "target"):
        clusters.ok(f"create {c} {topic} 1")
    # nothing listens on the file's legacy bootstrap: only the override works
    t = Turnout(clusters, tmp_path,
                extra={"clusters": {"legacy": {"bootstrap": "127.0.0.1:1"},
                                    "target": {"bootstrap": clusters.bootstrap("target")}}},
                args=["--legacy-bootstrap", clusters.bootstrap("legacy")]).start()
    try:
        cfg = json.loads(t.config_path.read_text())
        assert cfg["clusters"]["legacy"]["bootstrap"] == "127.0.0.1:1"
        cfg["routes"] = {"producers": {"topics": {topic: "target"}}}
        swap_config(t, tmp_path, cfg, 1)
        wait_until(lambda: reloads(t, "applied") + reloads(t, "rejected") >= 1, timeout=10,
                   what="reload")
        assert reloads(t, "rejected") == 0, t.log_text()[-2000:]
        p = Producer({"bootstrap.servers": t.bootstrap})
        for i in range(5):
            p.produce(topic, value=b"x")
        assert p.flush(20) == 0
        assert count_on(clusters.bootstrap("target"), topic) == 5
        # back to legacy by SIGHUP: records reach the overriding address
        cfg["routes"] = {}
        t.config_path.write_text(json.dumps(cfg))
        t.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: reloads(t, "applied") + reloads(t, "rejected") >= 2, timeout=10,
                   what="second reload")
        assert reloads(t, "rejected") == 0, t.log_text()[-2000:]
        for i in range(3):
            p.produce(topic, value=b"y")
        assert p.flush(30) == 0
        assert count_on(clusters.bootstrap("legacy"), topic) == 3
        assert t.alive()
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_config_env_reloads_on_sighup_with_overrides(clusters, tmp_path):
    """--config-env (ECS): no file to watch; SIGHUP re-reads the variable
    with the same --target-bootstrap override."""
    t = Turnout(clusters, tmp_path,
                extra={"clusters": {"legacy": {"bootstrap": clusters.bootstrap("legacy")},
                                    "target": {"bootstrap": "127.0.0.1:1"}}},
                args=["--target-bootstrap", clusters.bootstrap("target")],
                config_env="TURNOUT_TEST_CONFIG").start()
    try:
        t.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: reloads(t, "applied") + reloads(t, "rejected") >= 1, timeout=10,
                   what="reload")
        assert reloads(t, "applied") == 1, t.log_text()[-2000:]
        assert "config=TURNOUT_TEST_CONFIG" in t.log_text()
        time.sleep(1.5)  # no file polling of a path named after the variable
        assert reloads(t, "applied") == 1 and reloads(t, "rejected") == 0
        assert t.alive()
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]
