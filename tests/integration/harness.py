"""Test harness: start mockcluster, drive it, and talk to its brokers.

The integration tests run real clients (kcat, confluent-kafka-python,
kafka-python, kafkajs) against the two librdkafka mock clusters that
tests/cluster/mockcluster starts. This module owns that process: it parses
the BOOTSTRAP/BROKER/READY lines, sends control commands over its stdin, and
stops it at teardown, failing the test if it did not exit cleanly.

Everything here fails loudly: a missing binary or a cluster that does not
come up is a test failure with a message saying what to do, never a skip.
"""

import os
import queue
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REPO = REPO_ROOT  # shorter alias used by other test modules
BUILD_DIR = REPO_ROOT / "build"
JS_DIR = Path(__file__).resolve().parent / "js"
NPM_MODULES = BUILD_DIR / "npm" / "node_modules"

# debian: Debian bookworm's librdkafka 2.0.2; modern: 2.15.1 built by
# scripts/build-librdkafka.sh. The mock brokers differ between the two.
FLAVORS = ("debian", "modern")
CLUSTER_NAMES = ("legacy", "target")

# Consumers in every test use this, so a group forms and recovers quickly.
SESSION_TIMEOUT_MS = 6000


def mockcluster_path(flavor):
    """Path of the mockcluster binary of a flavor; fails if it is missing."""
    if flavor not in FLAVORS:
        raise ValueError(f"unknown flavor {flavor!r}, want one of {FLAVORS}")
    path = BUILD_DIR / flavor / "mockcluster"
    if not os.access(path, os.X_OK):
        raise AssertionError(
            f"{path} is missing: run `make` (and scripts/deps.sh once) "
            f"in {REPO_ROOT} first")
    return path


def require_tool(name):
    """Absolute path of a program on PATH; fails with a hint if absent."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} not found: run scripts/deps.sh")
    return path


def wait_until(pred, timeout=10.0, interval=0.1, what=None):
    """Call pred() until it returns a true value, and return that value.

    Exceptions from pred count as "not yet"; on timeout the last value or
    exception is part of the error message. what may be a function, called
    only on timeout (a log read then, not when the wait began).
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - reported on timeout
            last = exc
        if time.monotonic() >= deadline:
            name = (what() if callable(what) else what) or getattr(
                pred, "__name__", repr(pred))
            raise TimeoutError(
                f"timed out after {timeout:.1f}s waiting for {name}; "
                f"last result: {last!r}")
        time.sleep(interval)


def unique_topic(prefix="topic"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_group(prefix="group"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Clusters:
    """One mockcluster process: two mock clusters, 'legacy' and 'target'.

    Usage: c = Clusters("modern", log_dir); c.start(); c.bootstrap("legacy");
    c.cmd("down legacy 2"); ...; c.stop().
    """

    def __init__(self, flavor, log_dir, brokers=3, args=()):
        self.flavor = flavor
        self.binary = mockcluster_path(flavor)
        self.broker_cnt = brokers
        self.args = list(args)
        self.log_path = Path(log_dir) / f"mockcluster-{flavor}.log"
        self.version = None            # librdkafka version the mock runs
        self._bootstrap = {}           # cluster name -> bootstrap string
        self._brokers = {}             # cluster name -> {id: (host, port)}
        self._proc = None
        self._log = None
        self._lines = queue.Queue()    # stdout lines; None marks EOF
        self._cmd_lock = threading.Lock()

    # -- life cycle -------------------------------------------------------

    def start(self, timeout=15.0):
        cmd = [str(self.binary), "--brokers", str(self.broker_cnt), *self.args]
        self._log = open(self.log_path, "wb")
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, bufsize=0)
        threading.Thread(target=self._read_stdout, daemon=True,
                         name=f"mockcluster-{self.flavor}").start()

        deadline = time.monotonic() + timeout
        while True:
            line = self._next_line(deadline - time.monotonic(), "READY")
            word = line.split(" ", 1)[0]
            if word == "READY":
                break
            if word == "VERSION":
                self.version = line.split()[-1]
            elif word == "BOOTSTRAP":
                _, name, servers = line.split()
                self._bootstrap[name] = servers
            elif word == "BROKER":
                _, name, bid, addr = line.split()
                host, port = addr.rsplit(":", 1)
                self._brokers.setdefault(name, {})[int(bid)] = (host, int(port))
            else:
                raise AssertionError(
                    f"unexpected mockcluster line before READY: {line!r}")
        for name in CLUSTER_NAMES:
            if name not in self._bootstrap or name not in self._brokers:
                raise AssertionError(
                    f"mockcluster did not announce cluster {name}; "
                    f"{self.stderr_tail()}")
        return self

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after timeout. Returns the exit status."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self._log.close()
        return proc.returncode

    def alive(self):
        return self._proc is not None and self._proc.poll() is None

    # -- what the clusters look like --------------------------------------

    def bootstrap(self, name):
        return self._bootstrap[name]

    def brokers(self, name):
        """{broker_id: (host, port)} of a cluster."""
        return dict(self._brokers[name])

    def broker_addr(self, name, broker_id):
        return self._brokers[name][broker_id]

    # -- control ------------------------------------------------------------

    def cmd(self, line, timeout=10.0):
        """Send one command; return its reply line ("OK ..." or "ERR ...")."""
        with self._cmd_lock:
            if not self.alive():
                raise AssertionError(
                    f"mockcluster is not running; {self.stderr_tail()}")
            self._proc.stdin.write(line.encode() + b"\n")
            self._proc.stdin.flush()
            return self._next_line(timeout, f"reply to {line!r}")

    def ok(self, line, timeout=10.0):
        """cmd() that must succeed; returns the text after "OK "."""
        reply = self.cmd(line, timeout)
        assert reply.startswith("OK"), f"{line!r} -> {reply!r}"
        return reply[3:]

    def stderr_tail(self, n=20):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no mockcluster log)"
        tail = "\n".join(text.splitlines()[-n:])
        return f"mockcluster stderr ({self.log_path}):\n{tail}"

    def _read_stdout(self):
        for raw in self._proc.stdout:
            self._lines.put(raw.decode(errors="replace").rstrip("\n"))
        self._lines.put(None)

    def _next_line(self, timeout, waiting_for):
        try:
            line = self._lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            raise AssertionError(
                f"mockcluster: no {waiting_for} within {timeout:.1f}s; "
                f"{self.stderr_tail()}") from None
        if line is None:
            self._lines.put(None)   # keep EOF visible to later calls
            raise AssertionError(
                f"mockcluster exited (status {self._proc.poll()}) while "
                f"waiting for {waiting_for}; {self.stderr_tail()}")
        return line


