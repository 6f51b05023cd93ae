"""The client matrix: every client stack × operation × mock cluster flavor,
each operation run once straight against the cluster and once through
turnout, and the two results compared.

A cell is (flavor, client, op). Its two runs use their own topics and
groups on one shared cluster + turnout per flavor, so all runs of both
flavors go through one thread pool at once (each run is a client process;
the threads only wait). A run returns a *normalized* result: what the
client reported, plus what the cluster holds afterwards as read by an
oracle (rdk_client 2.15.1 straight against the cluster). Through turnout,
broker ids are virtual: they are mapped back to real ids with the vid
table turnout logs, and broker addresses are checked separately (no real
address may leak), so the two results must be equal.

Each cell also checks its result against what the operation must produce
(`check_*`), so two runs that are equally wrong do not pass.

Clients: kcat (librdkafka 2.0.2 inside), rdk-2.0.2 and rdk-2.15.1
(tests/clients/rdk_client.c), confluent-kafka-python 1.7 (librdkafka
2.0.2), kafka-python 2.0.2, kafkajs 2.2.4.
"""

import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from harness import BUILD_DIR, NPM_MODULES, REPO, require_tool, wait_until

CLIENTS_DIR = REPO / "tests" / "clients"
ORACLE = BUILD_DIR / "modern" / "rdk_client"
CLIENTS = ("kcat", "rdk-2.0.2", "rdk-2.15.1", "confluent", "kafka-python", "kafkajs")
OPS = ("produce-acks0", "produce-acks1", "produce-acksall", "produce-idempotent",
       "consume", "group", "metadata", "txn")
RUN_TIMEOUT = 150.0
N_PRODUCE = 60        # records per produce run
N_SEED = 40           # records seeded for consume and group runs
N_TXN = 5             # records per transaction
GROUP_PARTITIONS = 4
WORKERS = 10          # runs in flight at once (client processes, mostly idle)

# Cells that cannot run, and why; they are listed in the table, not run.
NOT_APPLICABLE = {
    ("kafka-python", "produce-idempotent"): "kafka-python 2.0.2 has no idempotent producer",
    ("kafka-python", "txn"): "kafka-python 2.0.2 has no transactions",
    ("kafkajs", "txn"): "transactions are checked with librdkafka clients",
    ("kcat", "txn"): "transactions are checked with librdkafka clients",
}

# Cells whose operation fails against the mock cluster itself, directly as
# much as through turnout; the cell passes when both runs fail with this
# error (and fails if either run succeeds, so a fixed mock gets noticed).
MOCK_FAILS = {
    # kafkajs sends InitProducerId to the controller; the 2.0.2 mock names
    # broker 0, which does not exist, as controller (2.15.1 can be told a
    # real one: mockcluster's `controller` command).
    ("debian", "kafkajs", "produce-idempotent"): r"Broker \d+ not found in the cached metadata",
}

# What neither mock implements, asserted exactly (see check_txn).
LAST_TABLE = None  # the table of the last run, for the pytest summary

TXN_MOCK_NOTE = ("mock: no aborted-transaction list in Fetch (read_committed sees "
                 "aborted records) and TxnOffsetCommit offsets are not stored")


def cells():
    out = []
    for flavor in ("debian", "modern"):
        for client in CLIENTS:
            for op in OPS:
                if (client, op) not in NOT_APPLICABLE:
                    out.append((flavor, client, op))
    return out


def uid():
    return uuid.uuid4().hex[:10]


def sorted_records(recs):
    return sorted(tuple(r) for r in recs)


# -- running client processes ---------------------------------------------------

