"""Drives tests/mirror/mm2mirror (the MM2-faithful test mirror) and reads
the ground truth it writes; also a Python model of MM2's sync history.

The mirror is a client of the mock clusters started by `Clusters`; its map
file says what happened to every source record:
  M topic partition src tgt   mirrored (src on legacy, tgt on target)
  D topic partition src       dropped (SMT-like filter)
  S topic partition up down   offset-sync acknowledged
  C group topic partition up down   checkpoint emitted
"""

import subprocess
import threading
import queue
from collections import defaultdict

from harness import BUILD_DIR

CHECKPOINTS_TOPIC = "legacy.checkpoints.internal"
SYNCS_TOPIC = "mm2-offset-syncs.target.internal"


def mirror_path(flavor):
    path = BUILD_DIR / flavor / "mm2mirror"
    assert path.exists(), f"{path} missing: run make (make mirror-modern for modern)"
    return path


class Mirror:
    def __init__(self, clusters, tmp_path, topics=(), groups=(), args=()):
        self.map_path = tmp_path / f"mirror-{len(list(tmp_path.glob('mirror-*.map')))}.map"
        self.log_path = self.map_path.with_suffix(".log")
        cmd = [str(mirror_path(clusters.flavor)),
               "--legacy", clusters.bootstrap("legacy"),
               "--target", clusters.bootstrap("target"),
               "--map", str(self.map_path), *args]
        for t in topics:
            cmd += ["--topic", t]
        for g in groups:
            cmd += ["--group", g]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log,
                                     bufsize=0)
        self._lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        line = self._next(20, "READY")
        assert line.startswith("READY"), f"mm2mirror: {line!r}\n{self.log_tail()}"
        _, self.checkpoints_topic, self.syncs_topic = line.split()

    def _read(self):
        for raw in self.proc.stdout:
            self._lines.put(raw.decode(errors="replace").rstrip("\n"))
        self._lines.put(None)

    def _next(self, timeout, what):
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"mm2mirror: no {what} in {timeout}s\n"
                                 f"{self.log_tail()}") from None
        if line is None:
            raise AssertionError(f"mm2mirror exited ({self.proc.poll()}) waiting "
                                 f"for {what}\n{self.log_tail()}")
        return line

    def log_tail(self):
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def cmd(self, line, timeout=60):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        reply = self._next(timeout, f"reply to {line!r}")
        assert reply.startswith("OK"), f"mm2mirror {line!r} -> {reply!r}\n{self.log_tail()}"
        return reply[3:]

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
            except OSError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def truth(self):
        return Truth(self.map_path.read_text())


class Truth:
    """What the mirror did, per (topic, partition)."""

    def __init__(self, text):
        self.copies = defaultdict(list)    # (topic, p) -> [(src, tgt)] in order
        self.dropped = defaultdict(set)    # (topic, p) -> {src}
        self.syncs = defaultdict(list)     # (topic, p) -> [(up, down)] in order
        self.checkpoints = []              # (group, topic, p, up, down)
        for line in text.splitlines():
            w = line.split()
            if w[0] == "M":
                self.copies[(w[1], int(w[2]))].append((int(w[3]), int(w[4])))
            elif w[0] == "D":
                self.dropped[(w[1], int(w[2]))].add(int(w[3]))
            elif w[0] == "S":
                self.syncs[(w[1], int(w[2]))].append((int(w[3]), int(w[4])))
            elif w[0] == "C":
                self.checkpoints.append((w[1], w[2], int(w[3]), int(w[4]), int(w[5])))

    def bounds(self, topic, p, g, target_end):
        """(lo, hi): a target offset t is exact iff lo <= t <= hi, never
        ahead iff t <= hi. lo is one past the copy of the last record before
        g, hi the copy of the first record at or after g (or the target end
        if none is mirrored yet)."""
        copies = self.copies[(topic, p)]
        before = [t for s, t in copies if s < g]
        after = [t for s, t in copies if s >= g]
        lo = max(before) + 1 if before else 0
        hi = min(after) if after else target_end
        return lo, hi

    def rereads(self, topic, p, g, t):
        """Records the group consumed on legacy (src < g) whose copies are at
        or after t on the target: delivered again if it starts at t."""
        return sum(1 for s, tt in self.copies[(topic, p)] if s < g and tt >= t)


class MM2History:
    """MirrorMaker 2's OffsetSyncStore array (64 slots, invariants B and C),
    written independently of routing/translate.c to cross-check it."""

    N = 64

    def __init__(self):
        self.s = None  # list of (up, down, id), newest first

    @staticmethod
    def _b(a, i, b, j):
        if a[2] == b[2]:
            return True
        bound = b[0] + (1 << j) - (1 << i)
        return bound >= (1 << 63) or a[0] <= bound

    @staticmethod
    def _c(a, i, b):
        if a[2] == b[2]:
            return True
        bound = b[0] + (1 << max(i - 2, 0))
        return bound < (1 << 63) and a[0] >= bound

    def add(self, up, down, ident):
        new = (up, down, ident)
        if self.s is None or up < self.s[0][0]:
            self.s = [new] * self.N
            return
        orig = list(self.s)
        s = self.s
        s[0] = new
        repl, ri = new, 0
        for cur in range(1, self.N):
            prev = cur - 1
            while True:
                old = orig[ri]
                recent = self._b(s[prev], prev, old, cur)
                sep_prev = self._c(s[prev], prev, old)
                sep_next = cur + 1 >= self.N or self._c(old, cur, s[cur + 1])
                dup = ri + 1 < self.N and old[2] == orig[ri + 1][2]
                promote = recent and sep_prev and sep_next
                if promote:
                    repl = old
                skip = dup or not sep_prev
                if promote or skip:
                    ri += 1
                if not (ri < cur and skip):
                    break
            if self._b(s[prev], prev, s[cur], cur):
                break
            s[cur] = repl

    def translate(self, g):
        """MM2's translateDownstream: None (no sync), -1, or the offset."""
        if self.s is None:
            return None
        for up, down, _ in self.s:
            if up <= g:
                return down if up == g else down + 1
        return -1


def mm2_histories(truth):
    """An MM2History per (topic, partition) fed with the acknowledged syncs."""
    out = {}
    ident = 0
    for key, syncs in truth.syncs.items():
        h = MM2History()
        for up, down in syncs:
            ident += 1
            h.add(up, down, ident)
        out[key] = h
    return out
