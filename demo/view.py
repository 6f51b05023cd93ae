"""The demo's live view and its verdict (demo/demo.py owns the facts).

On a terminal the block below is redrawn in place four times a second with
ANSI escapes (cursor up, erase to end of line); with --no-tty each timeline
entry is printed once as it happens and a counts line every 5 seconds, for
logs and tests. README "The demo" explains every line.
"""

import os
import sys
import time

CLUSTERS = ("legacy", "target")
TIMELINE_ROWS = 14  # without a terminal size; else as many as fit


def fmt_t(t):
    return f"{int(t // 60):02d}:{t % 60:04.1f}"


def per_cluster(counter, sc):
    """{cluster: count} from counts per virtual broker of sidecar sc."""
    out = dict.fromkeys(CLUSTERS, 0)
    for vid, n in counter.items():
        cl = sc.cluster_of(vid) if sc else None
        if cl:
            out[cl] += n
    return out


def counts(d):
    """(produced per cluster, consumed per cluster) of demo d."""
    return (per_cluster(d.c.ack_vid, d.sidecars.get("orders-api")),
            per_cluster(d.c.got_vid, d.sidecars.get("billing")))


def group_state(d):
    sc = d.sidecars.get("billing")
    g = sc.groups.get(d.group) if sc else None
    if not g:
        return "not seen by turnout yet"
    if g["state"] in ("serving", "resumed"):
        return f"served on {g['cluster']}"
    if g["state"] == "failed":
        return f"flip failed, served on {g['cluster']}: {g.get('reason', '')}"
    return f"flipping: {g['state']}"


def flip_summary(d):
    """The last flip's translation, as turnout logged it."""
    sc = d.sidecars.get("billing")
    g = sc.groups.get(d.group, {}) if sc else {}
    if "partitions" not in g:
        return ""
    out = (f"last flip: {g['partitions']} partitions translated (exact {g.get('exact')}, "
           f"checkpoint {g.get('checkpoint')}, conservative {g.get('conservative')}, "
           f"none {g.get('none')}), re-reads at most {g.get('rereads_max')}")
    if g.get("pause_ms"):
        out += f", fetches held {int(g['pause_ms']) / 1000:.1f} s"
    return out


def producer_route(d):
    sc = d.sidecars.get("orders-api")
    return sc.route("routes", "producers", "cluster") or "legacy" if sc else "-"


def counts_line(d):
    prod, cons = counts(d)
    return (f"{fmt_t(time.monotonic() - d.t0)} produced legacy {prod['legacy']} target "
            f"{prod['target']} | mirrored {d.mirror_stats.get('mirrored', '-')} | consumed "
            f"legacy {cons['legacy']} target {cons['target']} | lag {d.c.lag()} | group "
            f"{group_state(d)} | producers {producer_route(d)}")


def idle(d):
    """How long the group has received nothing, once that is noticeable."""
    if not d.c.got_times:
        return ""
    quiet = time.monotonic() - max(d.c.got_times)
    return f"; nothing received for {quiet:.0f} s" if quiet >= 2 else ""


def lines(d, rows=None):
    """The live view of demo d, one string per terminal line; the timeline
    shows its newest entries, as many as fit in rows lines."""
    prod, cons = counts(d)
    mirrored = d.mirror_stats.get("mirrored")
    mlag = prod["legacy"] - int(mirrored) if mirrored else "-"
    members = ", ".join(f"{m} partitions {p}" for m, p in sorted(d.c.assigned.items()))
    out = [
        f"turnout demo  {fmt_t(time.monotonic() - d.t0)}   {d.step}",
        "",
        f"  {'records':34}{'legacy':>8}{'target':>9}",
        f"  {'produced (acknowledged)':34}{prod['legacy']:>8}{prod['target']:>9}"
        f"    producers' route: {producer_route(d)}",
        f"  {'mirrored legacy -> target':34}{mirrored or '-':>8}{'':9}"
        f"    mirror lag: {mlag}",
        f"  {'consumed by group ' + d.group:34}{cons['legacy']:>8}{cons['target']:>9}"
        f"    lag: {d.c.lag()} acknowledged, not consumed{idle(d)}",
        f"  {'consumed again (re-read)':34}{d.c.rereads():>8}",
        "",
        f"  group {d.group}: {group_state(d)};  members: {members or '-'}",
        f"  {flip_summary(d)}",
        "",
        "  timeline",
    ]
    d.timeline.sort(key=lambda e: e[0])
    keep = max(rows - len(out) - 1, 3) if rows else TIMELINE_ROWS
    for t, text in d.timeline[-keep:]:
        out.append(f"   {fmt_t(max(t - d.t0, 0))}  {text}")
    return out