def run_json(cmd, env=None, timeout=RUN_TIMEOUT):
    """Run a client; its last stdout line is a JSON object. Raises with the
    client's error and stderr tail if it failed."""
    try:
        res = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{cmd[:3]} timed out after {timeout}s; stderr: "
                             f"{(exc.stderr or b'')[-1500:]!r}") from None
    lines = res.stdout.decode(errors="replace").strip().splitlines()
    out = None
    if lines:
        try:
            out = json.loads(lines[-1])
        except ValueError:
            pass
    if res.returncode != 0 or out is None or "error" in out:
        why = out.get("error") if out else f"no JSON result, exit {res.returncode}"
        raise ClientFailed(f"{os.path.basename(str(cmd[0]))} {cmd[1]}: {why}\n"
                           f"stderr: {res.stderr.decode(errors='replace')[-1500:]}")
    return out


class ClientFailed(AssertionError):
    pass


def rdk(version):
    flavor = {"2.0.2": "debian", "2.15.1": "modern"}[version]
    return str(BUILD_DIR / flavor / "rdk_client")


def py(lib, op, bs, *args):
    return ["/usr/bin/python3", str(CLIENTS_DIR / "py_client.py"), lib, op,
            "--bootstrap", bs, *args]


def js(op, bs, topic="-", group="-", n=0, acks="-", idem="0", prefix="v"):
    return [require_tool("node"), str(CLIENTS_DIR / "js_client.js"), op, bs, topic,
            group, str(n), acks, idem, prefix]


JS_ENV = dict(os.environ, NODE_PATH=str(NPM_MODULES))


# -- the oracle: what the cluster holds, read directly ------------------------------

def oracle_records(env, topic):
    return run_json([str(ORACLE), "consume", "-b", env.direct, "-t", topic])["records"]


def oracle_committed(env, topic, group):
    return run_json([str(ORACLE), "committed", "-b", env.direct, "-t", topic, "-g",
                     group])["committed"]


def seed(env, topic, n):
    """n keyed records into topic, directly; returns them as the cluster holds them."""
    run_json([str(ORACLE), "produce", "-b", env.direct, "-t", topic, "-n", str(n),
              "-p", "seed"])
    return oracle_records(env, topic)


# -- kcat ---------------------------------------------------------------------------

KCAT_FMT = "%p\t%o\t%k\t%s\n"


def kcat_records(text):
    out = []
    for line in text.splitlines():
        p, o, k, v = line.split("\t")
        out.append([int(p), int(o), k or None, v])
    return out


def kcat_produce(bs, topic, n, acks, idempotent):
    cmd = [require_tool("kcat"), "-P", "-b", bs, "-t", topic, "-K", ":",
           "-X", f"acks={acks}", "-X", "linger.ms=5"]
    if idempotent:
        cmd += ["-X", "enable.idempotence=true"]
    data = "".join(f"k{i % 5}:v{i}\n" for i in range(n)).encode()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(data)
    proc.stdin.flush()
    if acks == "0":
        # kcat exits at end of input; let the mock read the records first
        # (see ACKS0_LINGER_MS in rdk_client.c)
        time.sleep(1)
    try:
        _, err = proc.communicate(timeout=RUN_TIMEOUT)  # closes stdin: end of input
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise ClientFailed("kcat -P did not finish") from None
    if proc.returncode != 0:
        raise ClientFailed(f"kcat -P exited {proc.returncode}: {err[-1500:]!r}")


def kcat_consume(bs, topic):
    res = subprocess.run([require_tool("kcat"), "-C", "-b", bs, "-t", topic, "-o",
                          "beginning", "-e", "-q", "-f", KCAT_FMT],
                         capture_output=True, timeout=RUN_TIMEOUT)
    if res.returncode != 0:
        raise ClientFailed(f"kcat -C exited {res.returncode}: {res.stderr[-1500:]!r}")
    return kcat_records(res.stdout.decode())


