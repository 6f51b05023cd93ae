"""Faults during a live group flip (issue 5): a bad config pushed mid-flip,
a broker of the target cluster down when the flip starts, turnout killed
mid-flip and started again with the new route, and a kafkajs member.

Same setup as test_flip.py: a producer writes value n to legacy directly,
a group consumes through turnout, the MM2-faithful test mirror copies
legacy to target. Every test counts by value: nothing lost, re-reads
counted (and bounded where turnout states a bound), and the final state of
the group and its route checked.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import random

import pytest

from harness import REPO, require_tool, unique_group, unique_topic, wait_until
from mirror_proc import SYNCS_TOPIC, Mirror
from test_flip import (PARTS, Reader, Writer, committed, flip_lines, move,
                       start_turnout)
from turnout_proc import Turnout

MIRROR_ARGS = ["--offset-lag-max", "10", "--flush-interval-ms", "200"]
# one mock flavor for most cases (the file stays near 3 minutes); the kill
# before the seed runs on both (2.0.2's mock seeds through a member)
modern_only = pytest.mark.parametrize("flavor", ["modern"])


def log_lines(t, event):
    return [ln for ln in t.log_text().splitlines() if f"event={event} " in ln]


def group_status(t, group):
    st = t.admin_json("/status")[1]
    return [g for g in st["groups"] if g["group"] == group][0], st


def finish(w, r, m=None):
    """Stops the writer, waits for every record; returns (sent, dups)."""
    w.stop()
    if m:
        m.cmd("wait")
    sent = list(w.sent)
    wait_until(lambda: set(sent) <= set(r.got), timeout=40,
               what=f"every record consumed; missing {len(set(sent) - set(r.got))} "
                    f"of {len(sent)}")
    return sent, len(r.got) - len(set(r.got))


def stop_all(t, w, r, m):
    """A test's cleanup: writer, reader (either may not have started),
    mirror, and turnout, which must exit cleanly."""
    if w and not w.stop_flag.is_set():
        w.stop()
    if r:
        r.stop()
    m.stop()
    assert t.stop() == 0, t.log_text()[-3000:]


def rereads_bound(t, group):
    return sum(int(re.search(r"rereads_max=(\d+)", ln).group(1))
               for ln in flip_lines(t, group, "seeding"))


@modern_only
def test_bad_config_mid_flip_is_rejected_and_the_flip_finishes(clusters, tmp_path):
    topic, group = unique_topic("fbad"), unique_group("fbad")
    t = start_turnout(clusters, tmp_path, topic, group)
    m = Mirror(clusters, tmp_path, topics=[topic], args=MIRROR_ARGS)
    w = r = None
    try:
        w = Writer(clusters.bootstrap("legacy"), topic)
        r = Reader(t.bootstrap, topic, group)
        wait_until(lambda: len(r.got) >= 40, timeout=30, what="consumption before the flip")
        move(t, group, "target")
        wait_until(lambda: flip_lines(t, group, "freezing"), timeout=20, what="freezing")
        # mid-flip: broken JSON (fetches held, commits landing on legacy)
        assert not flip_lines(t, group, "serving"), "flip over before the bad config"
        moved = t.config_path.read_text()
        t.config_path.write_text(moved[: len(moved) // 2])
        wait_until(lambda: log_lines(t, "reload_rejected"), timeout=10, what="rejected")
        rej = log_lines(t, "reload_rejected")[0]
        assert "reason=" in rej, rej
        st = t.admin_json("/status")[1]
        assert st["config"]["last_reload"]["ok"] is False, st["config"]
        assert st["config"]["last_reload"]["error"], st["config"]
        wait_until(lambda: flip_lines(t, group, "serving"), timeout=40,
                   what="the flip finishes\n" + t.log_text()[-3000:])
        assert "event=flip_failed" not in t.log_text()
        g, _ = group_status(t, group)
        assert g["cluster"] == "target" and g["route"] == "target", g
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 40, timeout=40, what="consumption on target")
        # and back, with a config that parses but fails validation
        t.config_path.write_text(moved)  # the route as it is (target): a no-op reload
        wait_until(lambda: len(log_lines(t, "reload_applied")) >= 2, timeout=10,
                   what="good config again")
        move(t, group, "legacy")
        wait_until(lambda: len(flip_lines(t, group, "freezing")) >= 2, timeout=20,
                   what="freezing back")
        invalid = json.loads(t.config_path.read_text())
        invalid["default_cluster"] = "nowhere"
        t.config_path.write_text(json.dumps(invalid))
        wait_until(lambda: len(log_lines(t, "reload_rejected")) >= 2, timeout=10,
                   what="invalid config rejected")
        rej = log_lines(t, "reload_rejected")[1]
        assert "default_cluster" in rej, rej
        st = t.admin_json("/status")[1]
        assert "default_cluster" in st["config"]["last_reload"]["error"], st["config"]
        wait_until(lambda: len(flip_lines(t, group, "serving")) >= 2, timeout=40,
                   what="the flip back finishes\n" + t.log_text()[-3000:])
        g, _ = group_status(t, group)
        assert g["cluster"] == "legacy" and g["route"] == "legacy", g
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 40, timeout=40, what="consumption on legacy")
        sent, dups = finish(w, r, m)
        bound = rereads_bound(t, group)
        assert dups <= bound, (dups, bound)
        assert "event=flip_failed" not in t.log_text()
        assert t.alive()
        print(f"bad config mid-flip: lost 0 of {len(sent)}, re-reads {dups} (bound {bound}), "
              f"rejections {len(log_lines(t, 'reload_rejected'))}")
    finally:
        stop_all(t, w, r, m)


@pytest.mark.parametrize("flavor,down", [("modern", "2"), ("modern", "all")])
def test_flip_with_target_coordinator_down_rolls_back_then_retries(clusters, tmp_path, down):
    topic, group = unique_topic("fdown"), unique_group("fdown")
    # each engine call may wait 10 s, longer than freeze_max_ms (8 s): the
    # flip's deadline cuts them short, so the rollback still comes on time
    t = start_turnout(clusters, tmp_path, topic, group, fetch_timeout_ms=10000)
    m = Mirror(clusters, tmp_path, topics=[topic], args=MIRROR_ARGS)
    w = r = None
    try:
        clusters.ok(f"coordinator target group {group} 2")
        w = Writer(clusters.bootstrap("legacy"), topic)
        r = Reader(t.bootstrap, topic, group)
        wait_until(lambda: len(r.got) >= 40, timeout=30, what="consumption before the flip")
        clusters.ok(f"down target {down}")  # the coordinator, or every broker
        move(t, group, "target")
        wait_until(lambda: "event=flip_failed" in t.log_text(), timeout=60,
                   what="rollback\n" + t.log_text()[-3000:])
        failed = log_lines(t, "flip_failed")[0]
        assert f"group={group}" in failed and "reason=" in failed, failed
        took = int(re.search(r"duration_ms=(\d+)", failed).group(1))
        # freeze_max_ms plus a tick and librdkafka's admin result slack
        assert took <= 8000 + 1500 and "freeze_max_ms (8000) reached" in failed, failed
        g, _ = group_status(t, group)
        assert g["cluster"] == "legacy" and g["flip_failures"] == 1, g
        assert committed(clusters.bootstrap("legacy"), group, topic) != [-1001] * PARTS
        # the members that had left rejoin legacy before anything is fetched
        wait_until(lambda: [ln for ln in flip_lines(t, group, "resumed")
                            if "cluster=legacy" in ln], timeout=20, what="rejoined legacy")
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 40, timeout=40,
                   what="consumption on legacy after the rollback")
        # the brokers are back: the next reload flips the group
        clusters.ok(f"up target {down}")
        status, _ = t.admin("/reload", method="POST")
        assert status == 200, status
        wait_until(lambda: flip_lines(t, group, "serving"), timeout=60,
                   what="flip after the broker came back\n" + t.log_text()[-3000:])
        g, _ = group_status(t, group)
        assert g["cluster"] == "target", g
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 40, timeout=40, what="consumption on target")
        sent, dups = finish(w, r, m)
        # the rollback re-reads nothing (fetches held until the member read
        # legacy's commits again); the flip at most its translation's bound
        bound = rereads_bound(t, group)
        assert dups <= bound, (dups, bound)
        print(f"target broker(s) {down} down: rollback after {took} ms "
              f"({failed.split('reason=')[1][:120]}), "
              f"lost 0 of {len(sent)}, re-reads {dups} (flip bound {bound})")
    finally:
        clusters.cmd(f"up target {down}")
        stop_all(t, w, r, m)


@modern_only
def test_bad_config_while_settling_is_rejected(clusters, tmp_path):
    """A broken file lands after SERVING(target), while the members are still
    rejoining there (fetches held): rejected, the settle completes, nothing
    is read twice."""
    topic, group = unique_topic("fbs"), unique_group("fbs")
    t = start_turnout(clusters, tmp_path, topic, group)
    m = Mirror(clusters, tmp_path, topics=[topic], args=MIRROR_ARGS)
    w = r = None
    try:
        w = Writer(clusters.bootstrap("legacy"), topic)
        r = Reader(t.bootstrap, topic, group)
        wait_until(lambda: len(r.got) >= 40, timeout=30, what="consumption before the flip")
        move(t, group, "target")
        wait_until(lambda: flip_lines(t, group, "serving"), timeout=40,
                   what="serving target\n" + t.log_text()[-3000:])
        moved = t.config_path.read_text()
        t.config_path.write_text("{" + moved)
        wait_until(lambda: log_lines(t, "reload_rejected"), timeout=10, what="rejected")
        # the member's rejoin through the mock takes seconds: still settling
        assert not flip_lines(t, group, "resumed"), "settled before the bad config"
        g, _ = group_status(t, group)
        assert g["settling"] and g["cluster"] == "target", g
        wait_until(lambda: flip_lines(t, group, "resumed"), timeout=40,
                   what="the settle completes\n" + t.log_text()[-3000:])
        resumed = flip_lines(t, group, "resumed")[0]
        assert "cluster=target" in resumed and "members_back=1 of=1" in resumed, resumed
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 40, timeout=40, what="consumption on target")
        sent, dups = finish(w, r, m)
        bound = rereads_bound(t, group)
        assert dups <= bound, (dups, bound)
        assert "event=flip_failed" not in t.log_text() and t.alive()
        print(f"bad config while settling: lost 0 of {len(sent)}, re-reads {dups} "
              f"(bound {bound}), {resumed.split('pause_ms=')[1][:30]}")
    finally:
        stop_all(t, w, r, m)


@modern_only
def test_flip_with_a_legacy_broker_down(clusters, tmp_path):
    """Broker 3 of legacy (not the group's coordinator, leader of none of the
    topic's partitions) down during the flip: the flip completes."""
    topic, group = unique_topic("fldown"), unique_group("fldown")
    t = start_turnout(clusters, tmp_path, topic, group)
    for part in range(PARTS):
        clusters.ok(f"leader legacy {topic} {part} {part + 1}")
    # the test mirror writes offset-syncs to legacy: not to the broker that goes down
    clusters.ok(f"leader legacy {SYNCS_TOPIC} 0 1")
    clusters.ok(f"coordinator legacy group {group} 1")
    m = Mirror(clusters, tmp_path, topics=[topic], args=MIRROR_ARGS)
    w = r = None
    try:
        w = Writer(clusters.bootstrap("legacy"), topic)
        r = Reader(t.bootstrap, topic, group)
        wait_until(lambda: len(r.got) >= 40, timeout=30, what="consumption before the flip")
        clusters.ok("down legacy 3")
        move(t, group, "target")
        wait_until(lambda: flip_lines(t, group, "serving") or
                   "event=flip_failed" in t.log_text(), timeout=60,
                   what="flip\n" + t.log_text()[-3000:])
        assert "event=flip_failed" not in t.log_text(), t.log_text()[-3000:]
        g, _ = group_status(t, group)
        assert g["cluster"] == "target", g
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 40, timeout=40, what="consumption on target")
        sent, dups = finish(w, r, m)
        bound = rereads_bound(t, group)
        assert dups <= bound, (dups, bound)
        print(f"legacy broker 3 down: lost 0 of {len(sent)}, re-reads {dups} (bound {bound})")
    finally:
        clusters.cmd("up legacy 3")
        stop_all(t, w, r, m)


