#!/usr/bin/env python3
"""`make bench`: what turnout costs next to a direct connection and haproxy.

One run, three routes to the same kind of cluster (a 3-broker librdkafka
2.15.1 mock; see bench/README.md for why haproxy gets the second, identical
cluster of the same process):

  direct    client -> mock `legacy`
  turnout   client -> turnout -> mock `legacy`
  haproxy   client -> haproxy (TCP relay, one frontend per broker) -> mock
            `target`, which advertises haproxy's ports

Phase A repeats every workload `--reps` times with the routes interleaved
(the order rotates each repetition), because the machine is shared and only
numbers taken side by side can be compared: throughput of produce (100 B and
10 KB records, acks=all and acks=1) and consume (preloaded topics), latency
at 1k and 10k records/s, and the proxies' CPU time per GB. Phase B restarts
both proxies and measures memory: idle, with 100 and 1,000 idle client
connections, and while clients fetch Metadata for a 10,000-partition topic
(with a 1k/s produce stream running, whose worst latency shows stalls).

Writes results.json, results.md and bench.png to the results directory and,
for a full run, the table into README.md between the bench markers.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

import procs  # noqa: E402
import report  # noqa: E402
from harness import Clusters  # noqa: E402

ROUTES = ("direct", "turnout", "haproxy")

# Per mode: repetitions, seconds per produce run, latency warm-up and
# measured seconds, partitions of the preloaded topics, seconds per
# metadata run and repetitions of it.
MODES = {
    "full": dict(reps=3, produce_s=2.0, warmup_s=1.0, latency_s=5.0, preload_parts=48,
                 metadata_s=4.0, metadata_reps=3),
    "quick": dict(reps=1, produce_s=1.0, warmup_s=0.5, latency_s=2.0, preload_parts=12,
                  metadata_s=2.0, metadata_reps=1),
}
SIZES = (100, 10240)
# A partition of the mock keeps 5 MiB; preloads stay under 4 MiB each.
PARTITION_BUDGET = 4 << 20
RECORD_OVERHEAD = 16  # bytes a 100 B..10 KB record adds inside a batch (at most)
BIG_PARTITIONS = 10000


def log(msg):
    print(f"bench: {msg}", flush=True)


def loadgen(mode, *args, timeout=180):
    """Runs the load generator; returns its result line as a dict."""
    argv = [str(procs.LOADGEN), mode, *[str(a) for a in args]]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in res.stdout.splitlines() if line.startswith("result ")]
    if res.returncode != 0 or len(lines) != 1:
        raise RuntimeError(f"{' '.join(argv)} failed ({res.returncode}):\n"
                           f"{res.stdout[-2000:]}{res.stderr[-3000:]}")
    out = {}
    for word in lines[0].split()[1:]:
        key, _, value = word.partition("=")
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = value
    return out


class Bench:
    def __init__(self, mode, reps, outdir, workdir, only=None):
        self.mode = mode
        self.only = only  # run only workloads whose name starts with this
        self.p = dict(MODES[mode])
        if reps:
            self.p["reps"] = reps
        self.outdir = outdir
        self.workdir = workdir
        self.runs = []  # one dict per measured load generator run
        self.memory = {}
        self.topic_seq = 0

    # -- set-up -------------------------------------------------------------

    def start(self):
        self.clusters = Clusters("modern", self.workdir, brokers=3).start()
        log(f"mock clusters up (librdkafka {self.clusters.version})")
        self.preload()
        self.start_proxies("a")

    def start_proxies(self, tag):
        self.haproxy = procs.Haproxy(self.clusters, self.workdir, tag).start()
        self.turnout = procs.Turnout(self.clusters, self.workdir, tag).start()
        self.bootstrap = {"direct": self.clusters.bootstrap("legacy"),
                          "turnout": self.turnout.bootstrap,
                          "haproxy": self.haproxy.bootstrap}
        self.proc = {"turnout": self.turnout, "haproxy": self.haproxy}

    def stop_proxies(self):
        for p in (self.turnout, self.haproxy):
            rc = p.stop()
            if rc != 0:
                raise RuntimeError(f"{p.name} exited with {rc}:\n{p.log_text()[-3000:]}")

    def stop(self):
        for p in ("turnout", "haproxy"):
            if hasattr(self, p):
                getattr(self, p).stop()
        if hasattr(self, "clusters"):
            self.clusters.stop()

    def cluster_of(self, route):
        return "target" if route == "haproxy" else "legacy"

    def new_topic(self, route, prefix, partitions=3):
        self.topic_seq += 1
        name = f"{prefix}-{self.topic_seq}"
        self.clusters.ok(f"create {self.cluster_of(route)} {name} {partitions}")
        return name

    def preload(self):
        """Topics pre-100 and pre-10240 on both clusters, written directly
        before haproxy exists (so target still advertises its own ports)."""
        parts = self.p["preload_parts"]
        self.preloaded = {}
        for size in SIZES:
            per_part = PARTITION_BUDGET // (size + RECORD_OVERHEAD)
            count = per_part * parts
            for cluster in ("legacy", "target"):
                self.clusters.ok(f"create {cluster} pre-{size} {parts}")
                r = loadgen("preload", "--bootstrap", self.clusters.bootstrap(cluster),
                            "--topic", f"pre-{size}", "--size", size, "--partitions", parts,
                            "--count", count, "--acks", "all")
                assert r["msgs"] == count
            self.preloaded[size] = count
            log(f"preloaded {count} records of {size} B into {parts} partitions per cluster")

    # -- phase A: throughput, latency, CPU ------------------------------------

    def measure(self, workload, route, rep, mode, args):
        """One load generator run, with the CPU time every party spent on it:
        the proxy, the mock broker, the client, and the machine as a whole
        (other users of the machine included)."""
        proxy = self.proc.get(route)
        mock = self.clusters._proc.pid
        before = (procs.cpu_ns(proxy.pid) if proxy else 0, procs.cpu_ns(mock),
                  procs.children_cpu_s(), procs.machine_cpu())
        r = loadgen(mode, "--bootstrap", self.bootstrap[route], *args)
        after = (procs.cpu_ns(proxy.pid) if proxy else 0, procs.cpu_ns(mock),
                 procs.children_cpu_s(), procs.machine_cpu())
        if proxy:
            proxy.check_alive()
            r["proxy_cpu_s"] = (after[0] - before[0]) / 1e9
        r["broker_cpu_s"] = (after[1] - before[1]) / 1e9
        r["client_cpu_s"] = after[2] - before[2]
        busy, total = (after[3][i] - before[3][i] for i in (0, 1))
        r["machine_busy"] = busy / total if total else None
        self.runs.append({"workload": workload, "route": route, "rep": rep, **r})
        return r

    def phase_a(self):
        p = self.p
        workloads = []
        for size in SIZES:
            for acks in ("all", "1"):
                workloads.append((f"produce {report.size_label(size)} acks={acks}", "produce",
                                  lambda route, size=size, acks=acks: [
                                      "--topic", self.new_topic(route, "tp"), "--size", size,
                                      "--acks", acks, "--duration", p["produce_s"]]))
        for size in SIZES:
            workloads.append((f"consume {report.size_label(size)}", "consume",
                              lambda route, size=size: [
                                  "--topic", f"pre-{size}", "--expect",
                                  self.preloaded[size]]))
        for rate in (1000, 10000):
            workloads.append((f"latency {rate // 1000}k/s", "latency",
                              lambda route, rate=rate: [
                                  "--topic", self.new_topic(route, "lat"), "--rate", rate,
                                  "--size", 100, "--acks", "all", "--warmup", p["warmup_s"],
                                  "--duration", p["latency_s"]]))
        if self.only:
            workloads = [w for w in workloads if w[0].startswith(self.only)]
        for rep in range(p["reps"]):
            order = ROUTES[rep % 3:] + ROUTES[:rep % 3]
            for name, mode, args in workloads:
                for route in order:
                    r = self.measure(name, route, rep, mode, args(route))
                    log(f"rep {rep + 1}/{p['reps']} {name:24} {route:8} "
                        + report.brief(mode, r))
        self.memory["under_load"] = {k: procs.memory_kb(v.pid) for k, v in self.proc.items()}

    # -- phase B: memory and 10k-partition metadata ---------------------------

    def hold_connections(self, route, n):
        """Memory of the route's proxy while n idle clients are connected."""
        proxy = self.proc[route]
        argv = [str(procs.LOADGEN), "conns", "--bootstrap", self.bootstrap[route],
                "--count", str(n)]
        lg = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        line = lg.stdout.readline()
        if not line.startswith("result "):
            lg.kill()
            raise RuntimeError(f"{' '.join(argv)}: {line}{lg.stderr.read()}")
        time.sleep(0.5)
        mem = procs.memory_kb(proxy.pid)
        lg.stdin.close()
        if lg.wait(30) != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {lg.stderr.read()}")
        time.sleep(0.5)
        return mem

    def phase_b(self):
        p = self.p
        self.stop_proxies()
        self.start_proxies("b")
        time.sleep(1.0)
        mem = {r: {"idle": procs.memory_kb(self.proc[r].pid)} for r in self.proc}
        for n in (100, 1000):
            for route in ("turnout", "haproxy"):
                mem[route][f"conns_{n}"] = self.hold_connections(route, n)
            log(f"memory with {n} idle connections: " + ", ".join(
                f"{r} {mem[r][f'conns_{n}']['rss']} KiB" for r in mem))
        for cluster in ("legacy", "target"):
            self.clusters.ok(f"create {cluster} big {BIG_PARTITIONS}")
        for rep in range(p["metadata_reps"]):
            order = ROUTES[rep % 3:] + ROUTES[:rep % 3]
            for route in order:
                # The probe always asks turnout, which answers ApiVersions
                # itself: with the Metadata load on the turnout route it
                # shows turnout's stalls; on the other routes the same load
                # passes turnout by, which is the control.
                r = self.measure("metadata 10k partitions", route, rep, "latency", [
                    "--topic", self.new_topic(route, "md"), "--rate", 1000, "--size", 100,
                    "--acks", "all", "--warmup", p["warmup_s"], "--duration", p["metadata_s"],
                    "--metadata-topic", "big", "--metadata-interval-ms", 100,
                    "--probe-interval-ms", 2, "--probe-bootstrap", self.turnout.bootstrap])
                log(f"rep {rep + 1}/{p['metadata_reps']} metadata 10k partitions "
                    f"{route:8} " + report.brief("metadata", r))
        for route in mem:
            mem[route]["metadata_10k"] = procs.memory_kb(self.proc[route].pid)
        self.memory.update(mem)
        self.stop_proxies()


