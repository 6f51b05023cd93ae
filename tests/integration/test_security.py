"""Upstream security through turnout: TLS, SASL PLAIN, SCRAM-SHA-256/512 and
AWS_MSK_IAM, KIP-368 re-authentication, TLS and SASL failures, and the
client-facing TLS listener.

The mock brokers have neither TLS nor SASL, so each target broker gets a
secfront (tests/peer/secfront.py: the TLS and SASL server side, relaying
everything else to the mock broker) and the mock is told to advertise the
front's address (mockcluster `advertise`). That needs librdkafka 2.15's
rd_kafka_mock_broker_set_host_port, so these tests run on the modern flavor
only; Debian's 2.0.2 mock has no way to advertise another address.

Certificates are made at test time with the openssl CLI in tmp_path (a
throwaway CA, a server certificate for "localhost"); no key is committed.
Every test ends by checking that turnout exited cleanly and that its log
holds none of the passwords or AWS secrets it was given.
"""
import json
import os
import re
import socket
import struct
import subprocess
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from harness import (REPO, SESSION_TIMEOUT_MS, kafka_request, require_tool, run,
                     unique_group, unique_topic, wait_until)
from turnout_proc import TURNOUT, Turnout

FRONT = REPO / "tests" / "peer" / "secfront.py"
PYTHON = "/usr/bin/python3"

# Secrets with shapes nothing else in a log has, so a leak is unambiguous.
PASSWORD = "pw-Zq8!secret-alice"
AWS_AKID = "AKIATURNOUTTEST0001"
AWS_SECRET = "tUrNoUt/SeCrEt+KeY/0001xxxxxxxxxxxxxxxx"
AWS_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/turnout+token=="
AWS_AKID2 = "AKIATURNOUTTEST0002"
AWS_SECRET2 = "tUrNoUt/SeCrEt+KeY/0002yyyyyyyyyyyyyyyy"
SECRETS = (PASSWORD, AWS_SECRET, AWS_TOKEN, AWS_SECRET2)

# The front advertises only on modern; see the module docstring.
pytestmark = pytest.mark.parametrize("flavor", ["modern"])


# -- certificates ---------------------------------------------------------------

def openssl(*args):
    run([require_tool("openssl"), *args], timeout=30)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.pem"),
            "-subj", f"/CN=turnout test {name}", "-days", "2")
    return d / f"{name}.pem"


def make_cert(d, ca, name, san):
    (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"),
            "-subj", f"/CN={name}")
    openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / f"{ca}.pem"),
            "-CAkey", str(d / f"{ca}.key"), "-CAcreateserial", "-days", "2",
            "-extfile", str(d / f"{name}.ext"), "-out", str(d / f"{name}.pem"))
    return d / f"{name}.pem", d / f"{name}.key"


