"""`make demo`: turnout's main job on two embedded clusters, watched live.

What runs, every process a child of this one (logs in build/demo/):
  mockcluster   two librdkafka mock clusters, legacy and target, 3 brokers each
  mm2mirror     MirrorMaker 2's data path: copies topic "orders" legacy -> target
                (identity policy) with offset-syncs and checkpoints of "billing"
  turnout x2    a sidecar per service, as in two pods: orders-api (the
                producer's) and billing (the group's, with "mirror" so it can
                translate offsets and flip the group)
  demo_client   the producer (numbered records, 50/s) and two group members

Then it acts as the operator: it edits billing.json to move group billing to
target, later orders-api.json to move the producers, each with an atomic
rename as a ConfigMap update does, and waits for turnout to do it. The
verdict comes from record numbers: every acknowledged record must have been
consumed at least once.

  demo.py [--no-tty] [--out DIR]

Modules: procs.py (children), sources.py (facts: turnout's log, the
clients' lines), view.py (live view, verdict).
"""

import argparse
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from procs import Child, ChildExited, StepFailed, Tail  # noqa: E402
from sources import Clients, Sidecar, longest_gap, sidecar_status  # noqa: E402
import view  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
TOPIC, GROUP, PARTITIONS = "orders", "billing", 3
SYNCS_TOPIC = "mm2-offset-syncs.target.internal"
CHECKPOINTS_TOPIC = "legacy.checkpoints.internal"

# The timeline in seconds. Every wait has a limit and the limits add up to
# less than 2 minutes, so a stuck step fails the demo instead of hanging it.
WARMUP_S = 8            # consume on legacy before the group flip
GROUP_FLIP_MAX_S = 30   # edit -> the group caught up on target
HOLD_S = 8              # watch each new state before the next step
PRODUCER_FLIP_MAX_S = 15  # edit -> a record written to target consumed
DRAIN_MAX_S = 15        # producer stopped -> every record consumed
RATE = 50               # records per second
CAUGHT_UP = 2 * RATE    # a group this close behind the producer is caught up
SETTLED_S = 4           # ... and stays so this long (a revoke right after the
                        # first assignment would have it fall behind again)


class Interrupted(Exception):
    pass


