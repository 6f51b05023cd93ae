"""turnout's codec against real brokers: tests/peer/wire_peer.c sends every
request the codec knows at every version it shares with the mock broker and
checks the decoded answers. Runs on both cluster flavours."""
import re
import subprocess

from harness import REPO, unique_topic

PEER = REPO / "build" / "asan" / "wire_peer"


def test_codec_against_mock_broker(clusters):
    assert PEER.exists(), "build/asan/wire_peer missing: run make"
    topic = unique_topic()
    assert clusters.cmd("create legacy %s 3" % topic).startswith("OK")
    proc = subprocess.run(
        [str(PEER), clusters.bootstrap("legacy"), topic, "--peer", clusters.flavor],
        capture_output=True, text=True, timeout=120)
    out = proc.stdout
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert not fails, "\n".join(fails) + "\n" + proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r"^(\d+) passed, (\d+) failed$", out, re.M)
    assert m and m.group(2) == "0"
    passed = int(m.group(1))
    # Both peers speak at least these; the modern one many more versions.
    apis = set(re.findall(r"^ok\s+(\w+) v\d+", out, re.M))
    # (neither mock implements DescribeGroups or DescribeCluster; 2.0.2 has
    # no OffsetForLeaderEpoch)
    wanted = ["ApiVersions", "Metadata", "Produce", "Fetch", "ListOffsets",
              "FindCoordinator", "OffsetCommit", "OffsetFetch", "JoinGroup",
              "SyncGroup", "Heartbeat", "LeaveGroup", "InitProducerId"]
    if clusters.flavor == "modern":
        wanted.append("OffsetForLeaderEpoch")
    for api in wanted:
        assert api in apis, "%s never exercised:\n%s" % (api, out)
    # the whole group membership ran: join, sync, heartbeat and leave as a member
    assert out.count("ok   JoinGroup") >= 1 and out.count("ok   SyncGroup") >= 2, out
    assert passed >= (140 if clusters.flavor == "modern" else 90), out
    if clusters.flavor == "modern":
        # flexible versions were really spoken
        for needle in ("Metadata v12", "Fetch v16", "Produce v10", "OffsetCommit v9"):
            assert re.search(r"^ok\s+%s$" % needle, out, re.M), needle
