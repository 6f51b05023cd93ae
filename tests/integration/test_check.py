"""`turnout check`, the migration dry run, against real peers: the two mock
clusters, the MM2-faithful test mirror (tests/mirror) and confluent-kafka
for producing and committing. Every test asserts the rows and findings the
command reports and its exit status (0 ok, 1 errors, 2 usage/config).

librdkafka's mock clusters cannot list or describe groups (no ListGroups /
DescribeGroups), so groups come from routes and --group, and where a group
lives is decided from its committed offsets; the tests check that the
report says so.
"""

import json
import socket
import subprocess

from confluent_kafka import Consumer, Producer, TopicPartition

from harness import unique_group
from mirror_proc import CHECKPOINTS_TOPIC, SYNCS_TOPIC, Mirror
from turnout_proc import TURNOUT


def produce(bootstrap, topic, n, partitions):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for i in range(n):
        p.produce(topic, value=f"v{i}".encode(), key=f"k{i}".encode(),
                  partition=i % partitions)
        p.poll(0)
    assert p.flush(15) == 0


def commit(bootstrap, group, offsets):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                 asynchronous=False)
    finally:
        c.close()


def write_config(tmp_path, clusters, routes, mirror=False, name="turnout.json", **extra):
    cfg = {"clusters": {n: {"bootstrap": clusters.bootstrap(n)} for n in ("legacy", "target")},
           "service": "orders-svc", "routes": routes, **extra}
    if mirror:
        cfg["mirror"] = {"source_alias": "legacy", "target_alias": "target",
                         "replication_policy": "identity", "ready_timeout_ms": 15000}
    path = tmp_path / name
    path.write_text(json.dumps(cfg))
    return path


def check(cfg, *args, json_out=True, timeout=90):
    cmd = [str(TURNOUT), "check", "--config", str(cfg), "--timeout-ms", "5000", *args]
    if json_out:
        cmd.append("--json")
    res = subprocess.run(cmd, capture_output=True, timeout=timeout)
    out = res.stdout.decode()
    err = res.stderr.decode()
    assert "ERROR: AddressSanitizer" not in err and "runtime error" not in err, err[-3000:]
    return res.returncode, (json.loads(out) if json_out and out.strip() else out), err


def findings(report, kind=None, level=None):
    return [f for f in report["findings"]
            if (kind is None or f["kind"] == kind) and (level is None or f["level"] == level)]


def by_name(rows, key, name):
    got = [r for r in rows if r[key] == name]
    assert len(got) == 1, (name, rows)
    return got[0]


# ---------------------------------------------------------------------------


def test_clean_config(clusters, tmp_path):
    """A config whose routes agree: exit 0, both clusters described, one row
    per route, the topic view and the group placed from its commits."""
    lb = clusters.bootstrap("legacy")
    clusters.ok("create legacy orders 3")
    clusters.ok("create legacy payments 2")
    clusters.ok("create target orders 3")
    g = unique_group("billing")
    commit(lb, g, {("orders", 0): 5, ("orders", 2): 7})
    cfg = write_config(tmp_path, clusters, {
        "groups": {g: {"cluster": "legacy", "topics": ["orders"]}},
        "producers": {"topics": {"payments": "legacy"}},
        "topics": {"audit-log": "legacy"}})
    rc, rep, err = check(cfg)
    assert rc == 0, (rep, err[-2000:])
    assert rep["errors"] == 0 and rep["warnings"] == 0, rep["findings"]
    for c in rep["clusters"]:
        assert c["reachable"] and c["brokers"] == 3, c
        assert c["cluster_id"] and c["group_listing"] is False  # the mock cannot list
    assert by_name(rep["clusters"], "name", "legacy")["topics"] == 2
    assert by_name(rep["clusters"], "name", "target")["topics"] == 1
    routes = rep["routes"]
    assert routes["default_cluster"] == "legacy" and routes["producers"] == "legacy"
    assert routes["producer_topics"] == [{"topic": "payments", "cluster": "legacy"}]
    assert routes["read_overrides"] == [{"topic": "audit-log", "cluster": "legacy"}]
    assert routes["groups"] == [{"group": g, "cluster": "legacy", "topics": ["orders"]}]
    topics = {t["topic"]: t for t in rep["topics"]}
    assert sorted(topics) == ["audit-log", "orders", "payments"]
    assert topics["orders"]["served_from"] == "legacy"
    assert topics["orders"]["because"] == "consuming group"
    assert topics["audit-log"]["because"] == "read override"
    assert topics["payments"]["because"] == "producer route"
    assert not any(t["conflict"] for t in topics.values())
    grp = by_name(rep["groups"], "group", g)
    assert grp["lives"] == "legacy" and grp["action"] == "stays", grp
    assert grp["legacy"]["committed_partitions"] == 2
    assert grp["target"]["committed_partitions"] == 0
    assert grp["legacy"]["members"] == -1 and "DescribeGroups" in grp["legacy"]["note"]
    assert "translation" not in grp
    # the tables carry the same rows
    rc, text, _ = check(cfg, json_out=False)
    assert rc == 0
    assert "result: 0 error(s), 0 warning(s)" in text, text
    assert f"{g:<28} legacy  ?/?/2" in text, text
    assert "stays on legacy" in text and "legacy  reachable   3" in text, text