class Demo:
    def __init__(self, out, screen):
        self.out = out
        self.out_label = str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out)
        self.screen = screen
        self.group = GROUP
        self.t0 = time.monotonic()
        self.children = []       # in start order; stopped clients-first
        self.sidecars = {}       # name -> Sidecar
        self.c = Clients()
        self.tails = {}          # client name -> Tail of its stdout file
        self.timeline = []       # (time, text)
        self.step = "starting"
        self.steps = []          # (name, ok, detail)
        self.flips = {}          # "group" / "producers" -> {start, first, end, pause, ...}
        self.mirror_stats = {}   # the mirror's last "stats" reply
        self.mirror = self.producer = None
        self.last_stats = 0.0

    # ---- processes ----

    def start(self, name, argv, **kw):
        ch = Child(name, argv, ROOT, **kw)
        self.children.append(ch)
        return ch

    def client(self, name, *args):
        path = self.out / f"{name}.out"
        ch = self.start(name, [BUILD / "modern" / "demo_client", *args], stdout_path=path,
                        stderr_path=self.out / f"{name}.log")
        self.tails[name] = Tail(path)
        return ch

    def start_all(self):
        self.step = "starting the clusters, the mirror and two turnout sidecars"
        self.tick(force=True)
        cluster = self.start("mockcluster", [BUILD / "modern" / "mockcluster", "--brokers", "3"],
                             stderr_path=self.out / "mockcluster.log", pipes=True)
        bootstraps = {}
        while (line := cluster.next_line(20, "READY")) != "READY":
            if line.startswith("BOOTSTRAP"):
                _, name, servers = line.split()
                bootstraps[name] = servers
        for cl in view.CLUSTERS:
            cluster.cmd(f"create {cl} {TOPIC} {PARTITIONS}")
        cluster.cmd(f"create legacy {SYNCS_TOPIC} 1")
        cluster.cmd(f"create target {CHECKPOINTS_TOPIC} 1")
        self.note(f"clusters up: legacy {bootstraps['legacy']}, target {bootstraps['target']}")
        self.mirror = self.start("mm2mirror", [
            BUILD / "modern" / "mm2mirror", "--legacy", bootstraps["legacy"],
            "--target", bootstraps["target"], "--map", self.out / "mirror.map",
            "--topic", TOPIC, "--group", GROUP, "--offset-lag-max", "10",
            "--flush-interval-ms", "200", "--checkpoint-interval-ms", "1000"],
            stderr_path=self.out / "mm2mirror.log", pipes=True)
        if not (line := self.mirror.next_line(20, "READY")).startswith("READY"):
            raise StepFailed(f"mm2mirror: {line}")
        self.note(f"mirror running: {TOPIC} legacy -> target, offset-syncs and checkpoints "
                  f"of group {GROUP}")
        for name in ("orders-api", "billing"):
            sc = Sidecar(name, ROOT, self.out, f"{name}.json", BUILD / "rel" / "turnout",
                         bootstraps)
            self.children.append(sc.child)
            self.sidecars[name] = sc
        self.wait(lambda: all(sc.bootstrap for sc in self.sidecars.values()), 20,
                  "turnout sidecars ready")
        for sc in self.sidecars.values():
            self.note(f"turnout {sc.name} listening on {sc.bootstrap} (config "
                      f"{self.label(sc.config)})")
        for i in (1, 2):
            self.client(f"member-{i}", "consume", "-b", self.sidecars["billing"].bootstrap,
                        "-t", TOPIC, "-g", GROUP)
        self.producer = self.client("producer", "produce", "-b",
                                    self.sidecars["orders-api"].bootstrap, "-t", TOPIC,
                                    "-r", str(RATE))
        self.note(f"producer writing {RATE} records/s through orders-api; group {GROUP} "
                  f"(2 members) consuming through billing")

    def stop_all(self):
        """Clients first (they commit and leave), then the sidecars, the
        mirror and the clusters."""
        order = (lambda ch: ch.name.startswith("member") or ch.name == "producer",
                 lambda ch: ch.name.startswith("turnout"),
                 lambda ch: True)
        stopped = set()
        for which in order:
            for ch in reversed(self.children):
                if which(ch) and ch not in stopped:
                    if ch is self.mirror:
                        ch.stop(timeout=10, quit_cmd="quit")
                    else:
                        ch.stop(timeout=12)  # demo_client gives up closing after 5-10 s
                    stopped.add(ch)

    # ---- the operator's steps ----

    def run(self):
        self.start_all()
        self.step = "running on legacy"
        self.wait(lambda: len(self.c.got) >= RATE and len(self.c.assigned) == 2, 20,
                  "both members assigned and consuming")
        self.sleep_until(self.t0 + WARMUP_S)
        if self.flip_group():
            self.sleep(HOLD_S)
            self.flip_producers()
        else:
            self.fail_step("producer flip", "skipped: the group is not consuming on target, "
                           "so records written there would not reach it")
        self.sleep(HOLD_S)
        self.drain()

    def flip_group(self):
        """Moves the group; True once it consumes on target and has caught up."""
        sc = self.sidecars["billing"]
        self.step = f"flipping group {GROUP} to target"
        start = time.monotonic()
        sc.edit(lambda cfg: cfg["routes"]["groups"].__setitem__(GROUP, "target"))
        self.note(f'operator: edited {self.label(sc.config)}: routes.groups.{GROUP} = '
                  f'"target"')
        flip = self.flips["group"] = {"start": start, "name": f"group {GROUP} -> target"}

        def over():
            g = sc.groups.get(GROUP, {})
            if g.get("state") == "failed" or sc.rejected_since(start):
                return True
            first = self.first_consumed_on("target", sc, start)
            if first and "first" not in flip:
                flip["first"] = first
                self.note(f"group {GROUP} consuming on target "
                          f"({first - start:.1f} s after the edit)", first)
            now = time.monotonic()
            if not first or self.c.lag() > CAUGHT_UP:
                flip.pop("caught_up", None)
                return False
            flip.setdefault("caught_up", now)
            return now - flip["caught_up"] >= SETTLED_S
        try:
            self.wait(over, GROUP_FLIP_MAX_S, f"group {GROUP} caught up on target")
        except StepFailed as e:
            g = sc.groups.get(GROUP, {})
            self.fail_step("group flip", f"{e}; turnout says {view.group_state(self)} "
                           f"(state {g.get('state')}), lag {self.c.lag()}; see "
                           f"{self.label(sc.log)}")
            return False
        g = sc.groups.get(GROUP, {})
        why = sc.rejected_since(start) or (g.get("reason") if g.get("state") == "failed"
                                           else None)
        if why:
            self.fail_step("group flip", f"turnout did not move the group: {why}")
            return False
        flip["end"] = time.monotonic()
        flip["pause"] = longest_gap(self.c.got_times, start, flip["end"])
        flip["rereads_max"] = g.get("rereads_max")
        self.ok_step("group flip", f"first record from target {flip['first'] - start:.1f} s "
                     f"after the edit, caught up for good after "
                     f"{flip['caught_up'] - start:.1f} s; longest time without consumption "
                     f"{flip['pause']:.1f} s")
        return True

    def flip_producers(self):
        """Moves the producers; done once a record acknowledged by target has
        been consumed by the group (end to end on the new path)."""
        sc = self.sidecars["orders-api"]
        self.step = "flipping the producers to target"
        start = time.monotonic()
        sc.edit(lambda cfg: cfg["routes"]["producers"].__setitem__("cluster", "target"))
        self.note(f'operator: edited {self.label(sc.config)}: routes.producers.cluster = '
                  f'"target"')
        flip = self.flips["producers"] = {"start": start, "name": "producers -> target"}

        def on_target():
            return [n for n, (t, v) in self.c.acked.items()
                    if t > start and sc.cluster_of(v) == "target"]

        def over():
            if sc.rejected_since(start):
                return True
            ns = on_target()
            if ns and "first" not in flip:
                flip["first"] = self.c.acked[min(ns)][0]
                self.note(f"first record acknowledged by target "
                          f"({flip['first'] - start:.1f} s after the edit)", flip["first"])
            return any(n in self.c.got for n in ns)
        try:
            self.wait(over, PRODUCER_FLIP_MAX_S,
                      "record written to target and consumed by the group")
        except StepFailed as e:
            self.fail_step("producer flip", f"{e}; producers' records acknowledged by "
                           f"target: {len(on_target())}; see {self.label(sc.log)}")
            return
        if why := sc.rejected_since(start):
            self.fail_step("producer flip", f"turnout refused the change: {why}")
            return
        flip["end"] = min(self.c.got_first[n][0] for n in on_target() if n in self.c.got)
        flip["pause"] = longest_gap(self.c.got_times, start, flip["end"])
        ack_pause = longest_gap(self.c.ack_times, start, flip["first"])
        self.ok_step("producer flip", f"first record acknowledged by target "
                     f"{flip['first'] - start:.1f} s after the edit (no acknowledgement for "
                     f"{ack_pause:.1f} s), consumed {flip['end'] - start:.1f} s after; longest "
                     f"time without consumption {flip['pause']:.1f} s")

    def drain(self):
        self.step = "stopping the producer; waiting for every record to be consumed"
        status = self.producer.stop(timeout=15)
        self.poll()
        self.note(f"producer stopped: {self.c.done.get('producer', 'no totals')}")
        if status != 0:
            self.fail_step("producer", f"exited with status {status} "
                           f"({self.c.done.get('producer', 'no DONE line')})")
        try:
            self.note(f"mirror caught up: {self.mirror.cmd('wait 10000', timeout=12)}")
        except StepFailed as e:
            self.fail_step("mirror", str(e))
        try:
            self.wait(lambda: self.c.lag() == 0, DRAIN_MAX_S,
                      "every acknowledged record consumed")
        except StepFailed:
            pass  # the verdict names what is missing
        self.finish_flips()

    def finish_flips(self):
        """A flip that never completed paused consumption until now."""
        now = time.monotonic()
        for f in self.flips.values():
            if "pause" not in f:
                f["pause"] = longest_gap(self.c.got_times, f["start"], now)

    def first_consumed_on(self, cluster, sc, after):
        ts = [t for t, v in self.c.got_first.values()
              if t > after and sc.cluster_of(v) == cluster]
        return min(ts) if ts else None

    def label(self, path):
        return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)

    def note(self, text, t=None):
        self.timeline.append((time.monotonic() if t is None else t, text))

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
            if ch is not self.producer and not ch.alive():
                raise ChildExited(f"{ch.name} exited with status {ch.proc.returncode}")

    def poll(self):
        for who, tail in self.tails.items():
            self.c.feed(who, tail.lines())
        for sc in self.sidecars.values():
            sidecar_status(sc)
            self.timeline += [(t, text) for t, text, _ in sc.events]
            sc.events_seen += sc.events
            sc.events = []
        now = time.monotonic()
        if self.mirror and self.mirror.alive() and now - self.last_stats > 1:
            self.last_stats = now
            try:
                self.mirror_stats = dict(kv.split("=", 1) for kv in
                                         self.mirror.cmd("stats", timeout=5).split())
            except (StepFailed, ValueError):
                pass

    def tick(self, force=False):
        self.poll()
        self.screen.update(self, force)