@pytest.fixture
def certs(tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    c = {"ca": make_ca(d, "ca"), "other_ca": make_ca(d, "other")}
    # the brokers' certificate names localhost only (no IP SAN)
    c["broker"], c["broker_key"] = make_cert(d, "ca", "broker", "DNS:localhost")
    # turnout's listener is reached as 127.0.0.1 (advertised_host)
    c["listener"], c["listener_key"] = make_cert(d, "ca", "listener",
                                                 "DNS:localhost,IP:127.0.0.1")
    return c


# -- the secured front ------------------------------------------------------------

class Front:
    """secfront before every broker of one mock cluster."""

    def __init__(self, tmp_path, clusters, cluster, tls=None, mechanisms=(), lifetime_ms=0,
                 iam_keys=None):
        self.clusters, self.cluster = clusters, cluster
        spec = {
            "brokers": [{"name": f"{cluster}-{bid}", "upstream": [host, port]}
                        for bid, (host, port) in sorted(clusters.brokers(cluster).items())],
            "tls": tls,
            "mechanisms": list(mechanisms),
            "users": {"alice": PASSWORD},
            "iam": {"region": "us-east-1", "hosts": ["localhost"],
                    "keys": iam_keys or {}},
            "session_lifetime_ms": lifetime_ms,
        }
        path = tmp_path / f"secfront-{cluster}.json"
        path.write_text(json.dumps(spec))
        self.log_path = tmp_path / f"secfront-{cluster}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([PYTHON, str(FRONT), str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, bufsize=0)
        self.ports = {}
        while True:
            line = self.proc.stdout.readline().decode().strip()
            assert line, "secfront exited:\n" + self.log_path.read_text()
            if line == "READY":
                break
            _, name, port = line.split()
            self.ports[int(name.rsplit("-", 1)[1])] = int(port)

    def advertise(self, host="localhost", hosts=None):
        """Tell the mock to advertise each broker at its front."""
        for bid, port in self.ports.items():
            h = (hosts or {}).get(bid, host)
            self.clusters.ok(f"advertise {self.cluster} {bid} {h} {port}")
        return self

    def bootstrap(self, host="localhost"):
        return ",".join(f"{host}:{p}" for _, p in sorted(self.ports.items()))

    def cmd(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        reply = self.proc.stdout.readline().decode().strip()
        assert reply.startswith("OK"), f"{line!r} -> {reply!r}"
        return reply[3:]

    def stats(self):
        return dict(kv.split("=", 1) for kv in self.cmd("stats").split())

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.cmd("quit")
                self.proc.wait(10)
            except (AssertionError, OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def log_text(self):
        return self.log_path.read_text(errors="replace")


class Env:
    """What one test starts; stopped and checked at teardown."""

    def __init__(self, clusters, tmp_path, monkeypatch):
        self.clusters, self.tmp_path, self.monkeypatch = clusters, tmp_path, monkeypatch
        self.fronts, self.turnouts = [], []
        monkeypatch.setenv("TURNOUT_TEST_PASSWORD", PASSWORD)
        for v in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                  "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE"):
            monkeypatch.delenv(v, raising=False)

    def front(self, **kw):
        f = Front(self.tmp_path, self.clusters, "target", **kw)
        self.fronts.append(f)
        return f

    def config(self, target, **top):
        cfg = {"default_cluster": "target", "log_level": top.pop("log_level", "info"),
               "clusters": {"legacy": {"bootstrap": self.clusters.bootstrap("legacy")},
                            "target": target}}
        cfg.update(top)
        return cfg

    def turnout(self, target, wait_ready=True, **top):
        sub = self.tmp_path / f"turnout-{len(self.turnouts)}"
        sub.mkdir()
        t = Turnout(self.clusters, sub, default="target", extra=self.config(target, **top))
        self.turnouts.append(t)
        if wait_ready:
            return t.start()
        t.log = open(t.log_path, "wb")
        t.proc = subprocess.Popen([str(TURNOUT), "--config", str(t.config_path)],
                                  stdout=t.log, stderr=subprocess.STDOUT)
        return t

    def finish(self):
        problems = []
        for t in self.turnouts:
            status = t.stop()
            text = t.log_text()
            if status != 0:
                problems.append(f"turnout exited {status}:\n{text[-3000:]}")
            for s in SECRETS:
                if s in text:
                    problems.append(f"a secret ({s[:6]}...) appears in turnout's log")
        for f in self.fronts:
            f.stop()
        assert not problems, "\n".join(problems)


@pytest.fixture
def env(clusters, tmp_path, monkeypatch):
    e = Env(clusters, tmp_path, monkeypatch)
    yield e
    e.finish()


# -- workload ------------------------------------------------------------------------

N_RECORDS = 240


def workload(bootstrap, clusters, cluster, extra=None):
    """Keyed records with kcat, then a consumer group reads them all and
    commits. Returns what a comparison needs: the records per partition (in
    order) and the committed offsets."""
    topic, group = unique_topic("sec"), unique_group("sec")
    clusters.ok(f"create {cluster} {topic} 3")
    conf = dict(extra or {})
    x = [a for k, v in conf.items() for a in ("-X", f"{k}={v}")]
    data = "".join(f"k{i % 7}:v{i}\n" for i in range(N_RECORDS)).encode()
    run([require_tool("kcat"), "-P", "-b", bootstrap, "-t", topic, "-K", ":",
         "-X", "acks=all", *x], input=data, timeout=60)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "session.timeout.ms": SESSION_TIMEOUT_MS, **conf})
    c.subscribe([topic])
    parts = {0: [], 1: [], 2: []}
    deadline = time.time() + 40
    got = 0
    while got < N_RECORDS and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            parts[m.partition()].append((m.key().decode(), m.value().decode()))
            got += 1
    c.commit(asynchronous=False)
    committed = c.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
    c.close()
    return {"partitions": parts, "committed": [tp.offset for tp in committed]}


