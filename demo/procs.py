"""The demo's child processes and the files they write (demo/demo.py)."""

import ctypes
import os
import queue
import signal
import subprocess
import threading


class StepFailed(Exception):
    """A step of the demo did not happen in time or went wrong."""


class ChildExited(Exception):
    """A process the demo needs exited while the demo ran."""


def _child_setup():
    """Each child in its own process group, so a Ctrl-C in the terminal
    reaches only the demo, which stops them in order; and SIGTERM to the
    child if the demo dies without cleaning up (PR_SET_PDEATHSIG)."""
    os.setpgid(0, 0)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


class Child:
    """One process the demo started: stdout to a file, or to a pipe read line
    by line (mockcluster and mm2mirror, which answer commands on stdin);
    stderr to its own log or with stdout."""

    def __init__(self, name, argv, cwd, stdout_path=None, stderr_path=None, pipes=False):
        self.name = name
        self._files = []
        out = subprocess.PIPE if pipes else self._open(stdout_path)
        err = self._open(stderr_path) if stderr_path else subprocess.STDOUT
        self.proc = subprocess.Popen(
            [str(a) for a in argv], cwd=cwd, stdout=out, stderr=err,
            stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
            preexec_fn=_child_setup, bufsize=0)
        self.lines = queue.Queue()  # stdout lines (pipes); None at end of file
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
        """A control command on stdin; returns the text after "OK"."""
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as e:
            raise StepFailed(f"{self.name}: {line!r}: {e}") from None
        reply = self.next_line(timeout, f"reply to {line!r}")
        if not reply.startswith("OK"):
            raise StepFailed(f"{self.name}: {line!r} -> {reply}")
        return reply[3:]

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=10, quit_cmd=None):
        """Ask (a quit command or SIGTERM), SIGKILL after timeout; the status."""
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
    """New complete lines of a file another process appends to."""

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
        *whole, self.rest = (self.rest + data).split(b"\n")
        return [w.decode(errors="replace") for w in whole]