def kcat_metadata(bs, topics):
    res = subprocess.run([require_tool("kcat"), "-L", "-J", "-b", bs],
                         capture_output=True, timeout=RUN_TIMEOUT)
    if res.returncode != 0:
        raise ClientFailed(f"kcat -L exited {res.returncode}: {res.stderr[-1500:]!r}")
    md = json.loads(res.stdout)
    brokers = []
    for b in md["brokers"]:
        host, port = b["name"].rsplit(":", 1)
        brokers.append([b["id"], host, int(port)])
    out = {}
    for t in md["topics"]:
        if t["topic"] in topics:
            out[t["topic"]] = {"error": 0, "partitions": [
                [p["partition"], p["leader"], [r["id"] for r in p.get("replicas", [])],
                 [r["id"] for r in p.get("isrs", [])]] for p in t["partitions"]]}
    return {"brokers": sorted(brokers), "topics": out}


class KcatMember:
    """A `kcat -G` balanced consumer; its assignment is read from the
    "% Group ... rebalanced ...: assigned: t [0], t [1]" lines it prints."""

    def __init__(self, bs, group, topic):
        self.proc = subprocess.Popen(
            [require_tool("kcat"), "-b", bs, "-G", group, "-u", "-f", KCAT_FMT,
             "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000",
             "-X", "heartbeat.interval.ms=500", "-X", "auto.commit.interval.ms=200", topic],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.records, self.assigned, self.log = [], 0, []
        threading.Thread(target=self._out, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _out(self):
        for line in self.proc.stdout:
            self.records += kcat_records(line.decode())

    def _err(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.log.append(line)
            m = re.search(r"rebalanced \(.*\): (assigned|revoked): (.*)", line)
            if m:
                self.assigned = m.group(2).count("[") if m.group(1) == "assigned" else 0

    def stop(self):
        """SIGTERM: kcat closes the consumer (commits, leaves the group)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise ClientFailed("kcat -G did not stop on SIGTERM")


def kcat_group(env, bs, topic, group, n):
    a = KcatMember(bs, group, topic)
    b = None
    try:
        wait_until(lambda: len(a.records) >= n and a.assigned == GROUP_PARTITIONS,
                   timeout=40, what=f"kcat member A: {n} records")
        sizes = [a.assigned]
        # kcat commits on a timer: wait for it before the rebalance, which
        # drops offsets not yet committed (the reassigned partitions would
        # be read again from the beginning)
        ends = {}
        for p, o, _, _ in a.records:
            ends[str(p)] = max(ends.get(str(p), 0), o + 1)
        wait_until(lambda: all(oracle_committed(env, topic, group).get(p) == o
                               for p, o in ends.items()),
                   timeout=20, what="kcat member A's commits")
        b = KcatMember(bs, group, topic)
        wait_until(lambda: a.assigned and b.assigned and
                   a.assigned + b.assigned == GROUP_PARTITIONS,
                   timeout=40, what="kcat members share the partitions")
        sizes += [a.assigned, b.assigned]
        b.stop()
        wait_until(lambda: a.assigned == GROUP_PARTITIONS, timeout=40,
                   what="kcat member A owns every partition again")
        sizes.append(a.assigned)
    except TimeoutError as exc:
        raise ClientFailed(f"{exc}\nA: {a.log[-5:]}\nB: {b.log[-5:] if b else ''}") from None
    finally:
        for m in (a, b):
            if m and m.proc.poll() is None:
                m.stop()
    # kcat commits when it closes; read the commits back from the cluster
    return {"records": a.records + b.records, "assignments": sizes,
            "committed": oracle_committed(env, topic, group)}


# -- one operation with one client ----------------------------------------------------

def client_produce(client, bs, topic, n, acks, idempotent):
    """Produce n records "k<i%5>"/"v<i>"; the client's delivery reports, or
    None if the client does not report them (kcat)."""
    if client == "kcat":
        kcat_produce(bs, topic, n, acks, idempotent)
        return None
    if client.startswith("rdk-"):
        cmd = [rdk(client[4:]), "produce", "-b", bs, "-t", topic, "-n", str(n), "-a", acks]
        return run_json(cmd + (["-I"] if idempotent else []))["delivered"]
    if client in ("confluent", "kafka-python"):
        cmd = py(client, "produce", bs, "--topic", topic, "-n", str(n), "--acks", acks)
        return run_json(cmd + (["--idempotent"] if idempotent else []))["delivered"]
    return run_json(js("produce", bs, topic, n=n, acks=acks, idem="1" if idempotent else "0"),
                    env=JS_ENV)["delivered"]


def client_consume(client, bs, topic):
    if client == "kcat":
        return kcat_consume(bs, topic)
    if client.startswith("rdk-"):
        return run_json([rdk(client[4:]), "consume", "-b", bs, "-t", topic])["records"]
    if client in ("confluent", "kafka-python"):
        return run_json(py(client, "consume", bs, "--topic", topic))["records"]
    return run_json(js("consume", bs, topic, group=f"jsread-{uid()}"), env=JS_ENV)["records"]


def client_group(env, client, bs, topic, group, n):
    if client == "kcat":
        return kcat_group(env, bs, topic, group, n)
    if client.startswith("rdk-"):
        return run_json([rdk(client[4:]), "group", "-b", bs, "-t", topic, "-g", group,
                         "-n", str(n)])
    if client in ("confluent", "kafka-python"):
        return run_json(py(client, "group", bs, "--topic", topic, "--group", group,
                           "-n", str(n)))
    return run_json(js("group", bs, topic, group=group, n=n), env=JS_ENV)


def client_metadata(client, bs, topics):
    if client == "kcat":
        return kcat_metadata(bs, topics)
    if client.startswith("rdk-"):
        args = [a for t in topics for a in ("-t", t)]
        return run_json([rdk(client[4:]), "metadata", "-b", bs, *args])
    if client in ("confluent", "kafka-python"):
        args = [a for t in topics for a in ("--topic", t)]
        return run_json(py(client, "metadata", bs, *args))
    return run_json(js("metadata", bs, ",".join(topics)), env=JS_ENV)


def client_txn(client, bs, topic, group, txn_id, n):
    if client.startswith("rdk-"):
        return run_json([rdk(client[4:]), "txn", "-b", bs, "-t", topic, "-g", group,
                         "-x", txn_id, "-n", str(n)])
    return run_json(py(client, "txn", bs, "--topic", topic, "--group", group,
                       "--txn-id", txn_id, "-n", str(n)))


# -- runs: one operation against one bootstrap, normalized ----------------------------

def run_produce(env, client, target, op):
    acks = {"produce-acks0": "0", "produce-acks1": "1"}.get(op, "all")
    topic = f"mx-{op}-{uid()}"
    env.clusters.ok(f"create legacy {topic} 3")
    delivered = client_produce(client, env.bootstrap(target), topic, N_PRODUCE, acks,
                               op == "produce-idempotent")
    # acks=0 is fire and forget: wait until the records are there
    stored = wait_until(lambda: (lambda r: r if len(r) >= N_PRODUCE else None)(
        oracle_records(env, topic)), timeout=20, what=f"{N_PRODUCE} records in {topic}")
    return {"delivered": sorted_records(delivered) if delivered is not None else None,
            "stored": sorted_records(stored)}


def check_produce(res, op):
    want = sorted((f"k{i % 5}", f"v{i}") for i in range(N_PRODUCE))
    assert sorted((r[2], r[3]) for r in res["stored"]) == want, "stored records differ"
    d = res["delivered"]
    if d is None:
        return
    if op == "produce-acks0":
        assert sorted((r[0], r[2], r[3]) for r in d) == \
            sorted((r[0], r[2], r[3]) for r in res["stored"]), "delivery reports differ"
    else:
        assert d == res["stored"], "reported offsets differ from the stored ones"


def run_consume(env, client, target, cell):
    topic = env.shared_topic(cell, 3, N_SEED)
    return {"records": sorted_records(client_consume(client, env.bootstrap(target), topic))}


def check_consume(res, seeded):
    assert res["records"] == sorted_records(seeded), "records differ from the seeded ones"


def run_group(env, client, target, cell):
    topic = env.shared_topic(cell, GROUP_PARTITIONS, N_SEED)
    group = f"mxg-{client}-{target}-{uid()}"
    out = client_group(env, client, env.bootstrap(target), topic, group, N_SEED)
    committed = {str(k): v for k, v in out["committed"].items()}
    a1, a2, b2, a3 = out["assignments"]
    return {"records": sorted(set(sorted_records(out["records"]))),
            "assignments": [a1, sorted([a2, b2]), a3],
            "committed": committed,
            "committed_direct": oracle_committed(env, topic, group)}


def check_group(res, seeded):
    assert res["records"] == sorted_records(seeded), "records differ from the seeded ones"
    p = GROUP_PARTITIONS
    a1, (x, y), a3 = res["assignments"]
    assert a1 == p and a3 == p and x > 0 and y > 0 and x + y == p, \
        f"assignments {res['assignments']}"
    ends = {str(q): 0 for q in range(p)}
    for r in seeded:
        ends[str(r[0])] = max(ends[str(r[0])], r[1] + 1)
    for who, got in (("on the cluster", res["committed_direct"]),
                     ("as the client reports", res["committed"])):
        for q, end in ends.items():
            # a partition without records has nothing to commit
            ok = got.get(q) == end if end else got.get(q) in (None, -1, -1001, 0)
            assert ok, f"committed offsets {who}: {got}, want {ends}"


def run_metadata(env, client, target):
    md = client_metadata(client, env.bootstrap(target), env.md_topics)
    real = target == "direct"
    brokers, other = [], []
    for bid, host, port in md["brokers"]:
        if real:
            assert (host, port) == env.clusters.broker_addr("legacy", bid), (bid, host, port)
            brokers.append(bid)
        else:
            assert host == "127.0.0.1" and port == env.vid_port(bid), \
                f"broker {bid} at {host}:{port} is not turnout's listener"
            cluster, broker, _ = env.vid_info(bid)
            # turnout's merged view lists both clusters' brokers (a group's
            # coordinator may be on either); the layout compared is legacy's
            (brokers if cluster == "legacy" else other).append(broker)
    if not real:
        assert sorted(other) == [1, 2, 3], f"target brokers listed: {other}"
    ids = (lambda i: i) if real else env.real_id
    topics = {}
    for name, t in md["topics"].items():
        topics[name] = [[p, ids(leader), sorted(map(ids, reps)), sorted(map(ids, isr))]
                        for p, leader, reps, isr in t["partitions"]]
    return {"brokers": sorted(brokers), "topics": topics}


def check_metadata(res, env):
    assert res["brokers"] == [1, 2, 3], res["brokers"]
    assert res["topics"] == env.md_layout, "topic layout"


def run_txn(env, client, target):
    topic = f"mxt-{uid()}"
    env.clusters.ok(f"create legacy {topic} 2")
    group = f"mxtg-{uid()}"
    out = client_txn(client, env.bootstrap(target), topic, group, f"txn-{uid()}", N_TXN)
    return {"read_committed": sorted_records(out["read_committed"]),
            "read_uncommitted": sorted_records(out["read_uncommitted"]),
            "group_offsets": {str(k): v for k, v in out["group_offsets"].items()}}


def check_txn(res, flavor):
    values = sorted(r[3] for r in res["read_uncommitted"])
    assert values == sorted(f"{p}{i}" for p in "cad" for i in range(N_TXN)), values
    # Neither mock implements these (see TXN_MOCK_NOTE); asserted exactly so
    # a mock that starts to will fail here and the test can be sharpened.
    assert res["read_committed"] == res["read_uncommitted"], "read_committed view"
    assert set(res["group_offsets"].values()) == {-1001}, res["group_offsets"]
    # EndTxn makes the 2.15.1 mock write a control record per partition and
    # transaction (offsets skip them); the 2.0.2 mock writes none.
    gaps = 0
    for part in {r[0] for r in res["read_uncommitted"]}:
        offsets = sorted(r[1] for r in res["read_uncommitted"] if r[0] == part)
        gaps += offsets[-1] + 1 - len(offsets)
    assert (gaps > 0) == (flavor == "modern"), f"{gaps} offsets taken by control records"


# -- a flavor's shared cluster and turnout ------------------------------------------------

class Env:
    """One mockcluster + turnout of a flavor, shared by every cell."""

    def __init__(self, flavor, clusters, turnout):
        self.flavor = flavor
        self.clusters = clusters
        self.turnout = turnout
        self.direct = clusters.bootstrap("legacy")
        self._lock = threading.Lock()
        self._shared = {}
        self._vids = None
        # metadata cells list these; leaders are placed on purpose
        tag = uid()
        self.md_topics = [f"mxmd-a-{tag}", f"mxmd-b-{tag}"]
        clusters.ok(f"create legacy {self.md_topics[0]} 3")
        clusters.ok(f"create legacy {self.md_topics[1]} 1 2")
        for part, leader in ((0, 3), (1, 1), (2, 2)):
            clusters.ok(f"leader legacy {self.md_topics[0]} {part} {leader}")
        clusters.ok(f"leader legacy {self.md_topics[1]} 0 2")
        md = run_json([str(ORACLE), "metadata", "-b", self.direct,
                       *[a for t in self.md_topics for a in ("-t", t)]])
        self.md_layout = {name: [[p, leader, sorted(reps), sorted(isr)]
                                 for p, leader, reps, isr in t["partitions"]]
                          for name, t in md["topics"].items()}
        assert [row[1] for row in self.md_layout[self.md_topics[0]]] == [3, 1, 2]

    def bootstrap(self, target):
        return self.direct if target == "direct" else self.turnout.bootstrap

    def shared_topic(self, cell, partitions, n):
        """A topic seeded once for both runs of a cell; returns its name."""
        with self._lock:
            entry = self._shared.get(cell)
            if entry is None:
                entry = self._shared[cell] = {"lock": threading.Lock(), "topic": None}
        with entry["lock"]:
            if entry["topic"] is None:
                topic = f"mxs-{uid()}"
                self.clusters.ok(f"create legacy {topic} {partitions}")
                entry["seeded"] = seed(self, topic, n)
                entry["topic"] = topic
            return entry["topic"]

    def seeded(self, cell):
        return self._shared[cell]["seeded"]

    def _vid_table(self):
        if self._vids is None:  # the brokers listed do not change during the matrix
            self._vids = self.turnout.vbrokers()
        return self._vids

    def real_id(self, vid):
        if vid < 0:
            return vid
        cluster, broker, _ = self._vid_table()[vid]
        assert cluster == "legacy", f"vid {vid} belongs to {cluster}"
        return broker

    def vid_info(self, vid):
        return self._vid_table()[vid]

    def vid_port(self, vid):
        return self._vid_table()[vid][2]


# -- cells ----------------------------------------------------------------------------

class Cell:
    def __init__(self, flavor, client, op):
        self.flavor, self.client, self.op = flavor, client, op
        self.results = {}    # target -> normalized result
        self.errors = {}     # target -> error text
        self.seconds = {}    # target -> run time
        self.verdict = None  # "ok", "mock-fails", or a failure message
        self.note = ""

    @property
    def key(self):
        return (self.flavor, self.client, self.op)

    @property
    def id(self):
        return f"{self.flavor}-{self.client}-{self.op}"

    def passed(self):
        return self.verdict in ("ok", "mock-fails")


def run_once(env, cell, target):
    op, client = cell.op, cell.client
    if op.startswith("produce-"):
        return run_produce(env, client, target, op)
    if op == "consume":
        return run_consume(env, client, target, cell.key)
    if op == "group":
        return run_group(env, client, target, cell.key)
    if op == "metadata":
        return run_metadata(env, client, target)
    return run_txn(env, client, target)


def judge(env, cell):
    """The cell's verdict from its two runs."""
    expected_failure = MOCK_FAILS.get(cell.key)
    if expected_failure:
        for target in ("direct", "turnout"):
            if target in cell.results:
                return f"{target} run succeeded, but the mock was expected to fail it"
            if not re.search(expected_failure, cell.errors[target]):
                return f"{target} run failed differently: {cell.errors[target][:300]}"
        cell.note = "both fail: " + expected_failure
        return "mock-fails"
    if cell.errors:
        return "; ".join(f"{t}: {e}" for t, e in sorted(cell.errors.items()))
    direct, through = cell.results["direct"], cell.results["turnout"]
    try:
        for target, res in (("direct", direct), ("turnout", through)):
            try:
                if cell.op.startswith("produce-"):
                    check_produce(res, cell.op)
                elif cell.op in ("consume", "group"):
                    (check_consume if cell.op == "consume" else check_group)(
                        res, env.seeded(cell.key))
                elif cell.op == "metadata":
                    check_metadata(res, env)
                else:
                    check_txn(res, env.flavor)
                    cell.note = TXN_MOCK_NOTE
            except AssertionError as exc:
                raise AssertionError(f"{target} run: {exc}") from None
    except AssertionError as exc:
        return str(exc)
    if direct != through:
        diff = [k for k in direct if direct[k] != through.get(k)]
        return f"direct and turnout results differ in {diff}: {direct} vs {through}"
    return "ok"


def run_matrix(envs, selected):
    """Runs every selected cell (both targets) on the envs {flavor: Env} in
    one pool; returns {cell key: Cell}."""
    cells_by_key = {k: Cell(*k) for k in selected}

    def one(cell, target):
        start = time.monotonic()
        try:
            cell.results[target] = run_once(envs[cell.flavor], cell, target)
        except AssertionError as exc:
            cell.errors[target] = str(exc)
        except Exception as exc:  # noqa: BLE001 - any failure is this cell's
            cell.errors[target] = f"{type(exc).__name__}: {exc}"
        cell.seconds[target] = time.monotonic() - start

    # slow cells first, so the pool does not end on a long tail
    order = sorted(((c, t) for c in cells_by_key.values() for t in ("direct", "turnout")),
                   key=lambda ct: ct[0].op != "group")
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for f in [pool.submit(one, c, t) for c, t in order]:
            f.result()
    for cell in cells_by_key.values():
        cell.verdict = judge(envs[cell.flavor], cell)
    return cells_by_key


# -- the table ------------------------------------------------------------------------

def table(cells_by_key, seconds=None):
    """Markdown table: client × op × flavor → direct / turnout / verdict."""
    lines = ["| flavor | client | operation | direct | turnout | verdict | note |",
             "|---|---|---|---|---|---|---|"]
    flavors = sorted({k[0] for k in cells_by_key})
    for flavor in flavors:
        for client in CLIENTS:
            for op in OPS:
                na = NOT_APPLICABLE.get((client, op))
                if na:
                    lines.append(f"| {flavor} | {client} | {op} | n/a | n/a | n/a | {na} |")
                    continue
                cell = cells_by_key.get((flavor, client, op))
                if cell is None:
                    continue

                def run_state(target):
                    if target in cell.results:
                        return f"ok {cell.seconds[target]:.1f}s"
                    return f"error {cell.seconds.get(target, 0):.1f}s"
                verdict = {"ok": "same", "mock-fails": "same (mock fails)"}.get(
                    cell.verdict, "MISMATCH")
                note = cell.note if cell.passed() else cell.verdict.splitlines()[0][:160]
                lines.append(f"| {flavor} | {client} | {op} | {run_state('direct')} | "
                             f"{run_state('turnout')} | {verdict} | {note} |")
    if seconds is not None:
        lines.append("")
        lines.append(f"matrix wall time: {seconds:.0f}s for {len(cells_by_key)} cells "
                     f"({2 * len(cells_by_key)} runs, {WORKERS} at a time)")
    return "\n".join(lines)