def assert_same_as_plain(secured, clusters):
    plain = workload(clusters.bootstrap("legacy"), clusters, "legacy")
    assert sum(len(v) for v in plain["partitions"].values()) == N_RECORDS
    assert secured == plain


def target_cfg(front, tls=None, sasl=None):
    t = {"bootstrap": front.bootstrap()}
    if tls is not None:
        t["tls"] = tls
    if sasl is not None:
        t["sasl"] = sasl
    return t


def count(pattern, text):
    return len(re.findall(pattern, text))


# -- each mechanism, with and without TLS ----------------------------------------------

MODES = {
    # name: (front TLS, front mechanisms, turnout sasl)
    "tls": (True, (), None),
    "tls+scram-sha-512": (True, ("SCRAM-SHA-512",),
                          {"mechanism": "SCRAM-SHA-512", "username": "alice",
                           "password_env": "TURNOUT_TEST_PASSWORD"}),
    "plain": (False, ("PLAIN",),
              {"mechanism": "PLAIN", "username": "alice", "password_file": "PWFILE"}),
    "scram-sha-256": (False, ("SCRAM-SHA-256", "SCRAM-SHA-512"),
                      {"mechanism": "SCRAM-SHA-256", "username": "alice",
                       "password_file": "PWFILE"}),
    "tls+aws-msk-iam": (True, ("AWS_MSK_IAM",), {"mechanism": "AWS_MSK_IAM",
                                                  "region": "us-east-1"}),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_mechanism_matches_plain_run(env, clusters, certs, tmp_path, mode):
    tls_on, mechs, sasl = MODES[mode]
    iam_keys = {AWS_AKID: {"secret": AWS_SECRET, "token": AWS_TOKEN, "principal": "role/app"}}
    front = env.front(tls={"cert": str(certs["broker"]), "key": str(certs["broker_key"])}
                      if tls_on else None, mechanisms=mechs, iam_keys=iam_keys).advertise()
    if sasl and sasl.get("password_file") == "PWFILE":
        pw = tmp_path / "password"
        pw.write_text(PASSWORD + "\n")
        sasl = dict(sasl, password_file=str(pw))
    if mode.endswith("iam"):
        env.monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_AKID)
        env.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        env.monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_TOKEN)
    t = env.turnout(target_cfg(front, {"ca_file": str(certs["ca"])} if tls_on else None, sasl),
                    log_level="debug" if mode == "tls+scram-sha-512" else "info")
    secured = workload(t.bootstrap, clusters, "target")
    assert sum(len(v) for v in secured["partitions"].values()) == N_RECORDS
    stats = front.stats()
    assert int(stats["relayed"]) > 0 and int(stats["connections"]) > 0
    log = t.log_text()
    if sasl:
        mech = sasl["mechanism"]
        # every upstream connection authenticated, discovery included
        assert int(stats["auth_ok"]) >= 2 and stats["auth_failed"] == "0", stats
        assert count(rf"event=upstream_authenticated cluster=target .*mechanism={mech}",
                     log) >= 1, log[-3000:]
        if mech == "AWS_MSK_IAM":
            assert stats["iam_keys_used"] == AWS_AKID
            assert 'credentials="environment" temporary=yes' in log
    else:
        assert stats["auth_ok"] == "0"
    assert_same_as_plain(secured, clusters)


