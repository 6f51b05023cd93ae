"""Virtual brokers appear, retire and return with the cluster's brokers.

turnout listens once per real broker. A broker that is missing from its
cluster's metadata for VBROKER_RETIRE_AFTER (3) discovery refreshes is
retired: its listener closes and so do the client connections bound to it,
with a logged reason. If it comes back it gets the same vid and the same
port. Vids are unique across both clusters and never reused.

The broker life cycle commands (hide, decommission, add) exist in the 2.15.1
mock only; the 2.0.2 mock keeps listing a broker that is down, so there a
down broker keeps its virtual broker (and clients get a refused upstream).
"""
import json
import re
import socket
import struct
import subprocess
import time

import pytest

from harness import (BUILD_DIR, api_versions_v0, kafka_request, recv_exact,
                     unique_topic, wait_until)
from turnout_proc import Turnout

RDK = BUILD_DIR / "modern" / "rdk_client"
REFRESH_MS = 1000  # the smallest metadata_refresh_ms config accepts


def rdk(*args, timeout=60):
    res = subprocess.run([str(RDK), *args], capture_output=True, timeout=timeout)
    out = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert res.returncode == 0 and "error" not in out, (out, res.stderr[-2000:])
    return out


def metadata_through(t, *topics, cluster="legacy"):
    """({vid: port} of cluster's brokers listed, topics). turnout lists both
    clusters' brokers; these tests change legacy's."""
    md = rdk("metadata", "-b", t.bootstrap, *[a for x in topics for a in ("-t", x)])
    table = t.vbrokers()
    return ({b[0]: b[2] for b in md["brokers"] if table[b[0]][0] == cluster}, md["topics"])


def api_versions_ok(port):
    """One ApiVersions round trip on a fresh connection to port."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(kafka_request(18, 0, 3))
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        return struct.unpack(">i", recv_exact(s, size)[:4])[0] == 3


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def closed_by_peer(sock, timeout=10):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def open_session(port):
    """A client connection with a live upstream (one Metadata round trip)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(kafka_request(3, 1, 11, struct.pack(">i", 0)))
    size = struct.unpack(">i", recv_exact(s, 4))[0]
    recv_exact(s, size)
    return s


@pytest.fixture
def fast_turnout(clusters, tmp_path):
    t = Turnout(clusters, tmp_path, extra={"metadata_refresh_ms": REFRESH_MS}).start()
    yield t
    status = t.stop()
    assert status == 0, f"turnout exited with {status}:\n{t.log_text()[-4000:]}"


def test_vids_unique_across_clusters(clusters, fast_turnout):
    vb = fast_turnout.vbrokers()
    pairs = sorted(vb.values())
    assert sorted((c, b) for c, b, _ in pairs) == \
        [(c, b) for c in ("legacy", "target") for b in (1, 2, 3)]
    assert sorted(vb) == [1, 2, 3, 4, 5, 6]
    assert len({p for _, _, p in pairs}) == 6
    real = {p for c in ("legacy", "target") for _, p in clusters.brokers(c).values()}
    assert not real & {p for _, _, p in pairs}


def wait_log(t, pattern, timeout=10):
    return wait_until(lambda: re.search(pattern, t.log_text()), timeout=timeout,
                      what=f"turnout log {pattern!r}")


