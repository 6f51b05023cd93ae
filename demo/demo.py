"""`make demo`: the main job of turnout on two embedded clusters, watched live.

What runs (every process is a child of this one, in build/demo/):
  mockcluster   two librdkafka mock clusters, legacy and target, 3 brokers each
  mm2mirror     MirrorMaker 2's data path: copies topic "orders" legacy -> target
                and writes offset-syncs and checkpoints for group "billing"
  turnout x2    one sidecar per service, as in a pod: orders-api (the producer)
                and billing (the consumer group, with "mirror" so it can flip)
  demo_client   the producer (numbered records, 50/s) and two group members

The script then acts as the operator: it edits build/demo/billing.json to move
group billing to target, later build/demo/orders-api.json to move the
producers, each with an atomic rename as a ConfigMap update does, and waits
for turnout to do it. It ends with a verdict computed from record numbers:
every acknowledged record must have been consumed at least once.

Data sources are small functions so they can move to turnout's admin
endpoint: sidecar_status() reads turnout's log today.
"""

import argparse
import calendar
import ctypes
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
OUT = BUILD / "demo"
TOPIC, GROUP, PARTITIONS = "orders", "billing", 3
SYNCS_TOPIC = "mm2-offset-syncs.target.internal"
CHECKPOINTS_TOPIC = "legacy.checkpoints.internal"
CLUSTERS = ("legacy", "target")

# the timeline, in seconds (the whole run stays under 2 minutes even when
# every wait runs to its limit)
WARMUP_S = 10        # consume on legacy before the group flip
GROUP_FLIP_MAX_S = 35
HOLD_S = 6           # watch each new state before the next step
PRODUCER_FLIP_MAX_S = 15
DRAIN_MAX_S = 15     # after the producer stops: mirror and consumers catch up
RATE = 50            # records per second
CAUGHT_UP = 2 * RATE  # a flip is over when the group is this close behind again


class StepFailed(Exception):
    pass


class Interrupted(Exception):
    pass