# -- failures ----------------------------------------------------------------------------

def metadata_v1_closes(addr, timeout=10.0):
    """Sends Metadata v1 (all topics) on a raw connection; returns True if
    turnout closed the connection without answering, False if it answered.
    A hang fails the test (socket timeout)."""
    with socket.create_connection(addr, timeout=timeout) as s:
        s.sendall(kafka_request(3, 1, 5, struct.pack(">i", -1)))
        data = s.recv(4)
        return data == b""


def open_fds(t):
    return len(os.listdir(f"/proc/{t.proc.pid}/fd"))


def test_wrong_password_then_recovery(env, clusters, certs):
    front = env.front(tls={"cert": str(certs["broker"]), "key": str(certs["broker_key"])},
                      mechanisms=("SCRAM-SHA-512",)).advertise()
    t = env.turnout(target_cfg(front, {"ca_file": str(certs["ca"])},
                               {"mechanism": "SCRAM-SHA-512", "username": "alice",
                                "password_env": "TURNOUT_TEST_PASSWORD"}))
    topic = unique_topic("pw")
    clusters.ok(f"create target {topic} 3")
    acked = []
    p = Producer({"bootstrap.servers": t.bootstrap, "linger.ms": 5})
    for i in range(50):
        p.produce(topic, value=f"before-{i}".encode(),
                  on_delivery=lambda err, msg: acked.append(err is None))
    assert p.flush(30) == 0 and len(acked) == 50 and all(acked)

    # the broker stops accepting turnout's password (rotated on the broker side)
    front.cmd("password alice not-the-configured-one")
    fds_before = open_fds(t)
    for _ in range(20):
        assert metadata_v1_closes(t.addr), "a new client got an answer despite failed auth"
    wait_until(lambda: count("event=upstream_sasl_failed", t.log_text()) >= 20,
               timeout=10, what="an auth failure log line per client")
    # every failed client and its upstream connection were closed (ASan checks memory)
    wait_until(lambda: open_fds(t) <= fds_before, timeout=10,
               what=f"turnout back to {fds_before} open fds")
    line = [ln for ln in t.log_text().splitlines() if "event=upstream_sasl_failed" in ln][-1]
    assert "cluster=target" in line and "mechanism=SCRAM-SHA-512" in line
    assert "error 58 (SASL_AUTHENTICATION_FAILED)" in line and "address=localhost:" in line
    assert re.search(r"event=closed .*reason=\"upstream target broker \d+ .*sasl failed", 
                     t.log_text())

    # the producer keeps producing; its connections authenticated before the
    # change normally carry on, but one the client re-opens meanwhile (idle
    # close, metadata refresh under load) fails auth until the password is
    # back: so only "nothing lost once it is back" is asserted
    for i in range(50):
        p.produce(topic, value=f"during-{i}".encode(),
                  on_delivery=lambda err, msg: acked.append(err is None))
    p.flush(5)
    assert t.alive()

    # the broker takes the password again: new clients work, nothing was lost
    front.cmd(f"password alice {PASSWORD}")
    assert p.flush(30) == 0 and len(acked) == 100 and all(acked)
    assert not metadata_v1_closes(t.addr)
    got = run([require_tool("kcat"), "-C", "-b", t.bootstrap, "-t", topic, "-o", "beginning",
               "-e", "-q", "-f", "%s\n"], timeout=60).stdout.decode().split()
    assert sorted(got) == sorted([f"before-{i}" for i in range(50)] +
                                 [f"during-{i}" for i in range(50)])
    p.flush(5)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", ["bad_ca", "wrong_server_name"])