@pytest.mark.parametrize("flavor", ["modern"])
def test_hidden_and_decommissioned_brokers_retire_and_return(clusters, fast_turnout):
    t = fast_turnout
    vids = {b: t.vid_of("legacy", b) for b in (1, 2, 3)}
    ports = {b: t.vbrokers()[vids[b]][2] for b in (1, 2, 3)}
    bystander = open_session(ports[1])
    doomed = open_session(ports[3])
    doomed_boot = None
    # a bootstrap client whose upstream is broker 3 (bootstrap clients are
    # spread round robin over the brokers)
    for _ in range(6):
        s = open_session(t.port)
        log = t.log_text()
        last = re.findall(r"client=(\d+) event=connected .*listener=bootstrap0 "
                          r"cluster=legacy broker=(\d+)", log)[-1]
        if last[1] == "3":
            doomed_boot = s
            break
        s.close()
    assert doomed_boot is not None

    # hidden from Metadata but still serving: turnout stops offering it
    clusters.ok("hide legacy 3")
    wait_log(t, rf"event=vbroker_retired vid={vids[3]} cluster=legacy broker=3 "
                rf"listen=127.0.0.1:{ports[3]} missing_refreshes=3")
    assert closed_by_peer(doomed) and closed_by_peer(doomed_boot)
    assert t.log_text().count(f'reason="virtual broker {vids[3]} retired: legacy broker 3 '
                              f'left the metadata"') == 2
    assert refused(ports[3])
    brokers, _ = metadata_through(t)
    assert brokers == {vids[1]: ports[1], vids[2]: ports[2]}
    # the other connection is untouched and still talks to its broker
    bystander.sendall(kafka_request(18, 0, 12))
    size = struct.unpack(">i", recv_exact(bystander, 4))[0]
    assert struct.unpack(">i", recv_exact(bystander, size)[:4])[0] == 12
    bystander.close()

    # decommissioned, then added back on a new real port
    clusters.ok("decommission legacy 2")
    wait_log(t, rf"event=vbroker_retired vid={vids[2]} cluster=legacy broker=2")
    assert refused(ports[2])
    reply = clusters.ok("add legacy 2")
    new_real = int(reply.rsplit(":", 1)[1])
    wait_log(t, rf"event=broker_address cluster=legacy broker=2 vid={vids[2]} "
                rf"address=127.0.0.1:{new_real}")
    wait_log(t, rf"event=vbroker_returned vid={vids[2]} cluster=legacy broker=2")
    assert t.vbrokers()[vids[2]] == ("legacy", 2, ports[2]), "same vid, same port"
    open_session(ports[2]).close()
    brokers, _ = metadata_through(t)
    assert brokers == {vids[1]: ports[1], vids[2]: ports[2]}

    # records flow through the returned broker
    topic = unique_topic("ret")
    clusters.ok(f"create legacy {topic} 2")
    clusters.ok(f"leader legacy {topic} 0 2")
    clusters.ok(f"leader legacy {topic} 1 2")
    _, topics = metadata_through(t, topic)
    assert [p[1] for p in topics[topic]["partitions"]] == [vids[2], vids[2]]
    produced = rdk("produce", "-b", t.bootstrap, "-t", topic, "-n", "20")["delivered"]
    assert len(produced) == 20
    got = rdk("consume", "-b", t.bootstrap, "-t", topic)["records"]
    assert sorted(map(tuple, got)) == sorted(map(tuple, produced))

    # no vid was reused or moved
    vb = t.vbrokers()
    assert len(vb) == 6 and vb[vids[2]][:2] == ("legacy", 2)
    assert not re.search(r"vbroker_listening vid=[7-9]", t.log_text())
    assert t.alive()


@pytest.mark.parametrize("flavor", ["modern"])
def test_partition_past_leader_epoch_0_is_consumed(clusters, fast_turnout):
    """Metadata through turnout shows leader epochs as -1; librdkafka 2.15
    then fetches with CurrentLeaderEpoch 0, which a leader whose epoch went
    past 0 fences (FENCED_LEADER_EPOCH, forever) unless turnout clears it."""
    t = fast_turnout
    topic = unique_topic("epoch")
    clusters.ok(f"create legacy {topic} 1")
    clusters.ok(f"leader legacy {topic} 0 2")  # leader epoch 0 -> 1
    produced = rdk("produce", "-b", t.bootstrap, "-t", topic, "-n", "5")["delivered"]
    got = rdk("consume", "-b", t.bootstrap, "-t", topic, "-T", "15000")["records"]
    assert sorted(map(tuple, got)) == sorted(map(tuple, produced))


def test_down_broker_retires_only_where_metadata_drops_it(clusters, fast_turnout):
    """2.15.1 drops a down broker from Metadata: it retires and returns on
    `up`. 2.0.2 keeps listing it: its listener stays and a client gets a
    closed connection (upstream refused) until it is up again."""
    t = fast_turnout
    vid = t.vid_of("legacy", 2)
    port = t.vbrokers()[vid][2]
    clusters.ok("down legacy 2")
    if clusters.flavor == "modern":
        wait_log(t, rf"event=vbroker_retired vid={vid} ")
        assert refused(port)
    else:
        time.sleep(4 * REFRESH_MS / 1000)
        assert "event=vbroker_retired" not in t.log_text()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            start = time.monotonic()
            s.sendall(kafka_request(3, 1, 5, struct.pack(">i", 0)))
            assert closed_by_peer(s)
            assert time.monotonic() - start < 3, "not closed promptly"
        wait_log(t, r"reason=\"upstream legacy broker 2 \(127\.0\.0\.1:\d+\) unreachable\"")
    clusters.ok("up legacy 2")
    if clusters.flavor == "modern":
        wait_log(t, rf"event=vbroker_returned vid={vid} ")
    wait_until(lambda: open_session(port).close() is None and
               metadata_through(t)[0].get(vid) == port, timeout=10,
               what="the broker served again on its old port")


def test_lifecycle_commands_by_mock_version(clusters):
    """hide/decommission/add/controller drive the 2.15.1 mock only; the
    2.0.2 build refuses them by name instead of pretending."""
    replies = {}
    for cmd in ("hide legacy 1", "decommission legacy 1", "add legacy 1",
                "controller legacy 2"):
        replies[cmd.split()[0]] = reply = clusters.cmd(cmd)
        if clusters.flavor == "debian":
            assert reply == f"ERR {cmd.split()[0]} needs librdkafka 2.15 or later " \
                            f"(this is 2.0.2)", reply
        else:
            assert reply.startswith(f"OK {cmd}"), (cmd, reply)
    if clusters.flavor == "modern":
        # the re-added broker listens on the port the reply names
        port = int(replies["add"].rsplit(":", 1)[1])
        assert 18 in api_versions_v0(("127.0.0.1", port))
        assert clusters.cmd("add legacy 1").startswith("ERR")  # it exists again
