"""A consumer group flipped while its members are spread over two sidecars.

Three members of one group consume a topic through two turnout instances
(two members through sidecar a, one through sidecar b); a producer writes to
legacy directly and the test mirror copies legacy to target. The config of a
is edited first and b's a few seconds later, as ConfigMaps land at
different times. The sidecars coordinate on the cutover control topic
(routing/coord.h): a waits for b's member to leave legacy, one sidecar seeds
the final commits on target, the other follows the peer's seed.

Asserted: no record lost (by value), re-reads counted and bounded by what
the translation reported, and the group never consumed on both clusters:
no Fetch went to legacy, through either sidecar, after the first one went
to target. And when b never follows, a rolls back at freeze_max_ms naming
b, the group keeps consuming on legacy and nothing is lost.
"""

import re
from datetime import datetime, timezone
import threading
import time

import pytest
from confluent_kafka import Consumer

from harness import unique_group, unique_topic, wait_until
from mirror_proc import CHECKPOINTS_TOPIC, SYNCS_TOPIC, Mirror
from test_flip import Writer, committed, fetch_switches, flip_lines, move
from test_flip_faults import JsReader, free_ports, restart_killed
from turnout_proc import Turnout

PARTS = 3


class Member:
    """One group member consuming through a sidecar: confluent-kafka with the
    eager range assignor or cooperative-sticky, kafka-python, or kafkajs (a
    node process, test_flip_faults.JsReader)."""

    def __init__(self, kind, bootstrap, topic, group, log_dir=None):
        self.kind, self.got, self.stop_flag = kind, [], threading.Event()
        self.when = []  # time each record in got arrived
        self.replaced = []  # kafka-python: errors its consumer did not survive
        if kind == "kafkajs":
            self.js = JsReader(bootstrap, topic, group,
                               log_dir / f"kafkajs-{len(list(log_dir.glob('kafkajs-*')))}.log")
            self.got, self.when = self.js.got, self.js.when
            return
        if kind == "kafka-python":
            self.args = (topic, bootstrap, group)
            self.c = self._kafka_python()
        else:
            strategy = "range" if kind == "eager" else "cooperative-sticky"
            self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                               "auto.offset.reset": "earliest", "enable.auto.commit": True,
                               "auto.commit.interval.ms": 500, "session.timeout.ms": 6000,
                               "partition.assignment.strategy": strategy,
                               "topic.metadata.refresh.interval.ms": 2000})
            self.c.subscribe([topic])
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _kafka_python(self):
        from kafka import KafkaConsumer
        topic, bootstrap, group = self.args
        return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                             auto_offset_reset="earliest", enable_auto_commit=True,
                             auto_commit_interval_ms=500, session_timeout_ms=6000,
                             heartbeat_interval_ms=1000, metadata_max_age_ms=2000,
                             api_version=(2, 5, 0))

    def _run(self):
        while not self.stop_flag.is_set():
            if self.kind == "kafka-python":
                try:
                    polled = self.c.poll(timeout_ms=200)
                except Exception as e:  # noqa: BLE001 - replaced, as an app would
                    # The mock answers a follower's SyncGroup that comes
                    # after the leader's with INVALID_REQUEST, which
                    # kafka-python raises from poll(): the member is
                    # replaced (its commits are on the cluster), as a
                    # supervised app would restart it.
                    self.replaced.append(f"{type(e).__name__}: {e}")
                    try:
                        self.c.close(autocommit=False)
                    except Exception:  # noqa: BLE001
                        pass
                    self.c = self._kafka_python()
                    continue
                for recs in polled.values():
                    self.got.extend(r.value for r in recs)
                    self.when.extend(time.time() for _ in recs)
            else:
                m = self.c.poll(0.2)
                if m is not None and not m.error():
                    self.got.append(m.value())
                    self.when.append(time.time())

    def stop(self):
        if self.kind == "kafkajs":
            self.js.stop()
            return
        self.stop_flag.set()
        self.t.join()
        self.c.close()