def _die_with_parent():
    """Children get SIGTERM if this process dies without cleaning up."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Child:
    """One process we started: stdout to a file (or a pipe), stderr to a log."""

    def __init__(self, name, argv, stdout_path=None, stderr_path=None, pipes=False):
        self.name = name
        self.stdout_path = stdout_path
        self._files = []
        out = subprocess.PIPE if pipes else self._open(stdout_path)
        err = self._open(stderr_path) if stderr_path else subprocess.STDOUT
        self.proc = subprocess.Popen(
            [str(a) for a in argv], cwd=ROOT, stdout=out, stderr=err,
            stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
            preexec_fn=_die_with_parent, bufsize=0)
        self.lines = queue.Queue()
        if pipes:
            threading.Thread(target=self._read, daemon=True).start()

    def _open(self, path):
        f = open(path, "wb")
        self._files.append(f)
        return f

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout, what):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise StepFailed(f"{self.name}: no {what} within {timeout:.0f} s") from None
        if line is None:
            self.lines.put(None)
            raise StepFailed(f"{self.name} exited (status {self.proc.poll()}) "
                             f"while waiting for {what}")
        return line

    def cmd(self, line, timeout=10):
        """A control command on stdin; the reply line (mockcluster, mm2mirror)."""
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        reply = self.next_line(timeout, f"reply to {line!r}")
        if not reply.startswith("OK"):
            raise StepFailed(f"{self.name}: {line!r} -> {reply}")
        return reply[3:]

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=10, quit_cmd=None):
        """Ask politely (quit command or SIGTERM), then SIGKILL. Returns the status."""
        if self.proc.poll() is None:
            try:
                if quit_cmd:
                    self.proc.stdin.write(quit_cmd.encode() + b"\n")
                    self.proc.stdin.flush()
                else:
                    self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in self._files:
            f.close()
        return self.proc.returncode


class Tail:
    """New complete lines of a file that another process appends to."""

    def __init__(self, path):
        self.path, self.pos, self.rest = path, 0, b""

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return []
        self.pos += len(data)
        data = self.rest + data
        *whole, self.rest = data.split(b"\n")
        return [w.decode(errors="replace") for w in whole]


def logfmt(line):
    """key=value pairs of one turnout log line (values may be quoted)."""
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', line)}


WALL_MINUS_MONO = time.time() - time.monotonic()


def wall_to_mono(ts):
    """turnout's ts= (UTC wall clock) on this process's monotonic clock."""
    try:
        t = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
        t += float("0" + ts[19:].rstrip("Z"))
    except ValueError:
        return time.monotonic()
    return t - WALL_MINUS_MONO


class Sidecar:
    """One turnout process with its live configuration file."""

    def __init__(self, name, template, bootstraps):
        self.name = name
        self.config = OUT / f"{name}.json"
        self.config.write_text((ROOT / "demo" / template).read_text())
        self.log = OUT / f"turnout-{name}.log"
        self.child = Child(f"turnout {name}", [
            BUILD / "rel" / "turnout", "run", "--config", self.config,
            "--legacy-bootstrap", bootstraps["legacy"],
            "--target-bootstrap", bootstraps["target"]],
            stdout_path=self.log)
        self.tail = Tail(self.log)
        self.vbrokers = {}    # virtual broker id -> cluster
        self.bootstrap = None
        self.groups = {}      # group -> {"state", "cluster", ...}
        self.producers = None
        self.events = []      # (mono time, text, event) not yet on the timeline
        self.events_seen = []  # every event, for the steps' checks

    def edit(self, change):
        """Change the configuration as an operator would: write a new file
        next to it and rename it over the old one (atomic, like a ConfigMap
        update), so turnout never reads half a file."""
        cfg = json.loads(self.config.read_text())
        change(cfg)
        tmp = self.config.with_suffix(".json.new")
        tmp.write_text(json.dumps(cfg, indent=2) + "\n")
        os.replace(tmp, self.config)

    def cluster_of(self, vid):
        return self.vbrokers.get(vid)


def sidecar_status(sc):
    """Refreshes what the viewer knows about one sidecar: its bootstrap,
    virtual brokers, group cutover states, producer route and the events for
    the timeline. Today from turnout's log (event=ready, vbroker_listening,
    reload_*, flip*); this is the one function to switch to GET /status."""
    for line in sc.tail.lines():
        kv = logfmt(line)
        ev = kv.get("event", "")
        t = wall_to_mono(kv.get("ts", ""))
        if ev == "ready":
            sc.bootstrap = kv.get("bootstrap")
        elif ev == "vbroker_listening":
            sc.vbrokers[int(kv["vid"])] = kv["cluster"]
        elif ev == "group_seen":
            sc.groups.setdefault(kv["group"], {"state": "serving", "cluster": kv["cluster"]})
        elif ev in ("reload_applied", "reload_rejected"):
            text = f"turnout {sc.name}: {ev}"
            if ev == "reload_rejected":
                text += f' ({kv.get("reason", "")})'
            sc.events.append((t, text, ev))
        elif ev in ("flip", "flip_failed"):
            g = sc.groups.setdefault(kv["group"], {"state": "serving", "cluster": "legacy"})
            state = kv.get("state", "failed")
            g["state"] = state
            if state in ("serving", "resumed"):
                g["cluster"] = kv.get("to") or kv.get("cluster") or g["cluster"]
            if state == "failed":
                g["reason"] = kv.get("reason", "")
            g.update({k: kv[k] for k in ("pause_ms", "exact", "checkpoint", "conservative",
                                         "none", "rereads_max", "partitions") if k in kv})
            sc.events.append((t, f"turnout {sc.name}: group {kv['group']} {state}"
                              + _flip_detail(state, kv), f"flip_{state}"))
    return sc


def _flip_detail(state, kv):
    if state == "freezing":
        return f" (fetches held, waiting {kv.get('quiet_ms')} ms for the last commits)"
    if state == "snapshot":
        return f" (fenced after {kv.get('freeze_ms')} ms, translating {kv.get('direction')})"
    if state == "seeding":
        return (f" ({kv.get('partitions')} partitions: exact {kv.get('exact')}, "
                f"checkpoint {kv.get('checkpoint')}, conservative {kv.get('conservative')}, "
                f"none {kv.get('none')}; re-reads <= {kv.get('rereads_max')})")
    if state == "serving":
        return f" on {kv.get('to')} (offsets seeded, pause so far {kv.get('pause_ms')} ms)"
    if state == "resumed":
        return " (a member read its translated offsets)"
    if state == "failed":
        return f" ({kv.get('reason', '')}; served on {kv.get('served_on')})"
    return ""


class Clients:
    """What the producer and the group members reported (demo_client lines)."""

    def __init__(self):
        self.acked = {}          # n -> (time, vid)
        self.failed = set()
        self.got = Counter()     # n -> times consumed
        self.got_at = []         # consumption times
        self.got_first = {}      # n -> (time, vid) of the first consumption
        self.got_vid = Counter()  # vid -> records consumed
        self.ack_vid = Counter()
        self.ack_times = []
        self.assigned = {}       # member -> partitions
        self.errors = []
        self.done = {}

    def feed(self, who, lines):
        for line in lines:
            w = line.split()
            if len(w) < 2:
                continue
            t = int(w[0]) / 1000.0
            if w[1] == "ACK" and len(w) == 6:
                n, vid = int(w[2]), int(w[5])
                self.acked.setdefault(n, (t, vid))
                self.ack_vid[vid] += 1
                self.ack_times.append(t)
            elif w[1] == "FAIL":
                self.failed.add(int(w[2]))
            elif w[1] == "GOT" and len(w) == 6:
                n, vid = int(w[2]), int(w[5])
                self.got[n] += 1
                self.got_at.append(t)
                self.got_first.setdefault(n, (t, vid))
                self.got_vid[vid] += 1
            elif w[1] == "ASSIGN":
                self.assigned[who] = w[2]
            elif w[1] == "REVOKE":
                self.assigned[who] = "-"
            elif w[1] == "ERROR":
                self.errors.append((t, who, " ".join(w[2:])))
            elif w[1] == "DONE":
                self.done[who] = " ".join(w[2:])


def longest_gap(times, start, end):
    """Longest time without an event between start and end (seconds), counting
    from the last event before start."""
    ts = sorted(times)
    prev = start
    for t in ts:
        if t <= start:
            prev = t
    best = 0.0
    for t in ts:
        if start < t <= end:
            best = max(best, t - prev)
            prev = t
    return max(best, end - prev) if ts else end - start


def fmt_t(t):
    return f"{int(t // 60):02d}:{t % 60:04.1f}"


class Demo:
    def __init__(self, tty):
        self.tty = tty
        self.t0 = time.monotonic()
        self.children = []
        self.sidecars = {}
        self.c = Clients()
        self.tails = {}
        self.timeline = []        # (time, text)
        self.shown = 0            # timeline lines already printed (no tty)
        self.step = "starting"
        self.steps = []           # (name, ok, detail)
        self.flips = {}           # "group"/"producers" -> dict(start, end, ...)
        self.mirror_stats = {}
        self.drawn = 0
        self.last_draw = 0.0
        self.last_plain = 0.0
        self.last_stats = 0.0

    # ---- processes ----

    def start(self, *a, **kw):
        ch = Child(*a, **kw)
        self.children.append(ch)
        return ch

    def note(self, text, t=None):
        self.timeline.append((time.monotonic() if t is None else t, text))

    def start_all(self):
        self.step = "starting the clusters, the mirror and two turnout sidecars"
        self.tick(force=True)
        self.cluster = self.start("mockcluster", [BUILD / "modern" / "mockcluster",
                                                  "--brokers", "3"],
                                  stderr_path=OUT / "mockcluster.log", pipes=True)
        self.bootstraps = {}
        while True:
            line = self.cluster.next_line(20, "READY")
            if line.startswith("BOOTSTRAP"):
                _, name, servers = line.split()
                self.bootstraps[name] = servers
            elif line == "READY":
                break
        for cl in CLUSTERS:
            self.cluster.cmd(f"create {cl} {TOPIC} {PARTITIONS}")
        self.cluster.cmd(f"create legacy {SYNCS_TOPIC} 1")
        self.cluster.cmd(f"create target {CHECKPOINTS_TOPIC} 1")
        self.note(f"clusters up: legacy {self.bootstraps['legacy']}, "
                  f"target {self.bootstraps['target']}")
        self.mirror = self.start("mm2mirror", [
            BUILD / "modern" / "mm2mirror", "--legacy", self.bootstraps["legacy"],
            "--target", self.bootstraps["target"], "--map", OUT / "mirror.map",
            "--topic", TOPIC, "--group", GROUP, "--offset-lag-max", "10",
            "--flush-interval-ms", "200", "--checkpoint-interval-ms", "1000"],
            stderr_path=OUT / "mm2mirror.log", pipes=True)
        line = self.mirror.next_line(20, "READY")
        if not line.startswith("READY"):
            raise StepFailed(f"mm2mirror: {line}")
        self.note(f"mirror running: {TOPIC} legacy -> target, offset-syncs and "
                  f"checkpoints of group {GROUP}")
        for name, template in (("orders-api", "orders-api.json"), ("billing", "billing.json")):
            sc = Sidecar(name, template, self.bootstraps)
            self.children.append(sc.child)
            self.sidecars[name] = sc
        self.wait(lambda: all(sc.bootstrap for sc in self.sidecars.values()), 20,
                  "turnout sidecars ready")
        for sc in self.sidecars.values():
            self.note(f"turnout {sc.name} listening on {sc.bootstrap} "
                      f"(config {sc.config.relative_to(ROOT)})")
        client = BUILD / "modern" / "demo_client"
        for i in (1, 2):
            name = f"member-{i}"
            self.start(name, [client, "consume", "-b", self.sidecars["billing"].bootstrap,
                              "-t", TOPIC, "-g", GROUP],
                       stdout_path=OUT / f"{name}.out", stderr_path=OUT / f"{name}.log")
            self.tails[name] = Tail(OUT / f"{name}.out")
        self.producer = self.start("producer", [
            client, "produce", "-b", self.sidecars["orders-api"].bootstrap, "-t", TOPIC,
            "-r", str(RATE)], stdout_path=OUT / "producer.out",
            stderr_path=OUT / "producer.log")
        self.tails["producer"] = Tail(OUT / "producer.out")
        self.note(f"producer writing {RATE} records/s through orders-api; "
                  f"group {GROUP} (2 members) consuming through billing")

    # ---- the operator's steps ----

    def run(self):
        self.start_all()
        self.step = "running on legacy"
        self.wait(lambda: len(self.c.got) >= RATE and len(self.c.assigned) == 2, 20,
                  "both members assigned and consuming")
        self.sleep_until(self.t0 + WARMUP_S)
        self.flip_group()
        self.sleep(HOLD_S)
        self.flip_producers()
        self.sleep(HOLD_S)
        self.drain()

    def flip_group(self):
        sc = self.sidecars["billing"]
        self.step = f"flipping group {GROUP} to target"
        start = time.monotonic()
        sc.edit(lambda cfg: cfg["routes"]["groups"].__setitem__(GROUP, "target"))
        self.note(f'operator: edited {sc.config.relative_to(ROOT)}: '
                  f'routes.groups.{GROUP} = "target"')
        flip = self.flips["group"] = {"start": start, "name": f"group {GROUP} -> target"}

        def over():
            g = sc.groups.get(GROUP, {})
            if g.get("state") == "failed" or self.rejected(sc, start):
                return True
            first = self.first_consumed_on("target", sc, start)
            if first and "first" not in flip:
                flip["first"] = first
                self.note(f"group {GROUP} consuming on target "
                          f"({first - start:.1f} s after the edit)", first)
            return first and self.lag() <= CAUGHT_UP
        try:
            self.wait(over, GROUP_FLIP_MAX_S, f"group {GROUP} caught up on target")
        except StepFailed as e:
            g = sc.groups.get(GROUP, {})
            self.fail_step("group flip", f"{e}; turnout says state={g.get('state')} "
                           f"cluster={g.get('cluster')}, lag {self.lag()} "
                           f"(see {sc.log.relative_to(ROOT)})")
            flip["end"] = time.monotonic()
            return
        flip["end"] = time.monotonic()
        g = sc.groups.get(GROUP, {})
        why = self.rejected(sc, start) or (g.get("reason") if g.get("state") == "failed"
                                           else None)
        if why:
            self.fail_step("group flip", f"turnout did not move the group: {why}")
            return
        flip["pause"] = longest_gap(self.c.got_at, start, flip["end"])
        flip["rereads_max"] = g.get("rereads_max")
        self.ok_step("group flip", f"first record from target {flip['first'] - start:.1f} s "
                     f"after the edit, caught up after {flip['end'] - start:.1f} s; "
                     f"longest time without consumption {flip['pause']:.1f} s")

    def flip_producers(self):
        sc = self.sidecars["orders-api"]
        self.step = "flipping the producers to target"
        start = time.monotonic()
        sc.edit(lambda cfg: cfg["routes"]["producers"].__setitem__("cluster", "target"))
        self.note(f'operator: edited {sc.config.relative_to(ROOT)}: '
                  f'routes.producers.cluster = "target"')
        flip = self.flips["producers"] = {"start": start, "name": "producers -> target"}
        def on_target():
            """Record numbers acknowledged by target since the edit."""
            return [n for n, (t, v) in self.c.acked.items()
                    if t > start and sc.cluster_of(v) == "target"]

        def over():
            if self.rejected(sc, start):
                return True
            ns = on_target()
            if ns and "first" not in flip:
                flip["first"] = self.c.acked[min(ns)][0]
                self.note(f"first record acknowledged by target "
                          f"({flip['first'] - start:.1f} s after the edit)", flip["first"])
            # end to end: a record written to target has reached the group
            return any(n in self.c.got for n in ns)
        try:
            self.wait(over, PRODUCER_FLIP_MAX_S,
                      "record written to target and consumed by the group")
        except StepFailed as e:
            self.fail_step("producer flip", f"{e} (see {sc.log.relative_to(ROOT)})")
            flip["end"] = time.monotonic()
            return
        why = self.rejected(sc, start)
        if why:
            self.fail_step("producer flip", f"turnout refused the change: {why}")
            flip["end"] = time.monotonic()
            return
        flip["end"] = min(self.c.got_first[n][0] for n in on_target() if n in self.c.got)
        flip["pause"] = longest_gap(self.c.got_at, start, flip["end"])
        flip["ack_pause"] = longest_gap(self.c.ack_times, start, flip["first"])
        self.ok_step("producer flip", f"first record acknowledged by target "
                     f"{flip['first'] - start:.1f} s after the edit (no acknowledgement for "
                     f"{flip['ack_pause']:.1f} s), consumed {flip['end'] - start:.1f} s after; "
                     f"longest time without consumption {flip['pause']:.1f} s")

    def drain(self):
        self.step = "stopping the producer; waiting for every record to be consumed"
        status = self.producer.stop(timeout=15)
        self.poll()
        self.note(f"producer stopped: {self.c.done.get('producer', 'no totals')}")
        if status != 0:
            self.fail_step("producer", f"exited with status {status} "
                           f"({self.c.done.get('producer', 'no DONE line')})")
        try:
            self.note(f"mirror caught up: {self.mirror.cmd('wait 10000', timeout=15)}")
        except StepFailed as e:
            self.fail_step("mirror", str(e))
        try:
            self.wait(lambda: all(n in self.c.got for n in self.c.acked), DRAIN_MAX_S,
                      "every acknowledged record consumed")
        except StepFailed:
            pass  # the verdict counts what is missing
        self.poll()
        end = time.monotonic()
        # a flip that never completed paused consumption up to now
        for f in self.flips.values():
            if "pause" not in f:
                f["pause"] = longest_gap(self.c.got_at, f["start"], f.get("end", end))

    def lag(self):
        """Acknowledged records the group has not consumed yet."""
        return sum(1 for n in self.c.acked if n not in self.c.got)

    def first_consumed_on(self, cluster, sc, after):
        ts = [t for t, v in self.c.got_first.values()
              if t > after and sc.cluster_of(v) == cluster]
        return min(ts) if ts else None

    def rejected(self, sc, after):
        for t, text, ev in sc.events_seen:
            if ev == "reload_rejected" and t >= after - 1:
                return text
        return None

    def ok_step(self, name, detail):
        self.steps.append((name, True, detail))
        self.note(f"{name}: done — {detail}")

    def fail_step(self, name, detail):
        self.steps.append((name, False, detail))
        self.note(f"{name}: FAILED — {detail}")

    # ---- waiting while the view refreshes ----

    def wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            self.tick()
            if pred():
                return
            if time.monotonic() > deadline:
                raise StepFailed(f"no {what} within {timeout} s")
            self.check_children()
            time.sleep(0.1)

    def sleep(self, s):
        self.sleep_until(time.monotonic() + s)

    def sleep_until(self, t):
        while time.monotonic() < t:
            self.tick()
            self.check_children()
            time.sleep(0.1)

    def check_children(self):
        for ch in self.children:
            if not ch.alive() and ch is not self.producer:
                raise StepFailed(f"{ch.name} exited with status {ch.proc.returncode}")

    def poll(self):
        for who, tail in self.tails.items():
            self.c.feed(who, tail.lines())
        for sc in self.sidecars.values():
            sidecar_status(sc)
            for e in sc.events:
                self.timeline.append((e[0], e[1]))
                sc.events_seen.append(e)
            sc.events = []
        now = time.monotonic()
        if now - self.last_stats > 1 and getattr(self, "mirror", None) and self.mirror.alive():
            self.last_stats = now
            try:
                self.mirror_stats = dict(kv.split("=") for kv in
                                         self.mirror.cmd("stats", timeout=5).split())
            except (StepFailed, ValueError, OSError):
                pass

    def tick(self, force=False):
        self.poll()
        now = time.monotonic()
        if self.tty:
            if force or now - self.last_draw >= 0.25:
                self.draw(self.view())
                self.last_draw = now
        else:
            self.timeline.sort(key=lambda e: e[0])
            for t, text in self.timeline[self.shown:]:
                print(f"  {fmt_t(max(t - self.t0, 0))}  {text}", flush=True)
            self.shown = len(self.timeline)
            if force or now - self.last_plain >= 5:
                print("  " + self.counts_line(), flush=True)
                self.last_plain = now

    # ---- the view ----

    def per_cluster(self, counter, sc):
        out = dict.fromkeys(CLUSTERS, 0)
        for vid, n in counter.items():
            cl = sc.cluster_of(vid) if sc else None
            if cl:
                out[cl] += n
        return out

    def counts(self):
        prod = self.per_cluster(self.c.ack_vid, self.sidecars.get("orders-api"))
        cons = self.per_cluster(self.c.got_vid, self.sidecars.get("billing"))
        return prod, cons, self.lag()

    def counts_line(self):
        prod, cons, lag = self.counts()
        return (f"{fmt_t(time.monotonic() - self.t0)} produced legacy {prod['legacy']} "
                f"target {prod['target']} | consumed legacy {cons['legacy']} target "
                f"{cons['target']} | lag {lag} | mirrored {self.mirror_stats.get('mirrored', '-')}"
                f" | group {self.group_state()} | producers {self.producer_route()}")

    def group_state(self):
        sc = self.sidecars.get("billing")
        g = sc.groups.get(GROUP) if sc else None
        if not g:
            return "not seen yet"
        if g["state"] in ("serving", "resumed"):
            return f"serving on {g['cluster']}"
        if g["state"] == "failed":
            return f"flip failed, serving on {g['cluster']}"
        return f"{g['state']} (flipping)"

    def producer_route(self):
        sc = self.sidecars.get("orders-api")
        if not sc:
            return "-"
        cfg = json.loads(sc.config.read_text())
        return cfg.get("routes", {}).get("producers", {}).get("cluster", "legacy")

    def view(self):
        prod, cons, lag = self.counts()
        legacy_acked = prod["legacy"]
        mirrored = self.mirror_stats.get("mirrored")
        mlag = legacy_acked - int(mirrored) if mirrored else "-"
        el = time.monotonic() - self.t0
        members = ", ".join(f"{m} partitions {p}" for m, p in sorted(self.c.assigned.items()))
        lines = [
            f"\x1b[1mturnout demo\x1b[0m  {fmt_t(el)}   {self.step}",
            "",
            f"  {'':34}{'legacy':>8}{'target':>9}",
            f"  {'produced (acknowledged)':34}{prod['legacy']:>8}{prod['target']:>9}"
            f"    producers route: {self.producer_route()}",
            f"  {'mirrored legacy -> target':34}{mirrored or '-':>8}{'':9}"
            f"    mirror lag: {mlag}",
            f"  {'consumed by group ' + GROUP:34}{cons['legacy']:>8}{cons['target']:>9}"
            f"    lag (acknowledged, not consumed): {lag}",
            f"  {'re-read':34}{sum(n - 1 for n in self.c.got.values() if n > 1):>8}",
            "",
            f"  group {GROUP}: {self.group_state()}   members: {members or '-'}",
            "",
            "  timeline",
        ]
        self.timeline.sort(key=lambda e: e[0])
        for t, text in self.timeline[-14:]:
            lines.append(f"   {fmt_t(max(t - self.t0, 0))}  {text}")
        return lines

    def draw(self, lines):
        width = 160
        try:
            width = os.get_terminal_size().columns
        except OSError:
            pass
        out = []
        if self.drawn:
            out.append(f"\x1b[{self.drawn}A")
        for ln in lines:
            out.append("\r" + ln[:width + 8] + "\x1b[K\n")
        for _ in range(self.drawn - len(lines)):
            out.append("\x1b[K\n")
        sys.stdout.write("".join(out))
        sys.stdout.flush()
        self.drawn = max(len(lines), self.drawn)

    # ---- the verdict ----

    def verdict(self, elapsed):
        acked = set(self.c.acked)
        lost = sorted(acked - set(self.c.got))
        rereads = sum(n - 1 for n in self.c.got.values() if n > 1)
        prod, cons, _ = self.counts()
        pauses = ", ".join(
            f"{f['name']} {f['pause']:.1f} s" for f in self.flips.values() if "pause" in f)
        print()
        bound = self.flips.get("group", {}).get("rereads_max")
        print(f"verdict: produced {len(acked)} acknowledged (legacy {prod['legacy']}, "
              f"target {prod['target']}; {len(self.c.failed)} failed), consumed "
              f"{len(self.c.got)} distinct in {sum(self.c.got.values())} reads "
              f"(legacy {cons['legacy']}, target {cons['target']})")
        print(f"verdict: lost {len(lost)}, re-read {rereads}"
              + (f" (the group flip's translation allowed {bound})" if bound else ""))
        print(f"verdict: pause (longest time without consumption) per flip: "
              f"{pauses or 'no flip ran'}")
        if lost:
            show = ", ".join(map(str, lost[:20])) + (" ..." if len(lost) > 20 else "")
            print(f"verdict: lost records: {show}")
        for name, ok, detail in self.steps:
            print(f"verdict: step {name}: {'ok' if ok else 'FAILED'} — {detail}")
        bad = [name for name, ok, _ in self.steps if not ok]
        if lost:
            bad.append(f"{len(lost)} records lost")
        if not acked:
            bad.append("nothing was produced")
        print(f"verdict: {'PASS' if not bad else 'FAIL (' + '; '.join(bad) + ')'} in "
              f"{elapsed:.0f} s; logs in {OUT.relative_to(ROOT)}/")
        return 0 if not bad else 1

    def stop_all(self):
        for ch in reversed(self.children):
            if ch.name.startswith("member") or ch.name == "producer":
                ch.stop(timeout=15)
        for ch in reversed(self.children):
            if ch.name.startswith("turnout"):
                ch.stop(timeout=10)
        for ch in reversed(self.children):
            if ch.name == "mm2mirror":
                ch.stop(timeout=10, quit_cmd="quit")
            elif ch.name == "mockcluster":
                ch.stop(timeout=10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-tty", action="store_true",
                    help="plain lines instead of the live view (tests, CI, logs)")
    args = ap.parse_args()
    tty = sys.stdout.isatty() and not args.no_tty and os.environ.get("TERM") != "dumb"
    OUT.mkdir(parents=True, exist_ok=True)
    for f in OUT.iterdir():
        if f.is_file():
            f.unlink()

    def on_term(sig, frame):
        raise Interrupted(signal.Signals(sig).name)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    demo = Demo(tty)
    if tty:
        sys.stdout.write("\x1b[?25l")  # hide the cursor while redrawing
    status = 1
    try:
        demo.run()
        demo.tick(force=True)
        demo.step = "stopping"
    except StepFailed as e:
        demo.fail_step(demo.step, str(e))
        demo.tick(force=True)
    except (KeyboardInterrupt, Interrupted) as e:
        demo.fail_step("interrupted", str(e) or "Ctrl-C")
    finally:
        elapsed = time.monotonic() - demo.t0
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        demo.stop_all()
        if tty:
            sys.stdout.write("\x1b[?25h")
        for who, tail in demo.tails.items():
            demo.c.feed(who, tail.lines())
        status = demo.verdict(elapsed)
    return status


if __name__ == "__main__":
    sys.exit(main())
