"""Where the demo's view gets its facts (demo/demo.py):

  sidecar_status(sc)  one turnout sidecar: its virtual brokers, each group's
                      cutover state, the reloads and flip steps for the
                      timeline. Read from turnout's log today (event=ready,
                      vbroker_listening, group_seen, reload_*, flip,
                      flip_failed); this is the one function to switch to the
                      admin endpoint's GET /status when it lands.
  Clients.feed()      what demo_client printed: records acknowledged and
                      consumed by number, with the virtual broker involved.
"""

import calendar
import json
import os
import re
import time
from collections import Counter

from procs import Child, Tail

WALL_MINUS_MONO = time.time() - time.monotonic()


def logfmt(line):
    """key=value pairs of one turnout log line (values may be quoted)."""
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', line)}


def wall_to_mono(ts):
    """turnout's ts= (UTC wall clock, ms) on the demo's monotonic clock."""
    try:
        t = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
        t += float("0" + ts[19:].rstrip("Z"))
    except ValueError:
        return time.monotonic()
    return t - WALL_MINUS_MONO


class Sidecar:
    """One turnout process and its live configuration file: the file an
    operator edits (a copy of demo/<template> in the output directory); the
    clusters' addresses come from --legacy-bootstrap / --target-bootstrap as
    in an injected sidecar."""

    def __init__(self, name, root, out, template, turnout, bootstraps):
        self.name = name
        self.config = out / f"{name}.json"
        self.config.write_text((root / "demo" / template).read_text())
        self.log = out / f"turnout-{name}.log"
        self.child = Child(f"turnout {name}", [
            turnout, "run", "--config", self.config,
            "--legacy-bootstrap", bootstraps["legacy"],
            "--target-bootstrap", bootstraps["target"]],
            cwd=root, stdout_path=self.log)
        self.tail = Tail(self.log)
        self.bootstrap = None   # where the app connects, once turnout is ready
        self.vbrokers = {}      # virtual broker id -> cluster
        self.groups = {}        # group -> {"state", "cluster", last flip's numbers}
        self.events = []        # (time, text, event) not yet on the timeline
        self.events_seen = []   # every event, for the steps' checks

    def edit(self, change):
        """Changes the configuration as an operator would: the new file is
        written next to the old one and renamed over it (atomic, like a
        Kubernetes ConfigMap update), so turnout never reads half a file."""
        cfg = json.loads(self.config.read_text())
        change(cfg)
        tmp = self.config.with_suffix(".json.new")
        tmp.write_text(json.dumps(cfg, indent=2) + "\n")
        os.replace(tmp, self.config)

    def route(self, *path):
        """A value of the configuration file as it is now."""
        v = json.loads(self.config.read_text())
        for key in path:
            v = v.get(key, {}) if isinstance(v, dict) else {}
        return v

    def cluster_of(self, vid):
        return self.vbrokers.get(vid)

    def rejected_since(self, t):
        """The reason of a reload turnout refused at or after t, else None."""
        for when, text, ev in self.events_seen:
            if ev == "reload_rejected" and when >= t - 1:
                return text
        return None


def sidecar_status(sc):
    """Brings sc up to date from turnout's log (see the module comment)."""
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
        elif ev in ("flip", "flip_failed") and "group" in kv:
            g = sc.groups.setdefault(kv["group"], {"state": "serving", "cluster": "legacy"})
            # flip_failed names the state it failed in
            state = "failed" if ev == "flip_failed" else kv.get("state", "?")
            g["state"] = state
            if state == "freezing":
                for k in ("pause_ms", "partitions", "reason"):
                    g.pop(k, None)  # a new flip: forget the last one's numbers
            elif state == "serving":
                g["cluster"] = kv.get("to", g["cluster"])
            elif state == "resumed":
                g["cluster"] = kv.get("cluster", g["cluster"])
                g["pause_ms"] = kv.get("pause_ms")  # freeze to resume, turnout's measure
            elif state == "failed":
                g["reason"] = kv.get("reason", "")
                g["cluster"] = kv.get("served_on", g["cluster"])
            g.update({k: kv[k] for k in ("exact", "checkpoint", "conservative", "none",
                                         "rereads_max", "partitions") if k in kv})
            sc.events.append((t, f"turnout {sc.name}: group {kv['group']} {state}"
                              + flip_detail(state, kv), f"flip_{state}"))
        elif ev == "flip_warning":
            sc.events.append((t, f"turnout {sc.name}: warning: {kv.get('reason', '')}", ev))
    return sc


def flip_detail(state, kv):
    """What a flip log line means, for the timeline."""
    if state == "freezing":
        return f" (fetches held, waiting {kv.get('quiet_ms')} ms for the last commits)"
    if state == "releasing":
        return (f" (after {kv.get('freeze_ms')} ms: turnout takes its {kv.get('members')} "
                f"members out of the group on {kv.get('from')})")
    if state == "snapshot":
        return (f" (members left in {kv.get('release_ms')} ms; reading the final commits, "
                f"translating {kv.get('direction')})")
    if state == "seeding":
        return (f" ({kv.get('partitions')} partitions: exact {kv.get('exact')}, "
                f"checkpoint {kv.get('checkpoint')}, conservative {kv.get('conservative')}, "
                f"none {kv.get('none')}; re-reads <= {kv.get('rereads_max')})")
    if state == "serving":
        return (f" on {kv.get('to')} (offsets seeded; members sent to its coordinator, "
                f"fetches held until they have read them)")
    if state == "resumed":
        return (f" ({kv.get('members_back', '?')} of {kv.get('of', '?')} members read their "
                f"translated offsets; fetches held {kv.get('pause_ms')} ms in all)")
    if state == "failed":
        return (f" in {kv.get('state')} ({kv.get('reason', '')}; served on "
                f"{kv.get('served_on')})")
    return ""


class Clients:
    """What the producer and the group members reported (demo_client's
    stdout lines, see demo/demo_client.c)."""

    def __init__(self):
        self.acked = {}           # record number -> (time, virtual broker)
        self.failed = set()       # record numbers the producer gave up on
        self.ack_vid = Counter()  # virtual broker -> records acknowledged
        self.ack_times = []
        self.got = Counter()      # record number -> times consumed
        self.got_first = {}       # record number -> (time, virtual broker)
        self.got_vid = Counter()  # virtual broker -> records consumed
        self.got_times = []
        self.assigned = {}        # member -> its partitions
        self.done = {}            # client -> its DONE line

    def feed(self, who, lines):
        for line in lines:
            w = line.split()
            if len(w) < 2 or not w[0].isdigit():
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
                self.got_times.append(t)
                self.got_first.setdefault(n, (t, vid))
                self.got_vid[vid] += 1
            elif w[1] == "ASSIGN":
                self.assigned[who] = w[2]
            elif w[1] == "REVOKE":
                self.assigned[who] = "-"
            elif w[1] == "DONE":
                self.done[who] = " ".join(w[2:])

    def lag(self):
        """Acknowledged records not consumed yet."""
        return sum(1 for n in self.acked if n not in self.got)

    def rereads(self):
        return sum(k - 1 for k in self.got.values() if k > 1)


def longest_gap(times, start, end):
    """The longest time without an event between start and end (seconds),
    counted from the last event before start."""
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
    return max(best, end - prev)