# -- clients ----------------------------------------------------------------

def run(cmd, timeout=30.0, input=None, env=None):
    """Run a program; fail with its output if it fails or times out."""
    try:
        res = subprocess.run(cmd, input=input, capture_output=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{cmd[0]} timed out after {timeout}s: {cmd}\n"
            f"stderr: {exc.stderr!r}") from None
    if res.returncode != 0:
        raise AssertionError(
            f"{cmd} exited {res.returncode}\nstdout: {res.stdout[-2000:]!r}\n"
            f"stderr: {res.stderr[-2000:]!r}")
    return res


def kcat_produce(bootstrap, topic, payloads, timeout=30.0):
    """Produce newline-free payloads (str) with kcat, acks=all."""
    data = "".join(p + "\n" for p in payloads).encode()
    run([require_tool("kcat"), "-P", "-b", bootstrap, "-t", topic,
         "-X", "acks=all", "-X", "topic.metadata.refresh.interval.ms=1000"],
        timeout=timeout, input=data)


def kcat_consume(bootstrap, topic, timeout=30.0):
    """Every record of topic, from the beginning to the current end."""
    res = run([require_tool("kcat"), "-C", "-b", bootstrap, "-t", topic,
               "-o", "beginning", "-e", "-q", "-f", "%s\n"], timeout=timeout)
    return res.stdout.decode().splitlines()


def kcat_metadata(bootstrap, timeout=30.0):
    res = run([require_tool("kcat"), "-L", "-b", bootstrap], timeout=timeout)
    return res.stdout.decode()


def listen_backlog(port):
    """The kernel's accept-queue limit of the socket listening on port, as
    `ss` reports it (Send-Q of a LISTEN row), or None if nothing listens."""
    res = run([require_tool("ss"), "-Hltn", f"sport = :{port}"], timeout=10)
    rows = [r.split() for r in res.stdout.decode().splitlines() if r.strip()]
    if not rows:
        return None
    assert len(rows) == 1 and rows[0][0] == "LISTEN", rows
    return int(rows[0][2])


def expected_backlog():
    """What listen(fd, SOMAXCONN) yields here: the kernel caps it at
    net.core.somaxconn."""
    somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
    return min(socket.SOMAXCONN, somaxconn)


# -- raw Kafka protocol, for checks below the client libraries -----------------

def _kafka_str(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def kafka_request(api_key, version, correlation_id, body=b"",
                  client_id="harness"):
    """A complete request frame with a v1 (non-flexible) header."""
    hdr = struct.pack(">hhi", api_key, version, correlation_id)
    hdr += _kafka_str(client_id)
    msg = hdr + body
    return struct.pack(">i", len(msg)) + msg


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"peer closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def kafka_roundtrip(addr, frame, timeout=5.0):
    """Send one request frame; return (correlation_id, response body)."""
    with socket.create_connection(addr, timeout=timeout) as s:
        s.sendall(frame)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        payload = recv_exact(s, size)
    return struct.unpack(">i", payload[:4])[0], payload[4:]


def api_versions_v0(addr, timeout=5.0):
    """{api_key: (min, max)} advertised by one broker (ApiVersions v0)."""
    cid, body = kafka_roundtrip(addr, kafka_request(18, 0, 7), timeout)
    assert cid == 7, f"correlation id {cid}, expected 7"
    err, cnt = struct.unpack(">hi", body[:6])
    assert err == 0, f"ApiVersions error {err}"
    out = {}
    for i in range(cnt):
        key, lo, hi = struct.unpack(">hhh", body[6 + 6 * i:12 + 6 * i])
        out[key] = (lo, hi)
    return out


def find_coordinator_v0(addr, group, timeout=5.0):
    """(error_code, node_id, host, port) of a group's coordinator."""
    cid, body = kafka_roundtrip(addr, kafka_request(10, 0, 9, _kafka_str(group)),
                                timeout)
    assert cid == 9, f"correlation id {cid}, expected 9"
    err, node = struct.unpack(">hi", body[:6])
    hlen = struct.unpack(">h", body[6:8])[0]
    host = body[8:8 + hlen].decode()
    port = struct.unpack(">i", body[8 + hlen:12 + hlen])[0]
    return err, node, host, port