# ---- turnout killed mid-flip -------------------------------------------

def free_ports(n):
    """A base port with n free ports after it (for listen + broker_port_base)."""
    for _ in range(50):
        base = random.randint(20000, 60000)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no free port range")


def restart_killed(t):
    """SIGKILL turnout, then start it again on the same ports and config."""
    t.proc.send_signal(signal.SIGKILL)
    t.proc.wait()
    t.log.close()
    old = t.log_text()
    t.log_path = t.log_path.with_name(t.log_path.name + ".2")
    t.start(timeout=20)
    return old


def killed_mid_flip(clusters, tmp_path, point, back=False):
    """Kills turnout when the flip reaches point (back: the flip back to
    legacy, after a whole one to target) and starts it again."""
    topic, group = unique_topic("fkill"), unique_group("fkill")
    base = free_ports(16)
    t = start_turnout(clusters, tmp_path, topic, group)
    t.stop()  # only to learn the config; started again on fixed ports
    cfg = json.loads(t.config_path.read_text())
    cfg["listen"] = f"127.0.0.1:{base}"
    cfg["broker_port_base"] = base + 1
    cfg["cutover"] = {"quiet_ms": 1500, "freeze_max_ms": 6000}
    t.config_path.write_text(json.dumps(cfg))
    t = Turnout(clusters, tmp_path)
    t.config_path.write_text(json.dumps(cfg))
    t.start()
    m = Mirror(clusters, tmp_path, topics=[topic], args=MIRROR_ARGS)
    w = r = None
    try:
        w = Writer(clusters.bootstrap("legacy"), topic)
        r = Reader(t.bootstrap, topic, group)
        wait_until(lambda: len(r.got) >= 40, timeout=30, what="consumption before the flip")
        wait_until(lambda: "event=flip_recover" in t.log_text() and
                   "result=served" in t.log_text(), timeout=20, what="first sight check")
        move(t, group, "target")
        want, n = "target", 1
        if back:
            wait_until(lambda: flip_lines(t, group, "resumed"), timeout=40,
                       what=lambda: "flip to target\n" + t.log_text()[-3000:])
            seen = len(r.got)
            wait_until(lambda: len(r.got) >= seen + 40, timeout=40, what="consumption on target")
            move(t, group, "legacy")
            want, n = "legacy", 2
        wait_until(lambda: len(flip_lines(t, group, point)) >= n, timeout=40,
                   what=lambda: f"flip reaching {point}\n" + t.log_text()[-3000:])
        before = restart_killed(t)
        seeded_before = before.count("event=group_seeded") >= n
        # (held meanwhile: `state=waiting` while the killed process's own
        # record on the control topic still looks like a live peer on legacy)
        wait_until(lambda: [ln for ln in log_lines(t, "flip_recover") if "result=" in ln],
                   timeout=40,
                   what="recovery\n" + t.log_text()[-3000:])
        rec = [ln for ln in log_lines(t, "flip_recover") if "result=" in ln][0]
        g, _ = group_status(t, group)
        assert g["cluster"] == want and g["route"] == want, (g, rec)
        assert not g["recovering"], g
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 40, timeout=60,
                   what=lambda: "consumption after the restart\n" + t.log_text()[-3000:])
        sent, dups = finish(w, r, m)
        tgt = committed(clusters.bootstrap(want), group, topic)
        assert all(o >= 0 for o in tgt), tgt
        return t, rec, seeded_before, sent, dups, before
    finally:
        stop_all(t, w, r, m)