def machine():
    def first(path, key):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"
    os_name = "?"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {
        "cpu": first("/proc/cpuinfo", "model name"),
        "cpus": os.cpu_count(),
        "memory": first("/proc/meminfo", "MemTotal"),
        "kernel": platform.release(),
        "os": os_name,
        "turnout": procs.version_of([procs.TURNOUT, "--version"]),
        "haproxy": procs.version_of(["haproxy", "-v"]),
        "cc": procs.version_of(["cc", "--version"]),
        "libevent": procs.version_of(["pkg-config", "--modversion", "libevent"]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=sorted(MODES), default="full")
    ap.add_argument("--reps", type=int, default=0, help="repetitions (default per mode)")
    ap.add_argument("--out", type=Path, default=None,
                    help="results directory (default bench/results, or bench/results/quick)")
    ap.add_argument("--no-readme", action="store_true",
                    help="do not write the table into README.md")
    ap.add_argument("--report-only", type=Path, metavar="RESULTS_JSON",
                    help="only rewrite results.md, bench.png (and README.md for a full "
                         "run) from an earlier run's results.json")
    ap.add_argument("--only", metavar="PREFIX",
                    help="only the phase-A workloads whose name starts with PREFIX "
                         "(e.g. 'latency'); skips phase B and README.md")
    args = ap.parse_args()
    outdir = args.out or (procs.REPO / "bench" / "results" /
                          ("quick" if args.mode == "quick" else ""))
    outdir.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        results = json.loads(args.report_only.read_text())
        publish(results, outdir, not args.no_readme)
        return
    for tool in ("haproxy", "gnuplot"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found: run `bash scripts/deps.sh --bench`")
    for binary in (procs.TURNOUT, procs.LOADGEN):
        if not os.access(binary, os.X_OK):
            sys.exit(f"bench: {binary} missing: run `make bench`")
    # 1,000 idle clients need about 2,000 descriptors in each proxy.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        sys.exit(f"bench: open file limit {hard} is too low for 1,000 connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    started = time.time()
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="turnout-bench-"))
    bench = Bench(args.mode, args.reps, outdir, workdir, args.only)
    ok = False
    try:
        bench.start()
        bench.phase_a()
        if not args.only:
            bench.phase_b()
        ok = True
    finally:
        bench.stop()
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"failed; logs kept in {workdir}")
    results = {
        "mode": args.mode,
        "params": bench.p,
        "command": "make bench" if args.mode == "full" else "make bench-quick",
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "seconds": round(time.time() - started),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(),
        "mock": f"librdkafka {bench.clusters.version} mock, 3 brokers per cluster",
        "preloaded": bench.preloaded,
        "runs": bench.runs,
        "memory": bench.memory,
    }
    (outdir / "results.json").write_text(json.dumps(results, indent=1))
    publish(results, outdir, not args.no_readme and not args.only)
    log(f"done in {results['seconds']} s; results in {outdir}")


def publish(results, outdir, readme):
    """results.md and bench.png in outdir; README.md's table for a full run."""
    md = report.markdown(results)
    (outdir / "results.md").write_text(md)
    report.chart(results, outdir)
    if results["mode"] == "full" and readme:
        report.update_readme(procs.REPO / "README.md", md)
    print(md)


if __name__ == "__main__":
    main()