def test_tls_verification_failure_at_discovery(env, clusters, certs, case):
    front = env.front(tls={"cert": str(certs["broker"]),
                           "key": str(certs["broker_key"])}).advertise()
    tls = {"ca_file": str(certs["other_ca" if case == "bad_ca" else "ca"])}
    if case == "wrong_server_name":
        tls["server_name"] = "kafka.wrong.example"
    port = free_port()
    t = env.turnout(target_cfg(front, tls), wait_ready=False, listen=f"127.0.0.1:{port}")
    want = ("certificate verification failed: unable to get local issuer certificate"
            if case == "bad_ca" else "certificate verification failed: hostname mismatch")
    wait_until(lambda: count(r"(?i)event=discovery_failed cluster=target reason=\"localhost: TLS "
                             + want, t.log_text()) >= 2,
               timeout=15, what="two logged discovery failures naming the reason")
    assert t.alive(), "turnout died on a TLS failure"
    assert "event=ready" not in t.log_text()
    # no half-working proxy: clients are refused at once, not left hanging
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_hostname_mismatch_on_one_broker(env, clusters, certs):
    """Broker 3 is advertised as 127.0.0.1, which its certificate does not
    name: its partitions fail promptly, the others are served."""
    front = env.front(tls={"cert": str(certs["broker"]), "key": str(certs["broker_key"])})
    front.advertise(hosts={3: "127.0.0.1"})
    t = env.turnout(target_cfg(front, {"ca_file": str(certs["ca"])}))
    topic = unique_topic("hm")
    clusters.ok(f"create target {topic} 3")
    for part, broker in ((0, 1), (1, 2), (2, 3)):
        clusters.ok(f"leader target {topic} {part} {broker}")
    results = {0: [], 1: [], 2: []}
    p = Producer({"bootstrap.servers": t.bootstrap, "message.timeout.ms": 4000,
                  "linger.ms": 5})
    for i in range(90):
        p.produce(topic, value=f"m{i}".encode(), partition=i % 3,
                  on_delivery=lambda err, msg: results[msg.partition()].append(err))
    p.flush(30)
    assert [e for e in results[0] + results[1] if e is not None] == []
    assert len(results[0]) == 30 and len(results[1]) == 30
    assert len(results[2]) == 30 and all(e is not None for e in results[2])
    log = t.log_text()
    assert re.search(r"(?i)event=upstream_tls_failed cluster=target broker=3 address=127\.0\.0\.1:"
                     r"\d+ mechanism=- reason=\"TLS certificate verification failed: IP "
                     r"address mismatch\"", log), log[-3000:]
    assert t.alive()