def test_killed_before_the_seed_recovers_by_flipping_on_first_sight(clusters, tmp_path):
    t, rec, seeded_before, sent, dups, before = killed_mid_flip(clusters, tmp_path, "releasing")
    assert not seeded_before, "the seed happened before the kill"
    assert "result=recovered" in rec and "commits_here=0" in rec and "none=0" in rec, rec
    bound = int(re.search(r"rereads_max=(\d+)", rec).group(1))
    held = int(re.search(r"held_ms=(\d+)", rec).group(1))
    # re-reads: the translation's bound plus what members had fetched past
    # their last commit on legacy when turnout died (one commit interval)
    assert dups <= bound + 2 * 30, (dups, bound)
    print(f"killed before the seed: {rec.split('result=')[1][:60]}; held {held} ms; "
          f"lost 0 of {len(sent)}, re-reads {dups} (bound {bound} + one commit interval)")


@modern_only
def test_reverse_flip_killed_before_the_seed_seeds_legacy_forward(clusters, tmp_path):
    """The flip back to legacy, killed in RELEASING. On first sight both
    clusters have the group's commits and the route says legacy, whose
    commits are those from before the flip to target. The restarted process
    reads its predecessor's record on the control topic (a flip
    target>legacy under way), so it seeds legacy forward from target's
    commits, translated back, before serving: what was consumed on target is
    not read again (before this, 566 records were)."""
    t, rec, seeded_before, sent, dups, before = killed_mid_flip(clusters, tmp_path, "releasing",
                                                                back=True)
    assert not seeded_before, "the seed back happened before the kill"
    assert "result=rejoin" in rec and "seeded forward from target's" in rec, rec
    resume = [ln for ln in log_lines(t, "flip_resume") if "flip=target>legacy" in ln]
    assert resume and "route=legacy" in resume[0], t.log_text()[-3000:]
    bound = int(re.search(r"rereads_max=(\d+)", rec).group(1))
    held = int(re.search(r"held_ms=(\d+)", rec).group(1))
    assert dups <= bound + 2 * 30, (dups, bound)
    print(f"reverse flip killed before the seed: {rec.split('result=')[1][:60]}; held "
          f"{held} ms; lost 0 of {len(sent)}, re-reads {dups} (bound {bound} + one commit "
          f"interval)")