def test_unreachable_cluster(clusters, tmp_path):
    """A target nobody listens on: exit 1, the finding names the cluster."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cfg = write_config(tmp_path, clusters, {"groups": {"g1": "legacy"}})
    data = json.loads(cfg.read_text())
    data["clusters"]["target"]["bootstrap"] = f"127.0.0.1:{port}"
    cfg.write_text(json.dumps(data))
    rc, rep, _ = check(cfg, "--timeout-ms", "2000")
    assert rc == 1, rep
    errs = findings(rep, "cluster_unreachable", "error")
    assert [f["subject"] for f in errs] == ["target"], rep["findings"]
    assert "cluster target is not reachable" in errs[0]["message"]
    assert f"127.0.0.1:{port}" in errs[0]["message"]
    legacy, target = rep["clusters"]
    assert legacy["reachable"] and not target["reachable"]
    assert by_name(rep["groups"], "group", "g1")["target"]["reachable"] is False
    rc, text, _ = check(cfg, "--timeout-ms", "2000", json_out=False)
    assert rc == 1 and "target  UNREACHABLE" in text, text


def test_conflicts(clusters, tmp_path):
    """(a) this service's group reads `pay` on target while its producers
    write `pay` to legacy: one metadata view cannot serve both, an error.
    (b) producers of `events` move to target while another service's group
    still consumes it on legacy: a warning (fails only with --strict)."""
    lb = clusters.bootstrap("legacy")
    for t in ("pay", "events"):
        clusters.ok(f"create legacy {t} 2")
        clusters.ok(f"create target {t} 2")
    reporting = unique_group("reporting")
    commit(lb, reporting, {("events", 0): 3, ("events", 1): 4})
    ga = unique_group("a")
    cfg = write_config(tmp_path, clusters, {
        "groups": {ga: {"cluster": "target", "topics": ["pay"]}},
        "producers": {"topics": {"pay": "legacy", "events": "target"}}})
    rc, rep, err = check(cfg, "--group", reporting)
    assert rc == 1, (rep, err[-2000:])
    conflict = findings(rep, "topic_conflict", "error")
    assert [f["subject"] for f in conflict] == ["pay"], rep["findings"]
    assert ga in conflict[0]["message"] and "produced to target" in conflict[0]["message"]
    pay = by_name(rep["topics"], "topic", "pay")
    assert pay["conflict"] and pay["served_from"] == "target" and pay["producers"] == "legacy"
    ahead = findings(rep, "producers_ahead", "warning")
    assert [f["subject"] for f in ahead] == ["events"], rep["findings"]
    assert reporting in ahead[0]["message"] and "on legacy" in ahead[0]["message"]
    other = by_name(rep["groups"], "group", reporting)
    assert other["in_routes"] is False and other["lives"] == "legacy"
    assert other["action"] == "other" and other["topics"] == ["events"]

    # only (b): a warning, exit 0 unless --strict
    cfg2 = write_config(tmp_path, clusters, {"producers": {"topics": {"events": "target"}}},
                        name="b.json")
    rc, rep, _ = check(cfg2, "--group", reporting)
    assert rc == 0 and rep["errors"] == 0 and rep["warnings"] == 1, rep["findings"]
    rc, rep, _ = check(cfg2, "--group", reporting, "--strict")
    assert rc == 1


def test_flip_previews(clusters, tmp_path):
    """A group ready to flip: exact translation of every partition, no
    re-reads, exit 0. A second group consuming a topic MM2 does not mirror:
    exit 1, the group and its partition named."""
    lb = clusters.bootstrap("legacy")
    clusters.ok("create legacy orders 2")
    clusters.ok("create target orders 2")
    clusters.ok("create legacy audit 1")
    clusters.ok(f"create legacy {SYNCS_TOPIC} 1")
    clusters.ok(f"create target {CHECKPOINTS_TOPIC} 1")
    produce(lb, "orders", 40, 2)
    produce(lb, "audit", 3, 1)
    billing, auditors = unique_group("billing"), unique_group("auditors")
    m = Mirror(clusters, tmp_path, topics=["orders"], groups=[billing])
    try:
        m.cmd("wait")
        m.cmd("flush")
        commit(lb, billing, {("orders", 0): 20, ("orders", 1): 20})
        commit(lb, auditors, {("audit", 0): 2})
        m.cmd("checkpoint")
        cfg = write_config(tmp_path, clusters, {"groups": {billing: "target"}}, mirror=True)
        rc, rep, err = check(cfg)
        assert rc == 0, (rep, err[-2000:])
        assert rep["mirror"]["configured"] and rep["mirror"]["ready"], rep["mirror"]
        # flips need the cutover control topic: a warning until it exists
        ctl = findings(rep, "control_topic_missing", "warning")
        assert [f["subject"] for f in ctl] == ["__turnout_cutover"], rep["findings"]
        assert "does not exist on legacy" in ctl[0]["message"], ctl
        clusters.ok("create legacy __turnout_cutover 1")
        rc, rep, err = check(cfg)
        assert rc == 0 and not findings(rep, "control_topic_missing", "warning"), rep["findings"]
        grp = by_name(rep["groups"], "group", billing)
        assert grp["lives"] == "legacy" and grp["action"] == "flip", grp
        assert grp["topics"] == ["orders"]
        x = grp["translation"]
        assert x["ran"] and x["direction"] == "forward"
        assert (x["partitions"], x["exact"], x["none"], x["rereads_max"]) == (2, 2, 0, 0), x
        assert sorted((p["partition"], p["committed"]) for p in x["by_partition"]) == [
            (0, 20), (1, 20)]
        rc, text, _ = check(cfg, json_out=False)
        assert rc == 0
        assert "would flip legacy -> target" in text
        assert "2/2 translatable (2 exact, 0 checkpoint, 0 conservative), re-reads <= 0" in text

        cfg2 = write_config(tmp_path, clusters, {"groups": {billing: "target",
                                                            auditors: "target"}},
                            mirror=True, name="two.json")
        rc, rep, _ = check(cfg2)
        assert rc == 1, rep
        errs = findings(rep, "group_not_mirrored", "error")
        assert [f["subject"] for f in errs] == [auditors], rep["findings"]
        assert "audit-0" in errs[0]["message"]
        x = by_name(rep["groups"], "group", auditors)["translation"]
        assert (x["partitions"], x["none"]) == (1, 1), x
        assert by_name(rep["groups"], "group", billing)["translation"]["exact"] == 2
    finally:
        assert m.stop() == 0


def test_usage_and_invalid_config(tmp_path):
    """Exit 2 for usage errors and a config that does not load (no cluster
    is contacted)."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"clusters": {"legacy": {"bootstrap": "x:1"},
                                            "target": {"bootstrap": "y:1"}},
                               "routes": {"groups": {"g": "nowhere"}}}))
    res = subprocess.run([str(TURNOUT), "check", "--config", str(bad)],
                         capture_output=True, timeout=30)
    assert res.returncode == 2
    assert b"routes.groups.g" in res.stderr, res.stderr
    res = subprocess.run([str(TURNOUT), "check"], capture_output=True, timeout=30)
    assert res.returncode == 2 and b"usage: turnout check" in res.stderr
    res = subprocess.run([str(TURNOUT), "check", "--config", str(bad), "--timeout-ms", "0"],
                         capture_output=True, timeout=30)
    assert res.returncode == 2