def start_sidecars(clusters, tmp_path, topic, control, freeze_max_ms, b_cutover=None,
                   a_extra=None):
    for cluster in ("legacy", "target"):
        clusters.ok(f"create {cluster} {topic} {PARTS}")
    clusters.ok(f"create legacy {SYNCS_TOPIC} 1")
    clusters.ok(f"create target {CHECKPOINTS_TOPIC} 1")
    clusters.ok(f"create legacy {control} 1")
    out = []
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        extra = {"mirror": {"source_alias": "legacy", "target_alias": "target",
                            "replication_policy": "identity", "ready_timeout_ms": 4000},
                 "cutover": {"quiet_ms": 1000, "freeze_max_ms": freeze_max_ms,
                             "control_topic": control, "instance_id": name,
                             "heartbeat_ms": 500}}
        if name == "b":
            extra["cutover"].update(b_cutover or {})
        else:
            extra.update(a_extra or {})
        out.append(Turnout(clusters, d, extra=extra).start())
    for t in out:
        wait_until(lambda: "event=coord_ready" in t.log_text(), timeout=20,
                   what=lambda: "the control topic read\n" + t.log_text()[-2000:])
    return out


def coord_lines(t, group, verdict):
    return [ln for ln in t.log_text().splitlines()
            if f"event=flip group={group} state=snapshot" in ln and f"coord={verdict}" in ln]


def stop_all(writer, members, mirror, sidecars):
    if writer and not writer.stop_flag.is_set():
        writer.stop()
    for m in members:
        m.stop()
    if mirror:
        mirror.stop()
    for t in sidecars:
        assert t.stop() == 0, t.log_text()[-3000:]


def dup_report(members, t0):
    """Which member read each duplicate, when (s after t0), and its partition."""
    seen = {}
    for i, m in enumerate(members):
        for v, w in zip(list(m.got), list(m.when)):
            seen.setdefault(v, []).append((i, round(w - t0, 1)))
    return sorted(((int(v[1:]) % PARTS, v.decode(), r) for v, r in seen.items() if len(r) > 1),
                  key=lambda x: x[2][-1][1])


def reread_summary(members, t0):
    """Records read more than once, grouped by partition and by who read
    them when (s after t0): [(partition, ((member, first s), ...), count)]."""
    groups = {}
    for part, _, who in dup_report(members, t0):
        key = (part, tuple(sorted(((m, round(w)) for m, w in who), key=lambda x: x[1])))
        groups[key] = groups.get(key, 0) + 1
    return sorted((p, who, n) for (p, who), n in groups.items())


def line_time(line):
    """Wall-clock seconds of a turnout log line."""
    ts = re.search(r"ts=(\S+)", line).group(1)
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc).timestamp()


def records_between(member, t0, t1):
    return sum(1 for w in list(member.when) if t0 <= w <= t1)


def consuming(members):
    try:
        wait_until(lambda: all(len(m.got) >= 10 for m in members), timeout=60)
    except TimeoutError:
        raise AssertionError("not every member consumes before the flip: records per "
                             f"member {[len(m.got) for m in members]}") from None


def all_got(members):
    return [v for m in members for v in m.got]


@pytest.mark.parametrize("flavor,kind", [("debian", "eager"), ("modern", "eager"),
                                         ("modern", "cooperative-sticky"),
                                         ("modern", "kafka-python"),
                                         ("modern", "kafka-python x3"), ("modern", "kafkajs")])