# -- KIP-368 -----------------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "AWS_MSK_IAM"])
def test_reauthentication_under_load(env, clusters, certs, tmp_path, mechanism):
    """The front gives 3 s sessions and closes a connection that sends a
    request after its session ended. A producer runs for 9 s: no record
    may be lost, the log must show re-authentications, the front must never
    have closed a connection for expiry. With AWS_MSK_IAM the credentials
    file is rotated mid-run: re-authentication must use the new key."""
    iam_keys = {AWS_AKID: {"secret": AWS_SECRET, "token": None, "principal": "role/app"}}
    front = env.front(tls={"cert": str(certs["broker"]), "key": str(certs["broker_key"])},
                      mechanisms=(mechanism,), lifetime_ms=3000, iam_keys=iam_keys).advertise()
    creds = tmp_path / "aws-credentials"
    if mechanism == "AWS_MSK_IAM":
        creds.write_text(f"[app]\naws_access_key_id = {AWS_AKID}\n"
                         f"aws_secret_access_key = {AWS_SECRET}\n")
        env.monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
        sasl = {"mechanism": mechanism, "region": "us-east-1", "profile": "app"}
    else:
        sasl = {"mechanism": mechanism, "username": "alice",
                "password_env": "TURNOUT_TEST_PASSWORD"}
    t = env.turnout(target_cfg(front, {"ca_file": str(certs["ca"])}, sasl))
    topic = unique_topic("ra")
    clusters.ok(f"create target {topic} 3")
    errors, acked = [], []

    def on_delivery(err, msg):
        (errors if err else acked).append(err or msg.value().decode())

    p = Producer({"bootstrap.servers": t.bootstrap, "linger.ms": 2, "acks": "all",
                  "enable.idempotence": True})
    sent = 0
    start = time.time()
    rotated = False
    while time.time() - start < 9:
        p.produce(topic, value=f"r{sent}".encode(), on_delivery=on_delivery)
        sent += 1
        p.poll(0.02)
        if mechanism == "AWS_MSK_IAM" and not rotated and time.time() - start > 3:
            # rotate: the file gets a new key, the old one stops working
            front.cmd(f"iamkey {AWS_AKID2} {AWS_SECRET2} role/app")
            creds.write_text(f"[app]\naws_access_key_id = {AWS_AKID2}\n"
                             f"aws_secret_access_key = {AWS_SECRET2}\n")
            front.cmd(f"iamdel {AWS_AKID}")
            rotated = True
    assert p.flush(30) == 0
    assert errors == [] and len(acked) == sent and sent > 100
    lines = run([require_tool("kcat"), "-C", "-b", t.bootstrap, "-t", topic, "-o", "beginning",
                 "-e", "-q", "-f", "%p %s\n"], timeout=60).stdout.decode().splitlines()
    got = [(int(p), int(v[1:])) for p, v in (ln.split() for ln in lines)]
    assert sorted(n for _, n in got) == list(range(sent)), "records lost or duplicated"
    for part in range(3):  # one producer: each partition holds its records in send order
        seq = [n for p, n in got if p == part]
        assert seq == sorted(seq), f"partition {part} out of order"
    log = t.log_text()
    stats = front.stats()
    assert stats["expired_closes"] == "0", stats
    assert count(r"event=upstream_reauthenticated cluster=target", log) >= 2, log[-3000:]
    assert int(stats["reauth_ok"]) >= 2 and stats["auth_failed"] == "0", stats
    assert "session_lifetime_ms=3000" in log
    if mechanism == "AWS_MSK_IAM":
        assert AWS_AKID2 in stats["iam_keys_used"].split(","), stats
        assert re.search(rf"reauth_ok mechanism=AWS_MSK_IAM .*akid={AWS_AKID2}",
                         front.log_text())


# -- ECS container credentials -------------------------------------------------------------