@modern_only
def test_killed_after_the_seed_serves_the_seeded_offsets(clusters, tmp_path):
    t, rec, seeded_before, sent, dups, before = killed_mid_flip(clusters, tmp_path, "serving")
    assert seeded_before
    assert "result=rejoin" in rec, rec
    bound = int(re.search(r"rereads_max=(\d+)", [
        ln for ln in before.splitlines() if "state=seeding" in ln][0]).group(1))
    assert dups <= bound + 2 * 30, (dups, bound)
    print(f"killed after the seed: {rec.split('result=')[1][:60]}; lost 0 of {len(sent)}, "
          f"re-reads {dups} (bound {bound} + one commit interval)")


# ---- a kafkajs member --------------------------------------------------

class JsReader:
    """A kafkajs group member (tests/integration/js/flip_consumer.js)
    consuming through turnout; got lists the values as they arrive."""

    def __init__(self, bootstrap, topic, group, log_path):
        from harness import NPM_MODULES
        import threading
        self.got, self.when, self.log_path = [], [], log_path
        self.err = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [require_tool("node"), str(REPO / "tests" / "integration" / "js" /
                                        "flip_consumer.js"), bootstrap, topic, group],
            stdout=subprocess.PIPE, stderr=self.err,
            env=dict(os.environ, NODE_PATH=str(NPM_MODULES)))
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.proc.stdout:
            self.got.append(line.rstrip(b"\n"))
            self.when.append(time.time())

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.t.join(5)
        self.err.close()