def test_group_over_two_sidecars_flips_once(clusters, tmp_path, kind):
    topic, group, control = unique_topic("fc"), unique_group("fc"), unique_topic("ctl")
    a, b = start_sidecars(clusters, tmp_path, topic, control, freeze_max_ms=20000)
    # target's copy starts 20 records later per partition, as with a real
    # MM2 (offsets differ): a member that kept a legacy position, or a seed
    # that was not translated, reads filler or records again
    mirror = Mirror(clusters, tmp_path, topics=[topic],
                    args=["--offset-lag-max", "10", "--flush-interval-ms", "200",
                          "--pre-existing", "20"])
    writer, members = None, []
    try:
        writer = Writer(clusters.bootstrap("legacy"), topic, parts=PARTS)
        if kind == "kafka-python":
            # The mock answers a follower's SyncGroup that comes after the
            # leader's INVALID_REQUEST, which kafka-python raises from
            # poll() (the member is replaced, see Member): here it joins
            # first and leads, the members on a are librdkafka ones, so
            # the flip is measured without replacements; "kafka-python x3"
            # has three kafka-python members and their replacements.
            members = [None, None, Member(kind, b.bootstrap, topic, group, tmp_path)]
            wait_until(lambda: members[2].got, timeout=30, what="the kafka-python member")
            members[:2] = [Member("eager", a.bootstrap, topic, group, tmp_path),
                           Member("eager", a.bootstrap, topic, group, tmp_path)]
        else:
            one = kind.split(" ")[0]
            members = [Member(one, a.bootstrap, topic, group, tmp_path),
                       Member(one, a.bootstrap, topic, group, tmp_path),
                       Member(one, b.bootstrap, topic, group, tmp_path)]
        consuming(members)
        move(a, group, "target")
        # a freezes, releases its two members, then waits for b
        wait_until(lambda: [ln for ln in coord_lines(a, group, "wait")
                            if "waiting_for=1" in ln and "peer=b" in ln], timeout=20,
                   what=lambda: "a waiting for b\n" + a.log_text()[-3000:])
        # a's /status shows who it waits for: b, live, serving on legacy
        st = a.admin_json("/status")[1]
        assert st["cutover_control"]["instance"] == "a" and st["cutover_control"]["ready"]
        sidecars = [g for g in st["groups"] if g["group"] == group][0]["sidecars"]
        b_rec = [x for x in sidecars if x["instance"] == "b"][0]
        assert b_rec["state"] == "serving" and b_rec["cluster"] == "legacy", sidecars
        # (a member that rejoined under a new id is counted until it leaves:
        # kafka-python's member can show up twice)
        assert b_rec["members"] >= 1 and b_rec["heartbeat_age_ms"] < 1500, sidecars
        # b still serves legacy but holds the group's fetches while a flips
        # it away: what b's member reads is committed before a's members
        # leave and the old group rebalances
        wait_until(lambda: flip_lines(b, group, "peer_hold"), timeout=10,
                   what=lambda: "b holding for a\n" + b.log_text()[-3000:])
        assert "a first" in flip_lines(b, group, "peer_hold")[0]
        st_b = b.admin_json("/status")[1]
        g_b = [g for g in st_b["groups"] if g["group"] == group][0]
        assert g_b["peer_hold"] and g_b["cluster"] == "legacy", g_b
        time.sleep(2)  # b's config lands later
        assert not flip_lines(a, group, "serving"), "a flipped without b"
        move(b, group, "target")
        for t in (a, b):
            wait_until(lambda: flip_lines(t, group, "serving"), timeout=40,
                       what=lambda: "flip to target\n" + t.log_text()[-3000:])
        a_serving, b_serving = flip_lines(a, group, "serving")[0], flip_lines(b, group, "serving")[0]
        # a is the lowest instance id among the released: it seeds; b follows
        assert "seed_how=peer" not in a_serving and "seed_how=peer" in b_serving, (
            a_serving, b_serving)
        assert coord_lines(a, group, "go") and coord_lines(b, group, "done")
        # b's freeze ends by quiet even when its member repeats its last
        # commit every interval (kafka-python): only moved offsets count
        assert "ended_by=quiet" in flip_lines(b, group, "releasing")[0], \
            flip_lines(b, group, "releasing")
        seeding = flip_lines(a, group, "seeding")[0]
        assert "none=0" in seeding, seeding
        rereads_max = int(re.search(r"rereads_max=(\d+)", seeding).group(1))
        pause_a = int(re.search(r"pause_ms=(\d+)", a_serving).group(1))
        pause_b = int(re.search(r"pause_ms=(\d+)", b_serving).group(1))
        seen = len(all_got(members))
        wait_until(lambda: len(all_got(members)) >= seen + 60, timeout=40,
                   what=lambda: "consumption on target\n" + a.log_text()[-2000:])
        writer.stop()
        mirror.cmd("wait")
        sent = list(writer.sent)
        wait_until(lambda: set(sent) <= set(all_got(members)), timeout=40,
                   what=f"every record consumed; missing "
                        f"{len(set(sent) - set(all_got(members)))} of {len(sent)}")
        got = all_got(members)
        lost = len(set(sent) - set(got))
        # Target's filler is read only from a partition the group never
        # committed on legacy: nothing to translate, so on target its
        # members start where auto.offset.reset says (earliest: the
        # filler), as they would have on legacy. Three kafka-python members
        # replaced again and again can leave one so (their commits fail).
        final = committed(clusters.bootstrap("legacy"), group, topic, PARTS)
        filler = [v for v in got if v.startswith(b"pre-existing")]
        bad_filler = [v for v in filler if final[int(v.split()[1])] >= 0]
        assert not bad_filler, (f"{len(bad_filler)} of target's filler records read from "
                                f"partitions committed on legacy: {bad_filler[:5]}, {final}")
        # the group is on target: commits land there, none went on on legacy
        assert sum(committed(clusters.bootstrap("target"), group, topic, PARTS)) > 0
        # never on both clusters: no Fetch to legacy through either sidecar
        # after the first one to target
        switches = {name: fetch_switches(t) for name, t in (("a", a), ("b", b))}
        to_target = {n: [x for x in sw if x[1] == "target"] for n, sw in switches.items()}
        first_target = min(x[0] for sw in to_target.values() for x in sw)
        last_legacy = 0
        for n, sw in to_target.items():
            if sw:  # the last Fetch this sidecar sent to legacy
                last_legacy = max(last_legacy, sw[0][3])
            else:  # its member never fetched on target (see kafka-python above):
                # everything it read came from legacy
                mine = members[:2] if n == "a" else members[2:]
                last_legacy = max([last_legacy] + [w * 1000 for m in mine for w in m.when])
        assert last_legacy < first_target, (switches, last_legacy)
        for t in (a, b):
            assert "event=flip_failed" not in t.log_text(), t.log_text()[-3000:]
        held = [re.search(r"pause_ms=(\d+)", ln).group(1)
                for t in (a, b) for ln in flip_lines(t, group, "resumed")]
        print(f"{kind}: lost {lost}, freeze to serving a {pause_a} ms, b {pause_b} ms, "
              f"fetches held until resumed (ms) {held}, "
              f"legacy->target fetch gap {first_target - last_legacy:.0f} ms")
        assert lost == 0
        # Re-reads come from the translation only (rereads_max, 0 when
        # exact): b holds its member's fetches from a's freeze on, so
        # nothing is read on legacy that the old group's rebalance (when
        # a's members leave) keeps from being committed.
        t_release = line_time(flip_lines(a, group, "releasing")[0])
        # a record read again before a's members left legacy is the group's
        # own start-up rebalancing (kafka-python's commits fail then), not
        # the flip's: until the release the group is unchanged on legacy
        reread = [sorted(w for _, w in who) for _, _, who in dup_report(members, 0)]
        flip_reread = [ws for ws in reread if ws[1] >= t_release]
        first_reads = [ws[0] for ws in flip_reread]
        extra = sum(len(ws) - 1 for ws in flip_reread)
        print(f"{kind}: {extra} re-reads in the flip ({len(reread) - len(flip_reread)} records "
              f"re-read by start-up rebalances before it), first read "
              f"{min(first_reads) - t_release if first_reads else 0:.1f} s after a's "
              f"release at the earliest; translation bound {rereads_max}")
        # b's hold ended when its own flip began, not before
        assert "ended_by=own_flip" in flip_lines(b, group, "peer_hold_over")[0]
        # A re-read the flip is answerable for is of a record the group had
        # committed on legacy (the seed is the final commits): value n is
        # legacy offset n // PARTS of partition n % PARTS, and legacy's
        # commits are final once the group left it.
        flip_dups = [v for _, v, who in dup_report(members, 0)
                     if sorted(w for _, w in who)[1] >= t_release]
        behind = [v for v in flip_dups
                  if int(v[1:]) // PARTS < final[int(v[1:]) % PARTS]]
        print(f"{kind}: final legacy commits {final}; of the records read again after "
              f"the release, {len(behind)} were committed on legacy before the flip; "
              f"filler read {len(filler)} (partitions never committed on legacy); "
              f"members replaced after an error {[len(m.replaced) for m in members]} "
              f"{[r[:80] for m in members for r in m.replaced][:3]}")
        assert len(behind) <= rereads_max, (behind[:20], reread_summary(members, t_release))
        # Records never committed on legacy may be delivered again whoever
        # serves the group (at least once): kafka-python's member keeps
        # failing its commits while the mock rebalances the group
        # ("CommitFailedError: ... already rebalanced"), and a rebalance on
        # target long after the settle refuses commits as it would anywhere.
        # Counted and printed above, not held against the flip.
    finally:
        stop_all(writer, members, mirror, [a, b])


@pytest.mark.parametrize("flavor", ["modern"])
def test_sidecar_that_never_follows_rolls_the_flip_back(clusters, tmp_path):
    topic, group, control = unique_topic("fr"), unique_group("fr"), unique_topic("ctl")
    a, b = start_sidecars(clusters, tmp_path, topic, control, freeze_max_ms=6000)
    mirror = Mirror(clusters, tmp_path, topics=[topic],
                    args=["--offset-lag-max", "10", "--flush-interval-ms", "200"])
    writer, members = None, []
    try:
        writer = Writer(clusters.bootstrap("legacy"), topic, parts=PARTS)
        members = [Member("eager", a.bootstrap, topic, group),
                   Member("eager", a.bootstrap, topic, group),
                   Member("eager", b.bootstrap, topic, group)]
        consuming(members)
        move(a, group, "target")  # b's config never changes
        wait_until(lambda: "event=flip_failed" in a.log_text(), timeout=30,
                   what=lambda: "a's rollback\n" + a.log_text()[-3000:])
        failed = [ln for ln in a.log_text().splitlines() if "event=flip_failed" in ln][0]
        assert f"group={group}" in failed and "state=snapshot" in failed, failed
        assert "waiting for the other sidecars" in failed and "(b first)" in failed, failed
        assert "served_on=legacy" in failed, failed
        assert not flip_lines(a, group, "serving") and not flip_lines(b, group, "serving")
        # the group goes on consuming on legacy, a's members back in it
        before = [len(m.got) for m in members]
        wait_until(lambda: all(len(m.got) > n for m, n in zip(members, before)) or
                   sum(len(m.got) for m in members) >= sum(before) + 100, timeout=40,
                   what="consumption on legacy after the rollback")
        writer.stop()
        sent = list(writer.sent)
        wait_until(lambda: set(sent) <= set(all_got(members)), timeout=40,
                   what="every record consumed")
        got = all_got(members)
        print(f"rollback: lost {len(set(sent) - set(got))}, re-reads "
              f"{len(got) - len(set(got))}, a's reason: {failed.split('reason=')[1][:160]}")
        assert committed(clusters.bootstrap("target"), group, topic, PARTS) == [-1001] * PARTS
        for t in (a, b):
            assert all(s[1] == "legacy" for s in fetch_switches(t)), fetch_switches(t)
    finally:
        stop_all(writer, members, mirror, [a, b])


@pytest.mark.parametrize("flavor", ["debian"])
def test_peer_rollback_rolls_back_the_sidecar_that_followed(clusters, tmp_path):
    """b follows too late: a rolls back at its freeze_max_ms and writes
    `failed`; b, still in its (long) freeze then, reaches SNAPSHOT, reads
    a's failure and rolls back too instead of seeding alone."""
    topic, group, control = unique_topic("fp"), unique_group("fp"), unique_topic("ctl")
    a, b = start_sidecars(clusters, tmp_path, topic, control, freeze_max_ms=6000,
                          b_cutover={"quiet_ms": 6000, "freeze_max_ms": 20000})
    mirror = Mirror(clusters, tmp_path, topics=[topic],
                    args=["--offset-lag-max", "10", "--flush-interval-ms", "200"])
    writer, members = None, []
    try:
        writer = Writer(clusters.bootstrap("legacy"), topic, parts=PARTS)
        members = [Member("eager", a.bootstrap, topic, group),
                   Member("eager", a.bootstrap, topic, group),
                   Member("eager", b.bootstrap, topic, group)]
        consuming(members)
        move(a, group, "target")
        wait_until(lambda: coord_lines(a, group, "wait"), timeout=20,
                   what=lambda: "a waiting for b\n" + a.log_text()[-3000:])
        move(b, group, "target")
        for t in (a, b):
            wait_until(lambda: "event=flip_failed" in t.log_text(), timeout=40,
                       what=lambda: "rollback\n" + t.log_text()[-3000:])
        failed_b = [ln for ln in b.log_text().splitlines() if "event=flip_failed" in ln][0]
        assert "sidecar a rolled back the same flip" in failed_b, failed_b
        assert coord_lines(b, group, "fail"), b.log_text()[-3000:]
        for t in (a, b):
            assert not flip_lines(t, group, "serving"), t.log_text()[-3000:]
            assert all(x[1] == "legacy" for x in fetch_switches(t)), fetch_switches(t)
        before = sum(len(m.got) for m in members)
        wait_until(lambda: sum(len(m.got) for m in members) >= before + 100, timeout=40,
                   what="consumption on legacy after both rolled back")
        writer.stop()
        sent = list(writer.sent)
        wait_until(lambda: set(sent) <= set(all_got(members)), timeout=40,
                   what="every record consumed")
        assert committed(clusters.bootstrap("target"), group, topic, PARTS) == [-1001] * PARTS
        print(f"peer rollback: lost 0, b's reason: {failed_b.split('reason=')[1][:120]}")
    finally:
        stop_all(writer, members, mirror, [a, b])


@pytest.mark.parametrize("flavor", ["modern"])
def test_sidecar_killed_while_waiting_for_its_peer(clusters, tmp_path):
    """a flips first and is killed (SIGKILL) while it waits for b. Started
    again with the new route, it must not seed target from legacy's commits
    while b's member still commits there (they are not final) and must not
    serve its members anywhere meanwhile; once b follows, the group moves
    once, from the final commits, and nothing is lost."""
    topic, group, control = unique_topic("fk"), unique_group("fk"), unique_topic("ctl")
    base = free_ports(16)  # a restarts on the same ports: its members reconnect
    a, b = start_sidecars(clusters, tmp_path, topic, control, freeze_max_ms=20000,
                          a_extra={"listen": f"127.0.0.1:{base}", "broker_port_base": base + 1})
    mirror = Mirror(clusters, tmp_path, topics=[topic],
                    args=["--offset-lag-max", "10", "--flush-interval-ms", "200"])
    writer, members = None, []
    try:
        writer = Writer(clusters.bootstrap("legacy"), topic, parts=PARTS)
        members = [Member("eager", a.bootstrap, topic, group),
                   Member("eager", a.bootstrap, topic, group),
                   Member("eager", b.bootstrap, topic, group)]
        consuming(members)
        move(a, group, "target")
        wait_until(lambda: coord_lines(a, group, "wait"), timeout=20,
                   what=lambda: "a waiting for b\n" + a.log_text()[-3000:])
        before = restart_killed(a)  # same ports and config, log in turnout.log.2

        def recover_lines():
            return [ln for ln in a.log_text().splitlines()
                    if f"event=flip_recover group={group}" in ln]
        wait_until(lambda: [ln for ln in recover_lines() if "state=waiting" in ln and
                            "not seeding target from legacy" in ln and "(b first)" in ln],
                   timeout=40, what=lambda: "a holding the group for b\n" + a.log_text()[-3000:])
        t_wait = time.time()
        b_before = len(members[2].got)
        time.sleep(3)  # b's config lands later; a goes on holding
        assert not [ln for ln in recover_lines() if "result=" in ln], recover_lines()
        assert committed(clusters.bootstrap("target"), group, topic, PARTS) == [-1001] * PARTS
        # a's members get nothing meanwhile (b's member may be rebalancing
        # on legacy after a's members left it: counted, not asserted)
        b_meanwhile = len(members[2].got) - b_before
        assert records_between(members[0], t_wait, time.time()) == 0
        assert records_between(members[1], t_wait, time.time()) == 0
        move(b, group, "target")
        wait_until(lambda: flip_lines(b, group, "serving"), timeout=40,
                   what=lambda: "b's flip\n" + b.log_text()[-3000:])
        wait_until(lambda: [ln for ln in recover_lines() if "result=" in ln], timeout=40,
                   what=lambda: "a's recovery\n" + a.log_text()[-3000:])
        rec = [ln for ln in recover_lines() if "result=" in ln][0]
        assert "result=rejoin" in rec or "result=recovered" in rec, rec
        # a served nothing before b's member had left legacy: never both
        wait_until(lambda: [x for x in fetch_switches(b) if x[1] == "target"], timeout=40,
                   what=lambda: "b's member fetching on target\n" + b.log_text()[-2000:])
        b_switch = [x for x in fetch_switches(b) if x[1] == "target"]
        assert line_time(rec) * 1000 > b_switch[0][3], (rec, b_switch)
        seen = len(all_got(members))
        wait_until(lambda: len(all_got(members)) >= seen + 60, timeout=40,
                   what=lambda: "consumption on target\n" + a.log_text()[-2000:])
        writer.stop()
        mirror.cmd("wait")
        sent = list(writer.sent)
        wait_until(lambda: set(sent) <= set(all_got(members)), timeout=40,
                   what=f"every record consumed; missing "
                        f"{len(set(sent) - set(all_got(members)))} of {len(sent)}")
        got = all_got(members)
        assert sum(committed(clusters.bootstrap("target"), group, topic, PARTS)) > 0
        # a's restarted process held every Fetch until it had read its
        # predecessor's record, then the group's topics: its members never
        # read at the positions they kept from legacy (81-85 re-reads before)
        resume = [ln for ln in a.log_text().splitlines()
                  if f"event=flip_resume group={group}" in ln]
        assert resume and "flip=legacy>target" in resume[0] and "topics=1" in resume[0], (
            a.log_text()[-3000:])
        rereads = len(got) - len(set(got))
        bound = max(int(x) for x in re.findall(
            r"rereads_max=(\d+)", rec + "".join(flip_lines(b, group, "serving"))))
        # Records read again since a's freeze: the translation's bound plus
        # one commit interval (what a member had fetched past its last
        # commit when a was killed). Those read twice before it are the
        # group's own start-up rebalancing on legacy.
        t_freeze = line_time([ln for ln in before.splitlines()
                              if f"event=flip group={group} state=freezing" in ln][0])
        in_flip = sum(len(who) - 1 for _, _, who in dup_report(members, 0)
                      if sorted(w for _, w in who)[1] >= t_freeze)
        assert in_flip <= bound + 2 * 30, (bound, reread_summary(members, t_freeze))
        print(f"killed while waiting: lost {len(set(sent) - set(got))}, re-reads {in_flip} "
              f"since a's freeze ({rereads} in all), "
              f"b's member read {b_meanwhile} while a held, {rec.split('result=')[1][:40]}")
    finally:
        stop_all(writer, members, mirror, [a, b])
