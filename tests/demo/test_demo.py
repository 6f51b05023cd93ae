"""`make demo` without a terminal: scripts/demo.sh --no-tty, as CI runs it.

The demo's verdict is checked twice: its own lines (lost 0, both flips done,
PASS, exit status 0) and, independently of the viewer's arithmetic, the
clients' raw output it leaves behind: every record number the producer saw
acknowledged was consumed, records went to both clusters, and the group
read from target after its flip. A second test interrupts a run in the
middle of the group flip and checks the demo stops every process it
started. Run with /usr/bin/python3 -m pytest tests/demo (about 70 s).
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "demo.sh"


def run_demo(out, **kw):
    return subprocess.Popen(["bash", str(SCRIPT), "--no-tty", "--out", str(out)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **kw)


def our_processes(out):
    """Processes still running that the demo started: their command lines
    name its output directory or one of its binaries in this checkout."""
    marks = [str(out), str(REPO / "build" / "modern" / "demo_client"),
             str(REPO / "build" / "modern" / "mm2mirror")]
    left = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(m in cmd for m in marks) and "pytest" not in cmd:
            left.append(f"{pid} {cmd}")
    return left


def numbers(path, word):
    """Record numbers of one kind of demo_client line ("ACK" or "GOT")."""
    got = []
    for line in path.read_text().splitlines():
        w = line.split()
        if len(w) >= 3 and w[1] == word:
            got.append(int(w[2]))
    return got


def test_demo_loses_nothing(tmp_path):
    out = tmp_path / "demo"
    p = run_demo(out)
    try:
        text, _ = p.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        raise AssertionError("the demo ran longer than 150 s")
    verdict = [ln for ln in text.splitlines() if ln.startswith("verdict:")]
    assert p.returncode == 0, text[-6000:]
    assert any(re.match(r"verdict: lost 0, re-read \d+", ln) for ln in verdict), verdict
    assert "verdict: step group flip: ok" in text, verdict
    assert "verdict: step producer flip: ok" in text, verdict
    assert verdict[-1].startswith("verdict: PASS"), verdict
    elapsed = int(re.search(r"PASS in (\d+) s", verdict[-1]).group(1))
    assert elapsed < 120, verdict[-1]

    # the raw facts, without the viewer's code
    acked = set(numbers(out / "producer.out", "ACK"))
    consumed = []
    for member in ("member-1", "member-2"):
        consumed += numbers(out / f"{member}.out", "GOT")
    assert len(acked) > 500, len(acked)
    assert acked <= set(consumed), sorted(acked - set(consumed))[:20]
    produced = re.search(r"produced (\d+) acknowledged \(legacy (\d+), target (\d+)", text)
    assert int(produced.group(1)) == len(acked), produced.group(0)
    assert int(produced.group(2)) > 0 and int(produced.group(3)) > 0, produced.group(0)
    reads = re.search(r"consumed (\d+) distinct in (\d+) reads \(legacy (\d+), target (\d+)",
                      text)
    assert int(reads.group(2)) == len(consumed), reads.group(0)
    assert int(reads.group(3)) > 0 and int(reads.group(4)) > 0, reads.group(0)
    # the flips were driven by turnout: translated, then served on target
    log = (out / "turnout-billing.log").read_text()
    assert "event=flip group=billing state=serving from=legacy to=target" in log
    assert "event=reload_applied" in (out / "turnout-orders-api.log").read_text()
    assert our_processes(out) == []


def test_demo_interrupted_mid_flip_cleans_up(tmp_path):
    out = tmp_path / "demo"
    p = run_demo(out)
    lines = []
    try:
        deadline = time.monotonic() + 60
        for line in p.stdout:
            lines.append(line)
            if "operator: edited" in line or time.monotonic() > deadline:
                break
        assert any("operator: edited" in ln for ln in lines), "".join(lines)[-4000:]
        assert our_processes(out), "the demo's processes should be running now"
        time.sleep(1)  # inside the flip: fetches held, translation running
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=45)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    text = "".join(lines) + rest
    assert p.returncode == 1, text[-4000:]
    assert "verdict: step interrupted: FAILED — by SIGINT" in text, text[-4000:]
    assert "verdict: lost unknown (interrupted" in text, text[-4000:]
    assert our_processes(out) == []