@modern_only
def test_flip_with_a_kafkajs_member_loses_nothing(clusters, tmp_path):
    topic, group = unique_topic("fjs"), unique_group("fjs")
    t = start_turnout(clusters, tmp_path, topic, group)
    m = Mirror(clusters, tmp_path, topics=[topic], args=MIRROR_ARGS)
    w = r = None
    try:
        w = Writer(clusters.bootstrap("legacy"), topic)
        r = JsReader(t.bootstrap, topic, group, tmp_path / "kafkajs.log")
        wait_until(lambda: len(r.got) >= 50, timeout=40,
                   what="kafkajs consumption before the flip\n" + r.log_text()[-2000:])
        move(t, group, "target")
        wait_until(lambda: flip_lines(t, group, "serving"), timeout=40,
                   what=lambda: "flip to target\n" + t.log_text()[-3000:] + "\n" +
                   r.log_text()[-3000:])
        g, _ = group_status(t, group)
        assert g["cluster"] == "target" and g["route"] == "target", g
        seen = len(r.got)
        wait_until(lambda: len(r.got) >= seen + 50, timeout=40,
                   what=lambda: "kafkajs consumption after the flip\n" +
                   t.log_text()[-3000:] + "\n" + r.log_text()[-3000:])
        seeded = sum(committed(clusters.bootstrap("target"), group, topic))
        wait_until(lambda: sum(committed(clusters.bootstrap("target"), group, topic)) >
                   seeded + 20, timeout=20, what="kafkajs commits on target past the seed")
        sent, dups = finish(w, r, m)
        bound = rereads_bound(t, group)
        assert "event=flip_failed" not in t.log_text()
        assert r.proc.poll() is None, "kafkajs member died:\n" + r.log_text()[-3000:]
        crashes = r.log_text().count("event CRASH")
        pauses = [int(re.search(r"pause_ms=(\d+)", ln).group(1))
                  for ln in flip_lines(t, group, "resumed")]
        # kafkajs commits only what it processed; it re-reads at most what it
        # fetched past its last commit before the freeze (one interval)
        assert dups <= bound + 2 * 30, (dups, bound)
        print(f"kafkajs flip: lost 0 of {len(sent)}, re-reads {dups} (bound {bound}), "
              f"pauses {pauses} ms, kafkajs crashes {crashes}")
    finally:
        stop_all(t, w, r, m)
