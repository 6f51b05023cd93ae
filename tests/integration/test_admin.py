"""turnout's admin server through a real turnout and the mock clusters:
/metrics values move with real client traffic, /status tells the truth
about clusters, virtual brokers and groups, the probes, POST /reload,
access control (loopback, token), malformed HTTP, the `turnout status` and
`turnout reload` commands, JSON logs, the README's metric list and the
Grafana dashboard's metric names.

The admin server does not depend on the librdkafka flavor of the mock, so
these tests run against the Debian flavor only (about 40 s)."""

import hashlib
import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer

from harness import REPO, kafka_request, kcat_consume, unique_group, unique_topic, wait_until
from turnout_proc import TURNOUT, Turnout


@pytest.fixture(params=["debian"])
def flavor(request):
    return request.param


# ---- the Prometheus text format ----

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.]+(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_metrics(text):
    """{name: {"type", "help", "samples": [(labels dict, value)]}}; asserts
    the text follows the exposition format (HELP and TYPE before samples,
    every sample line well formed)."""
    fams, current = {}, None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, help_ = line[7:].split(" ", 1)
            fams[name] = {"help": help_, "type": None, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, typ = line[7:].split(" ")
            assert name == current, f"TYPE for {name} not after its HELP"
            assert typ in ("counter", "gauge", "histogram"), line
            fams[name]["type"] = typ
        else:
            m = SAMPLE.match(line)
            assert m, f"malformed sample line: {line!r}"
            name, labels = m.group(1), {}
            if m.group(3):
                pos = 0
                body = m.group(3)
                while pos < len(body):
                    lm = LABEL.match(body, pos)
                    assert lm, f"malformed labels in {line!r}"
                    labels[lm.group(1)] = lm.group(2)
                    pos = lm.end()
            base = current
            assert name == base or (fams[base]["type"] == "histogram" and name in (
                base + "_bucket", base + "_sum", base + "_count")), \
                f"sample {name} outside its family {base}"
            fams[base]["samples"].append((name, labels, float(m.group(4))))
    return fams


def value(fams, name, **labels):
    """Sum of the samples of name whose labels include labels."""
    base = name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[:-len(suffix)] in fams:
            base = name[:-len(suffix)]
    return sum(v for n, l, v in fams[base]["samples"]
               if n == name and all(l.get(k) == w for k, w in labels.items()))


def scrape(t):
    status, body = t.admin("/metrics")
    assert status == 200
    return parse_metrics(body.decode())


def produce_one_by_one(bootstrap, topic, n):
    """n records, each in its own Produce request (flush after each)."""
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"})
    for i in range(n):
        p.produce(topic, value=f"m{i}".encode())
        assert p.flush(10) == 0
    return n


# ---- tests ----

def test_metrics_follow_real_traffic(clusters, turnout):
    t = turnout
    topic = unique_topic("adm")
    clusters.ok(f"create legacy {topic} 1")
    before = scrape(t)
    n = produce_one_by_one(t.bootstrap, topic, 12)
    got = kcat_consume(t.bootstrap, topic)
    assert len(got) == n
    after = scrape(t)
    produced = value(after, "turnout_requests_total", api="Produce", cluster="legacy")
    assert produced - value(before, "turnout_requests_total", api="Produce") >= n
    assert value(after, "turnout_requests_total", api="Fetch", cluster="legacy") >= 1
    assert value(after, "turnout_requests_total", api="ApiVersions", cluster="turnout") >= 2
    assert value(after, "turnout_request_errors_total") == 0
    # the latency histogram counted every answered Produce
    cnt = value(after, "turnout_request_duration_seconds_count", api="Produce", cluster="legacy")
    assert cnt == produced
    buckets = [(l["le"], v) for nm, l, v in after["turnout_request_duration_seconds"]["samples"]
               if nm.endswith("_bucket") and l["api"] == "Produce"]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and buckets[-1] == ("+Inf", cnt)
    assert value(after, "turnout_request_duration_seconds_sum", api="Produce") > 0
    for name in ("turnout_client_received_bytes_total", "turnout_client_sent_bytes_total"):
        assert value(after, name) > value(before, name)
    assert value(after, "turnout_upstream_sent_bytes_total", cluster="legacy") > n * 2
    assert value(after, "turnout_upstream_received_bytes_total", cluster="legacy") > 0
    assert value(after, "turnout_client_connections_total") >= 2  # producer and kcat
    assert value(after, "turnout_upstream_connections_total", cluster="legacy") >= 2
    assert value(after, "turnout_cluster_up", cluster="legacy") == 1
    assert value(after, "turnout_cluster_up", cluster="target") == 1
    assert value(after, "turnout_virtual_brokers", state="up") == 6
    assert value(after, "turnout_ready") == 1
    assert value(after, "turnout_build_info", version="0.1.0") == 1


def test_gauges_and_groups_while_a_consumer_runs(clusters, turnout):
    t = turnout
    topic, group = unique_topic("admg"), unique_group("admg")
    clusters.ok(f"create legacy {topic} 2")
    produce_one_by_one(t.bootstrap, topic, 4)
    c = Consumer({"bootstrap.servers": t.bootstrap, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": True,
                  "auto.commit.interval.ms": 200})
    try:
        c.subscribe([topic])
        seen = 0
        deadline = time.time() + 30
        while seen < 4 and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                seen += 1
        assert seen == 4
        fams = scrape(t)
        assert value(fams, "turnout_client_connections") >= 1
        assert value(fams, "turnout_upstream_connections", cluster="legacy") >= 1
        assert value(fams, "turnout_group_route", group=group, cluster="legacy") == 1
        assert value(fams, "turnout_group_route", group=group, cluster="target") == 0
        assert value(fams, "turnout_group_cutover_state", group=group, state="serving") == 1
        assert value(fams, "turnout_group_cutover_state", group=group) == 1  # one state at a time
        assert value(fams, "turnout_group_cutover_state_code", group=group) == 0
        assert value(fams, "turnout_requests_total", api="JoinGroup") >= 1

        status, st = t.admin_json("/status")
        assert status == 200
        g = [x for x in st["groups"] if x["group"] == group]
        assert len(g) == 1, st["groups"]
        g = g[0]
        assert g["cluster"] == "legacy" and g["route"] == "legacy" and g["state"] == "serving"
        assert g["member_connections"] >= 1 and g["flip"] is None
        assert topic in g["topics"]
        assert g["translation"] is None  # no flip, no translation yet
        # clusters, brokers, virtual brokers as the mock and the log say
        for name in ("legacy", "target"):
            k = st["clusters"][name]
            assert k["up"] and k["metadata"] and k["error"] is None
            assert k["bootstrap"] == clusters.bootstrap(name)
            assert {(b["host"], b["port"]) for b in k["brokers"] if b["host"]} == \
                set(clusters.brokers(name).values())
        vb = {v["vid"]: (v["cluster"], v["broker"], v["listen_port"]) for v in st["vbrokers"]
              if v["listen_port"]}
        assert vb == t.vbrokers()
        assert st["routes"]["default_cluster"] == "legacy"
        assert st["routes"]["producers"]["cluster"] == "legacy"
        assert st["config"]["sha256"] == hashlib.sha256(t.config_path.read_bytes()).hexdigest()
        assert st["listen"]["bootstrap"] == t.bootstrap
        assert st["ready"] is True and st["not_ready"] == [] and st["mirror"] is None
    finally:
        c.close()
    # the member left: its connection no longer counts
    wait_until(lambda: [x for x in t.admin_json("/status")[1]["groups"]
                        if x["group"] == group][0]["member_connections"] == 0,
               timeout=15, what="member connections back to 0")


def test_probes_go_ready_when_the_clusters_answer(clusters, tmp_path):
    clusters.ok("down target all")
    t = Turnout(clusters, tmp_path).start(until="admin")
    try:
        status, body = t.admin("/healthz")
        assert status == 200 and body == b"ok\n"
        status, r = t.admin_json("/readyz")
        assert status == 503 and r["ready"] is False
        assert any("cluster target has not answered metadata" in m for m in r["missing"]), r
        assert value(scrape(t), "turnout_ready") == 0
        wait_until(lambda: value(scrape(t), "turnout_discovery_failures_total",
                                 cluster="target") >= 1, timeout=15, what="discovery failure")
        status, st = t.admin_json("/status")
        assert st["ready"] is False and st["clusters"]["target"]["error"]
        clusters.ok("up target all")
        wait_until(lambda: t.admin("/readyz")[0] == 200, timeout=30, what="readyz 200")
        assert t.admin_json("/readyz")[1] == {"ready": True, "missing": []}
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_reload_endpoint_applies_and_rejects(clusters, turnout):
    t = turnout
    cfg = json.loads(t.config_path.read_text())
    cfg["routes"] = {"producers": {"cluster": "target"}}
    t.config_path.write_text(json.dumps(cfg))
    status, r = t.admin_json("/reload", "POST")
    assert status == 200 and r["result"] == "applied" and r["error"] is None
    assert r["sha256"] == hashlib.sha256(t.config_path.read_bytes()).hexdigest()
    st = t.admin_json("/status")[1]
    assert st["routes"]["producers"]["cluster"] == "target"
    assert st["config"]["last_reload"]["trigger"] == "admin"
    assert st["config"]["last_reload"]["ok"] is True

    good_sha = r["sha256"]
    cfg["routes"] = {"producers": {"cluster": "elsewhere"}}
    t.config_path.write_text(json.dumps(cfg))
    status, r = t.admin_json("/reload", "POST")
    assert status == 422 and r["result"] == "rejected"
    assert "routes.producers.cluster" in r["error"], r
    assert r["sha256"] == good_sha  # the running configuration stayed
    st = t.admin_json("/status")[1]
    assert st["config"]["last_reload"]["ok"] is False
    assert "routes.producers.cluster" in st["config"]["last_reload"]["error"]
    assert st["config"]["sha256"] == good_sha
    fams = scrape(t)
    assert value(fams, "turnout_config_reloads_total", trigger="admin", result="ok") == 1
    assert value(fams, "turnout_config_reloads_total", trigger="admin", result="failed") == 1
    assert value(fams, "turnout_config_last_reload_success") == 0
    assert value(fams, "turnout_config_last_reload_timestamp_seconds") > time.time() - 60

    # the CLI: exit 1 and the reason while the file is bad, 0 once it is fixed
    res = subprocess.run([str(TURNOUT), "reload", "--admin", t.admin_addr],
                         capture_output=True, timeout=30)
    assert res.returncode == 1 and b"routes.producers.cluster" in res.stderr, res
    cfg["routes"] = {}
    t.config_path.write_text(json.dumps(cfg))
    res = subprocess.run([str(TURNOUT), "reload", "--admin", t.admin_addr],
                         capture_output=True, timeout=30)
    assert res.returncode == 0 and b"applied" in res.stdout, res
    # GET is not how a reload is asked for
    assert t.admin("/reload")[0] == 405


def local_non_loopback_ip():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        ip = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if ip.startswith("127.") else ip


def get_from(ip, port, path, headers=""):
    with socket.create_connection((ip, port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1])


def test_remote_peers_get_probes_only(clusters, tmp_path):
    ip = local_non_loopback_ip()
    if not ip:
        pytest.skip("this machine has no non-loopback IPv4 address")
    t = Turnout(clusters, tmp_path, extra={"admin": {"listen": "0.0.0.0:0"}}).start()
    try:
        assert get_from(ip, t.admin_port, "/healthz") == 200
        assert get_from(ip, t.admin_port, "/readyz") == 200
        for path in ("/metrics", "/status"):
            assert get_from(ip, t.admin_port, path) == 403
        assert get_from("127.0.0.1", t.admin_port, "/metrics") == 200
        assert "event=admin_refused" in t.log_text()
        cfg = json.loads(t.config_path.read_text())
        cfg["admin"]["allow_remote"] = True  # applies live
        t.config_path.write_text(json.dumps(cfg))
        assert t.admin_json("/reload", "POST")[0] == 200
        assert get_from(ip, t.admin_port, "/metrics") == 200
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def test_bearer_token(clusters, tmp_path):
    tok = tmp_path / "token"
    tok.write_text("s3cret-admin-token\n")
    t = Turnout(clusters, tmp_path,
                extra={"admin": {"listen": "127.0.0.1:0", "token_file": str(tok)}}).start()
    try:
        assert t.admin("/healthz")[0] == 200 and t.admin("/readyz")[0] == 200
        assert t.admin("/metrics")[0] == 401
        assert t.admin("/status", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert t.admin("/reload", "POST", {"Authorization": "Basic czNjcmV0"})[0] == 401
        assert t.admin("/metrics", headers={"Authorization": "Bearer s3cret-admin-token"})[0] \
            == 200
        assert t.admin("/status", headers={"Authorization": "bearer s3cret-admin-token"})[0] \
            == 200
        assert "s3cret" not in t.log_text()
        res = subprocess.run([str(TURNOUT), "status", "--admin", t.admin_addr, "--json"],
                             capture_output=True, timeout=30)
        assert res.returncode == 1 and b"401" in res.stderr
        res = subprocess.run([str(TURNOUT), "status", "--admin", t.admin_addr, "--json",
                              "--token-file", str(tok)], capture_output=True, timeout=30)
        assert res.returncode == 0 and json.loads(res.stdout)["ready"] is True
        # the token is read at every request: a rotated file applies at once
        tok.write_text("rotated\n")
        assert t.admin("/metrics", headers={"Authorization": "Bearer rotated"})[0] == 200
    finally:
        assert t.stop() == 0, t.log_text()[-3000:]


def raw(port, data, read=True):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        if not read:
            return b""
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
        return out


def status_of(answer):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return int(m.group(1)) if m else None


def test_malformed_http_gets_4xx_and_turnout_keeps_serving(turnout):
    port = turnout.admin_port
    assert status_of(raw(port, b"this is not http\r\n\r\n")) == 400
    assert status_of(raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 +
                         b"\r\n\r\n")) in (400, 413, 431)
    assert status_of(raw(port, b"POST /reload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                         b"\r\n" + b"x" * 100000)) == 413
    assert status_of(raw(port, b"PUT /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                         )) == 405
    # a method libevent does not implement: its own 501
    assert status_of(raw(port, b"BREW /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         b"\r\n")) in (400, 405, 501)
    assert status_of(raw(port, b"DELETE /reload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         b"\r\n")) == 405
    assert status_of(raw(port, b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) \
        == 404
    assert status_of(raw(port, b"GET /%00%ff/../status HTTP/1.1\r\nHost: x\r\nConnection: "
                         b"close\r\n\r\n")) in (400, 404)
    raw(port, b"GET /status HTTP/1.1\r\nHost", read=False)  # hangs up mid-request
    assert status_of(raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) \
        == 200
    assert turnout.alive()


def test_status_command_tables_and_json(clusters, turnout):
    t = turnout
    topic, group = unique_topic("admc"), unique_group("admc")
    clusters.ok(f"create legacy {topic} 1")
    produce_one_by_one(t.bootstrap, topic, 2)
    c = Consumer({"bootstrap.servers": t.bootstrap, "group.id": group,
                  "auto.offset.reset": "earliest"})
    try:
        c.subscribe([topic])
        wait_until(lambda: c.poll(0.2) is not None and
                   any(g["group"] == group for g in t.admin_json("/status")[1]["groups"]),
                   timeout=30, what="the group in /status")
        res = subprocess.run([str(TURNOUT), "status", "--admin", t.admin_addr, "--json"],
                             capture_output=True, timeout=30)
        assert res.returncode == 0, res
        st = json.loads(res.stdout)
        assert {g["group"] for g in st["groups"]} >= {group}
        res = subprocess.run([str(TURNOUT), "status", "--admin", t.admin_addr],
                             capture_output=True, timeout=30)
        assert res.returncode == 0, res
        out = res.stdout.decode()
        for word in ("ready: yes", "CLUSTERS", "VIRTUAL BROKERS", "ROUTES", "GROUPS", group,
                     clusters.bootstrap("legacy"), "serving"):
            assert word in out, out
        # one line per virtual broker, with its listener port
        for vid, (cluster, broker, port) in t.vbrokers().items():
            assert re.search(rf"^{vid}\s+{cluster}\s+{broker}\s+\S+\s+{port}\s+up$", out, re.M), \
                out
        # --watch redraws until stopped
        p = subprocess.Popen([str(TURNOUT), "status", "--admin", t.admin_addr, "--watch", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2.5)
        p.terminate()
        out, _ = p.communicate(timeout=10)
        assert out.decode().count("CLUSTERS") >= 2
    finally:
        c.close()
    res = subprocess.run([str(TURNOUT), "status", "--admin", "127.0.0.1:1"],
                         capture_output=True, timeout=30)
    assert res.returncode == 1 and b"127.0.0.1:1" in res.stderr


def test_json_logs_keep_the_keys(clusters, tmp_path):
    t = Turnout(clusters, tmp_path, args=["--log-format", "json"]).start()
    try:
        topic = unique_topic("admj")
        clusters.ok(f"create legacy {topic} 1")
        produce_one_by_one(t.bootstrap, topic, 1)
    finally:
        assert t.stop() == 0
    lines = [json.loads(line) for line in t.log_text().splitlines() if line.strip()]
    assert lines and all({"ts", "level", "event"} <= set(x) for x in lines), lines[:3]
    conn = [x for x in lines if x["event"] == "connected"]
    assert conn and all(x["client"].isdigit() and x["peer"].startswith("127.0.0.1:")
                        for x in conn)
    closed = [x for x in lines if x["event"] == "closed"]
    assert closed and all("reason" in x and '"' not in x["reason"][:1] for x in closed)


def test_log_format_from_config(clusters, tmp_path):
    t = Turnout(clusters, tmp_path, extra={"log": {"format": "json"}}).start()
    assert t.stop() == 0
    first = t.log_text().splitlines()[0]
    assert json.loads(first)["event"] in ("admin_listening", "starting")


# ---- README and the Grafana dashboard against a real /metrics ----

def scrape_after_traffic(clusters, t):
    topic, group = unique_topic("admr"), unique_group("admr")
    clusters.ok(f"create legacy {topic} 1")
    produce_one_by_one(t.bootstrap, topic, 3)
    c = Consumer({"bootstrap.servers": t.bootstrap, "group.id": group,
                  "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got = 0
    deadline = time.time() + 30
    while got < 3 and time.time() < deadline:
        m = c.poll(0.5)
        got += m is not None and not m.error()
    c.close()
    assert t.admin_json("/reload", "POST")[0] == 200
    # a request turnout refuses (a Metadata version it did not offer): an error
    with socket.create_connection(t.addr, timeout=10) as s:
        s.sendall(kafka_request(3, 999, 7, b"\x00\x00\x00\x00"))
        assert s.recv(100) == b""  # closed with the reason in the log
    fams = scrape(t)
    assert value(fams, "turnout_request_errors_total", api="Metadata", cluster="turnout") == 1
    return fams


# Families whose samples need a translation engine or a finished flip; their
# HELP and TYPE lines are always present.
NEEDS_ENGINE_OR_FLIP = {
    "turnout_flip_duration_seconds", "turnout_translation_partitions",
    "turnout_translation_rereads_max", "turnout_translation_rereads_unknown_partitions",
    "turnout_translation_timestamp_seconds", "turnout_mm2_reader_ready",
    "turnout_mm2_records_total", "turnout_mm2_records_skipped_total",
    "turnout_mm2_newest_record_age_seconds",
}


def dashboard_metric_names():
    dash = json.loads((REPO / "deploy" / "grafana" / "turnout.json").read_text())
    exprs = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("expr", "query") and isinstance(v, str):
                    exprs.append(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(dash)
    names = set()
    for e in exprs:
        names.update(re.findall(r"\bturnout_[a-zA-Z0-9_]+", e))
    return exprs, names


def test_readme_and_dashboard_match_metrics(clusters, turnout):
    fams = scrape_after_traffic(clusters, turnout)
    assert len(fams) >= 30
    readme = (REPO / "README.md").read_text()
    missing = [n for n in fams if f"`{n}`" not in readme]
    assert not missing, f"README does not list: {missing}"
    listed = set(re.findall(r"^\| `(turnout_[a-z0-9_]+)`", readme, re.M))
    assert listed == set(fams), f"README lists metrics turnout does not have: {listed - set(fams)}"

    exprs, names = dashboard_metric_names()
    assert len(exprs) >= 15 and names
    for n in sorted(names):
        base = re.sub(r"_(bucket|sum|count)$", "", n) if n not in fams else n
        assert base in fams, f"dashboard queries {n}, which /metrics does not have"
        if base in NEEDS_ENGINE_OR_FLIP:
            continue
        want = n if n != base else None
        samples = [s for s in fams[base]["samples"] if want is None or s[0] == want]
        assert samples, f"dashboard queries {n}, which has no samples after traffic"