def main():
    ap = argparse.ArgumentParser(description="turnout's main job on embedded clusters")
    ap.add_argument("--no-tty", action="store_true",
                    help="plain lines instead of the live view (tests, CI, a log file)")
    ap.add_argument("--out", type=Path, default=BUILD / "demo",
                    help="directory for the configuration files and logs (emptied first)")
    args = ap.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for f in out.iterdir():
        if f.is_file():
            f.unlink()

    def on_signal(sig, frame):
        raise Interrupted(signal.Signals(sig).name)
    # SIGINT too: a shell that starts the demo in the background leaves it ignored
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    tty = sys.stdout.isatty() and not args.no_tty
    screen = view.Screen(tty)
    demo = Demo(out, screen)
    interrupted = False
    try:
        demo.run()
        demo.step = "done"
    except (StepFailed, ChildExited) as e:
        demo.fail_step(demo.step, str(e))
    except Interrupted as e:
        interrupted = True
        demo.fail_step("interrupted", f"by {e}")
    finally:
        # a second Ctrl-C must not cut the cleanup short
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        elapsed = time.monotonic() - demo.t0
        demo.finish_flips()
        demo.poll()
        screen.update(demo, force=True)
        demo.stop_all()
        screen.close()
        for who, tail in demo.tails.items():
            demo.c.feed(who, tail.lines())
    return view.verdict(demo, elapsed, interrupted)


if __name__ == "__main__":
    sys.exit(main())