class Screen:
    """Redraws the view in place (tty) or prints new timeline entries."""

    def __init__(self, tty):
        self.tty = tty
        self.drawn = 0      # lines on screen from the last redraw
        self.shown = 0      # timeline entries printed (no tty)
        self.last = 0.0
        self.last_counts = 0.0
        if tty:
            sys.stdout.write("\x1b[?25l")  # no cursor flicker while redrawing

    def close(self):
        if self.tty:
            sys.stdout.write("\x1b[?25h")
            sys.stdout.flush()

    def update(self, d, force=False):
        now = time.monotonic()
        if self.tty:
            if force or now - self.last >= 0.25:
                try:
                    size = os.get_terminal_size()
                except OSError:
                    size = os.terminal_size((120, 0))
                self.draw(lines(d, size.lines or None), size.columns)
                self.last = now
            return
        d.timeline.sort(key=lambda e: e[0])
        for t, text in d.timeline[self.shown:]:
            print(f"  {fmt_t(max(t - d.t0, 0))}  {text}", flush=True)
        self.shown = len(d.timeline)
        if force or now - self.last_counts >= 5:
            print("  " + counts_line(d), flush=True)
            self.last_counts = now

    def draw(self, rows, width):
        """Rewrites the block in place: up to its first line, each row
        cleared to the end, rows of a longer previous block blanked."""
        out = [f"\x1b[{self.drawn}A"] if self.drawn else []
        for i, row in enumerate(rows):
            row = row[:width - 1]  # a wrapped row would throw the redraw off
            if i == 0:
                row = "\x1b[1m" + row[:12] + "\x1b[0m" + row[12:]
            out.append("\r" + row + "\x1b[K\n")
        out += ["\x1b[K\n"] * (self.drawn - len(rows))
        sys.stdout.write("".join(out))
        sys.stdout.flush()
        self.drawn = max(len(rows), self.drawn)


def verdict(d, elapsed, interrupted):
    """Prints the verdict lines; returns the exit status."""
    acked = set(d.c.acked)
    missing = sorted(acked - set(d.c.got))
    prod, cons = counts(d)
    bound = d.flips.get("group", {}).get("rereads_max")
    pauses = ", ".join(f"{f['name']} {f['pause']:.1f} s" for f in d.flips.values()
                       if "pause" in f)
    print()
    print(f"verdict: produced {len(acked)} acknowledged (legacy {prod['legacy']}, target "
          f"{prod['target']}; {len(d.c.failed)} failed), consumed {len(d.c.got)} distinct "
          f"in {sum(d.c.got.values())} reads (legacy {cons['legacy']}, "
          f"target {cons['target']})")
    if interrupted:
        print(f"verdict: lost unknown (interrupted before the end: {len(missing)} "
              f"acknowledged records not consumed yet), re-read {d.c.rereads()}")
    else:
        print(f"verdict: lost {len(missing)}, re-read {d.c.rereads()}"
              + (f" (the group flip's translation allowed {bound})" if bound else ""))
    print(f"verdict: pause (longest time without consumption) per flip: "
          f"{pauses or 'no flip ran'}")
    if missing and not interrupted:
        show = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        print(f"verdict: lost records: {show}")
    for name, ok, detail in d.steps:
        print(f"verdict: step {name}: {'ok' if ok else 'FAILED'} — {detail}")
    bad = [name for name, ok, _ in d.steps if not ok]
    if missing and not interrupted:
        bad.append(f"{len(missing)} records lost")
    if not acked:
        bad.append("nothing was produced")
    print(f"verdict: {'PASS' if not bad else 'FAIL (' + '; '.join(bad) + ')'} in "
          f"{elapsed:.0f} s; logs in {d.out_label}/", flush=True)
    return 0 if not bad else 1