class EcsEndpoint:
    """The ECS container credentials endpoint as the ECS agent serves it:
    GET <path> with the Authorization token, JSON credentials back."""

    def __init__(self, token, creds):
        import http.server
        import threading
        ep = self
        self.requests, self.bad_auth = 0, 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                ep.requests += 1
                if self.path != "/v2/credentials/task" or \
                        self.headers.get("Authorization") != token:
                    ep.bad_auth += 1
                    self.send_response(403)
                    self.end_headers()
                    return
                body = json.dumps(creds()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_iam_with_ecs_container_credentials(env, clusters, certs):
    iam_keys = {AWS_AKID: {"secret": AWS_SECRET, "token": AWS_TOKEN, "principal": "role/task"}}
    front = env.front(tls={"cert": str(certs["broker"]), "key": str(certs["broker_key"])},
                      mechanisms=("AWS_MSK_IAM",), iam_keys=iam_keys).advertise()
    expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    ecs = EcsEndpoint("ecs-agent-token-1", lambda: {
        "RoleArn": "arn:aws:iam::123456789012:role/task", "AccessKeyId": AWS_AKID,
        "SecretAccessKey": AWS_SECRET, "Token": AWS_TOKEN, "Expiration": expiry})
    try:
        env.monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                               f"http://127.0.0.1:{ecs.port}/v2/credentials/task")
        env.monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-agent-token-1")
        t = env.turnout(target_cfg(front, {"ca_file": str(certs["ca"])},
                                   {"mechanism": "AWS_MSK_IAM", "region": "us-east-1"}))
        topic = unique_topic("ecs")
        clusters.ok(f"create target {topic} 3")
        values = [f"e{i}" for i in range(60)]
        run([require_tool("kcat"), "-P", "-b", t.bootstrap, "-t", topic, "-X", "acks=all"],
            input="".join(v + "\n" for v in values).encode(), timeout=60)
        got = run([require_tool("kcat"), "-C", "-b", t.bootstrap, "-t", topic, "-o",
                   "beginning", "-e", "-q", "-f", "%s\n"], timeout=60).stdout.decode().split()
        assert sorted(got) == sorted(values)
        log = t.log_text()
        assert re.search(r"event=aws_credentials_refreshed source=container temporary=yes "
                         rf"expires={expiry}", log), log[-3000:]
        assert 'credentials="container endpoint 127.0.0.1:' in log
        assert ecs.requests >= 1 and ecs.bad_auth == 0
        stats = front.stats()
        assert stats["iam_keys_used"] == AWS_AKID and stats["auth_failed"] == "0", stats
    finally:
        ecs.stop()


# -- client-facing TLS -------------------------------------------------------------------

def test_client_tls_listener(env, clusters, certs):
    t = env.turnout({"bootstrap": clusters.bootstrap("target")},
                    listen_tls={"cert_file": str(certs["listener"]),
                                "key_file": str(certs["listener_key"])})
    ssl_conf = {"security.protocol": "ssl", "ssl.ca.location": str(certs["ca"])}
    secured = workload(t.bootstrap, clusters, "target", extra=ssl_conf)
    assert sum(len(v) for v in secured["partitions"].values()) == N_RECORDS
    assert_same_as_plain(secured, clusters)
    # a plaintext client on the TLS listener is closed, with the reason logged
    with socket.create_connection(t.addr, timeout=10) as s:
        s.sendall(kafka_request(18, 0, 1))
        try:
            while s.recv(4096):  # at most a TLS alert, then the close; a hang times out
                pass
        except ConnectionResetError:
            pass  # closed with our request unread
    wait_until(lambda: re.search(r"event=closed .*reason=\"TLS handshake failed", t.log_text()),
               timeout=10, what="the TLS failure log line")
    # and a client that does not trust turnout's certificate fails
    res = subprocess.run([require_tool("kcat"), "-L", "-b", t.bootstrap, "-m", "3",
                          "-X", "security.protocol=ssl",
                          "-X", f"ssl.ca.location={certs['other_ca']}"],
                         capture_output=True, timeout=30)
    assert res.returncode != 0


def test_encrypted_listener_key_is_refused_not_prompted(clusters, certs, tmp_path):
    """An encrypted key_file is refused with the field named. With a
    terminal attached, OpenSSL's default would prompt for the passphrase on
    it and start-up would hang; turnout refuses every passphrase instead."""
    import pty
    enc = tmp_path / "listener-enc.key"
    openssl("pkey", "-in", str(certs["listener_key"]), "-aes256", "-passout", "pass:secret",
            "-out", str(enc))
    t = Turnout(clusters, tmp_path, extra={"listen_tls": {"cert_file": str(certs["listener"]),
                                                          "key_file": str(enc)}})
    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)

    def controlling_tty():  # a session of its own whose terminal is the pty
        os.setsid()
        os.close(os.open(slave_name, os.O_RDWR))

    with open(t.log_path, "wb") as log:
        proc = subprocess.Popen([str(TURNOUT), "run", "--config", str(t.config_path)],
                                stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=controlling_tty)
        try:
            rc = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
            os.close(slave)
    text = t.log_path.read_text()
    assert rc != 0, text
    assert "listen_tls.key_file" in text and "encrypted keys are not supported" in text, text


