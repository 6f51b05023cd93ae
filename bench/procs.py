"""The processes a benchmark run starts, and what /proc says about them.

turnout (the release build) and haproxy (Debian's, as a plain TCP relay)
each run as a child of the benchmark; the mock clusters come from
tests/integration/harness.py. CPU time is read from every thread's
schedstat (nanoseconds on CPU, user and kernel alike), memory from
/proc/PID/status (VmRSS now, VmHWM the peak so far).
"""

import json
import os
import re
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TURNOUT = REPO / "build" / "rel" / "turnout"
LOADGEN = REPO / "build" / "bench" / "loadgen"


def cpu_ns(pid):
    """Nanoseconds the process's threads have run so far."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just ended
    return total


def machine_cpu():
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])       # up to steal; guest time is inside user
    return total - idle, total


def children_cpu_s():
    """CPU seconds of every finished child (the load generator runs)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def memory_kb(pid):
    """{"rss": VmRSS, "hwm": VmHWM} in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss" if key == "VmRSS" else "hwm"] = int(value.split()[0])
    return out


def free_ports(n):
    """n distinct ports nothing listens on right now."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Child:
    """A long-running child process whose output goes to a log file."""

    def __init__(self, name, argv, log_path):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n"
                               f"{self.log_text()[-3000:]}")

    stop_signal = signal.SIGTERM

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None


class Turnout(Child):
    """turnout in front of both clusters; all traffic goes to legacy."""

    def __init__(self, clusters, workdir, tag):
        cfg = {
            "listen": "127.0.0.1:0",
            "default_cluster": "legacy",
            "admin": {"listen": "127.0.0.1:0"},  # never collide with another turnout
            "clusters": {name: {"bootstrap": clusters.bootstrap(name)}
                         for name in ("legacy", "target")},
        }
        path = Path(workdir) / f"turnout-{tag}.json"
        path.write_text(json.dumps(cfg))
        super().__init__("turnout", [TURNOUT, "run", "--config", path],
                         Path(workdir) / f"turnout-{tag}.log")
        self.bootstrap = None

    def start(self, timeout=20):
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"event=ready bootstrap=(\S+)", self.log_text())
            if m:
                self.bootstrap = m.group(1)
                return self
            self.check_alive()
            time.sleep(0.05)
        raise RuntimeError("turnout did not become ready:\n" + self.log_text()[-3000:])


class Haproxy(Child):
    """haproxy as a TCP relay: one frontend per broker of the target cluster,
    which advertises haproxy's ports so clients stay on the relay after
    bootstrap. One thread, like turnout's one event loop."""

    stop_signal = signal.SIGUSR1  # soft stop; exits 0 once connections are gone

    def __init__(self, clusters, workdir, tag, cluster="target"):
        brokers = clusters.brokers(cluster)
        self.ports = dict(zip(sorted(brokers), free_ports(len(brokers))))
        lines = ["global", "  nbthread 1", "  maxconn 4096",
                 "defaults", "  mode tcp", "  timeout connect 5s",
                 "  timeout client 1h", "  timeout server 1h"]
        for bid in sorted(brokers):
            host, port = brokers[bid]
            lines += [f"listen broker{bid}", f"  bind 127.0.0.1:{self.ports[bid]}",
                      f"  server b{bid} {host}:{port}"]
        path = Path(workdir) / f"haproxy-{tag}.cfg"
        path.write_text("\n".join(lines) + "\n")
        super().__init__("haproxy", ["haproxy", "-db", "-f", path],
                         Path(workdir) / f"haproxy-{tag}.log")
        self.clusters = clusters
        self.cluster = cluster
        self.bootstrap = f"127.0.0.1:{self.ports[min(self.ports)]}"

    def start(self, timeout=10):
        super().start()
        deadline = time.monotonic() + timeout
        pending = set(self.ports.values())
        while pending and time.monotonic() < deadline:
            self.check_alive()
            for port in list(pending):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    pending.discard(port)
                except OSError:
                    pass
            time.sleep(0.05)
        if pending:
            raise RuntimeError("haproxy is not listening:\n" + self.log_text())
        for bid, port in self.ports.items():
            self.clusters.ok(f"advertise {self.cluster} {bid} 127.0.0.1 {port}")
        return self


def version_of(argv, pattern=r"(\d+\.\d+[\w.\-+~]*)"):
    """First version-looking word a program prints about itself, or "?"."""
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    m = re.search(pattern, res.stdout + res.stderr)
    return m.group(1) if m else "?"
