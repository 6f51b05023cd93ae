"""Starts the real turnout binary (the sanitized build) against a running
`Clusters`, on free ports, and stops it; pgbouncer-style."""
import json
import os
import re
import signal
import subprocess
import time

from harness import REPO

TURNOUT = REPO / "build" / "asan" / "turnout"
SCHEMA = REPO / "schema" / "turnout.schema.json"
_validator = None


def schema_errors(cfg):
    """Messages from schema/turnout.schema.json about cfg (python3-jsonschema)."""
    global _validator
    if _validator is None:
        import jsonschema
        _validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    return [f"{list(e.path)}: {e.message}" for e in _validator.iter_errors(cfg)]


class Turnout:
    def __init__(self, clusters, tmp_path, default="legacy", extra=None, args=(),
                 config_env=None):
        """args: more `turnout run` arguments (e.g. --legacy-bootstrap);
        config_env: pass the configuration in this environment variable
        (--config-env) instead of the file."""
        assert TURNOUT.exists(), "build/asan/turnout missing: run make"
        cfg = {
            "listen": "127.0.0.1:0",
            "default_cluster": default,
            # TURNOUT_TEST_LOG_LEVEL=debug logs every request (diagnosis)
            "log_level": os.environ.get("TURNOUT_TEST_LOG_LEVEL", "info"),
            "clusters": {name: {"bootstrap": clusters.bootstrap(name)}
                         for name in ("legacy", "target")},
        }
        # The admin server on a free port: several turnouts may run at once.
        cfg["admin"] = {"listen": "127.0.0.1:0"}
        cfg.update(extra or {})
        self.config_path = tmp_path / "turnout.json"
        self.config_path.write_text(json.dumps(cfg))
        self.log_path = tmp_path / "turnout.log"
        self.args = list(args)
        self.config_env = config_env
        self.proc = None
        self.port = None

    def start(self, timeout=15.0, until="ready"):
        """until="admin": return once the admin server listens (the clusters
        may still be unreachable)."""
        self.log = open(self.log_path, "wb")
        # every configuration a test starts turnout with must also pass the
        # published schema (tests/deploy/test_config_schema.py checks the rest)
        errors = schema_errors(json.loads(self.config_path.read_text()))
        assert errors == [], errors
        if self.config_env:
            source = ["--config-env", self.config_env]
            env = {**os.environ, self.config_env: self.config_path.read_text()}
        else:
            source, env = ["--config", str(self.config_path)], None
        self.proc = subprocess.Popen([str(TURNOUT), "run", *source, *self.args], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(r"event=ready bootstrap=127\.0\.0\.1:(\d+)|"
                          r'"event":"ready","bootstrap":"127\.0\.0\.1:(\d+)"', self.log_text())
            if m:
                self.port = int(m.group(1) or m.group(2))
                return self
            if until == "admin" and re.search(r'event=admin_listening|"event":"admin_listening"',
                                              self.log_text()):
                return self
            assert self.proc.poll() is None, "turnout exited:\n" + self.log_text()
            time.sleep(0.05)
        raise AssertionError("turnout not ready:\n" + self.log_text())

    @property
    def admin_port(self):
        m = re.search(r"event=admin_listening listen=[\d.]+:(\d+)|"
                      r'"event":"admin_listening","listen":"[\d.]+:(\d+)"', self.log_text())
        assert m, "turnout's admin server is not listening:\n" + self.log_text()
        return int(m.group(1) or m.group(2))

    @property
    def admin_addr(self):
        return "127.0.0.1:%d" % self.admin_port

    def admin(self, path, method="GET", headers=None, timeout=10.0):
        """One request to the admin server: (status, body bytes)."""
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=timeout)
        try:
            conn.request(method, path, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def admin_json(self, path, method="GET", headers=None):
        status, body = self.admin(path, method, headers)
        return status, json.loads(body)

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    @property
    def addr(self):
        return ("127.0.0.1", self.port)

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def vbrokers(self):
        """{vid: (cluster, broker id, listen port)} from the log; a vid that
        listened again (after retiring) shows its latest port."""
        out = {}
        for vid, cluster, broker, port in re.findall(
                r"event=vbroker_listening vid=(\d+) cluster=(\w+) broker=(-?\d+) "
                r"listen=[\d.]+:(\d+)", self.log_text()):
            out[int(vid)] = (cluster, int(broker), int(port))
        return out

    def vid_of(self, cluster, broker):
        for vid, (c, b, _) in self.vbrokers().items():
            if (c, b) == (cluster, broker):
                return vid
        raise AssertionError(f"no virtual broker for {cluster} broker {broker}")

    def fd_count(self):
        """Open file descriptors of the turnout process."""
        import os
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def stop(self, timeout=10.0):
        """SIGTERM; returns the exit status (sanitizer reports make it non-zero)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.log.close()
                return -9
        self.log.close()
        return self.proc.returncode