# -- the translation engine's own clients ------------------------------------------------

@pytest.mark.parametrize("mode", ["tls+plain", "tls+aws-msk-iam"])
def test_translation_engine_through_security(env, clusters, certs, tmp_path, mode):
    """`turnout offsets` reads MM2's checkpoints and the group on a target
    that demands TLS and SASL: PLAIN with the cluster's password, and MSK IAM
    as MSK's OAUTHBEARER token (librdkafka has no AWS_MSK_IAM), signed from
    the same credential chain the proxy uses."""
    from mirror_proc import CHECKPOINTS_TOPIC, SYNCS_TOPIC, Mirror
    iam = mode.endswith("iam")
    iam_keys = {AWS_AKID: {"secret": AWS_SECRET, "token": AWS_TOKEN, "principal": "role/mm2"}}
    front = env.front(tls={"cert": str(certs["broker"]), "key": str(certs["broker_key"])},
                      mechanisms=("OAUTHBEARER",) if iam else ("PLAIN",),
                      iam_keys=iam_keys)
    if iam:
        env.monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_AKID)
        env.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        env.monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_TOKEN)
        sasl = {"mechanism": "AWS_MSK_IAM", "region": "us-east-1"}
    else:
        # PLAIN: Debian's librdkafka 2.0.2 (which the engine links) ends its
        # SCRAM client-final nonce differently from what secfront checks
        sasl = {"mechanism": "PLAIN", "username": "alice",
                "password_env": "TURNOUT_TEST_PASSWORD"}
    topic, group = unique_topic("secx"), unique_group("secx")
    lb = clusters.bootstrap("legacy")
    for c in ("legacy", "target"):
        clusters.ok(f"create {c} {topic} 1")
    clusters.cmd(f"create legacy {SYNCS_TOPIC} 1")  # may exist from an earlier test
    clusters.cmd(f"create target {CHECKPOINTS_TOPIC} 1")
    p = Producer({"bootstrap.servers": lb})
    for i in range(30):
        p.produce(topic, key=f"k{i}", value=f"v{i}", partition=0)
    assert p.flush(20) == 0
    m = Mirror(clusters, tmp_path, topics=[topic], groups=[group])
    try:
        m.cmd("wait")
        c = Consumer({"bootstrap.servers": lb, "group.id": group})
        c.commit(offsets=[TopicPartition(topic, 0, 30)], asynchronous=False)
        c.close()
        m.cmd("checkpoint")
    finally:
        m.stop()
    # only now do the mock's brokers advertise the secured fronts (the
    # test mirror's own clients are plaintext)
    front.advertise()
    cfg = env.config(target_cfg(front, {"ca_file": str(certs["ca"])}, sasl))
    cfg["mirror"] = {"source_alias": "legacy", "target_alias": "target",
                     "replication_policy": "identity", "ready_timeout_ms": 20000}
    path = tmp_path / "offsets.json"
    path.write_text(json.dumps(cfg))
    res = subprocess.run([str(TURNOUT), "offsets", "--config", str(path), "--group", group,
                          "--topic", topic, "--json"], capture_output=True, timeout=90)
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 0, err[-3000:]
    out = json.loads(res.stdout)
    parts = [x for x in out["partitions"] if x["topic"] == topic]
    assert len(parts) == 1 and parts[0]["committed"] == 30, out
    # the mirror copied everything and synced: an exact answer on the target
    assert parts[0]["method"] == "exact" and parts[0]["offset"] == 30, parts
    stats = front.stats()
    assert int(stats["auth_ok"]) >= 2 and stats["auth_failed"] == "0", stats
    if iam:
        assert stats["iam_keys_used"] == AWS_AKID, stats
    for s in SECRETS:
        assert s not in err, "a secret appears in turnout offsets' output"
