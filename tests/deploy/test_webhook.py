"""`turnout inject-webhook` over real HTTPS (a CA made by openssl for the
test): golden AdmissionReview request -> response pairs, the patches
applied with python3-jsonpatch and the results validated against the
Kubernetes schemas, idempotence, and bad input that must be answered
"allowed" without a patch and without bringing the server down.

Golden files: golden/NAME.request.json is sent as is; NAME.response.json is
the expected response with the base64 patch shown decoded (as JSON). Set
TURNOUT_UPDATE_GOLDEN=1 to rewrite the responses after a deliberate change,
then review the diff."""

import base64
import copy
import http.client
import json
import os
import socket
import ssl
import time
from pathlib import Path

import jsonpatch
import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name[: -len(".request.json")] for p in GOLDEN.glob("*.request.json"))


def post(w, body, path="/mutate", ca=None, timeout=10):
    conn = http.client.HTTPSConnection("127.0.0.1", w.port, context=w.context(ca),
                                       timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()
    finally:
        conn.close()


def review(w, request_obj):
    status, ctype, body = post(w, json.dumps(request_obj).encode())
    assert status == 200 and ctype == "application/json"
    return json.loads(body)


def decoded(resp):
    """The response with its base64 patch decoded, for comparison."""
    out = copy.deepcopy(resp)
    if "patch" in out["response"]:
        out["response"]["patch"] = json.loads(base64.b64decode(out["response"]["patch"]))
    return out


@pytest.mark.parametrize("case", CASES)
def test_golden(case, webhook, webhook_container_mode, k8s_validate):
    w = webhook_container_mode if case.startswith("container-") else webhook
    req = json.loads((GOLDEN / f"{case}.request.json").read_text())
    resp = review(w, req)
    got = decoded(resp)
    want_path = GOLDEN / f"{case}.response.json"
    if os.environ.get("TURNOUT_UPDATE_GOLDEN"):
        want_path.write_text(json.dumps(got, indent=2) + "\n")
    want = json.loads(want_path.read_text())
    assert got == want

    r = resp["response"]
    assert r["uid"] == req["request"]["uid"] and r["allowed"] is True
    if "patch" not in r:
        assert "patchType" not in r
        return
    assert r["patchType"] == "JSONPatch"
    # a real JSONPatch implementation applies it, and the Pod stays valid
    pod = req["request"]["object"]
    patched = jsonpatch.JsonPatch(got["response"]["patch"]).apply(pod)
    pod_name = patched["metadata"].get("name") or patched["metadata"]["generateName"]
    patched_named = dict(patched, metadata=dict(patched["metadata"], name=pod_name))
    errors = k8s_validate([patched_named])
    assert errors == {("Pod", pod_name): []}
    # the app now bootstraps to turnout; turnout gets the original address
    spec = patched["spec"]
    side = (spec["containers"][0] if case.startswith("container-")
            else spec["initContainers"][0])
    assert side["name"] == "turnout" and side["image"] == "registry.example/turnout:1.0"
    assert patched["metadata"]["annotations"]["turnout.io/status"] == "injected"
    assert {"name": "turnout-config", "configMap": {"name": "orders-routes"}} in spec["volumes"]
    # every volume the sidecar mounts exists, once; the app's own are kept
    names = [v["name"] for v in spec["volumes"]]
    assert len(names) == len(set(names))
    assert {m["name"] for m in side["volumeMounts"]} <= set(names)
    assert names[:len(pod["spec"].get("volumes", []))] == \
        [v["name"] for v in pod["spec"].get("volumes", [])]
    # annotations other than ours, '/' and '~' in their keys included, are kept
    for k, v in pod["metadata"]["annotations"].items():
        assert patched["metadata"]["annotations"][k] == v

    # reinvocation (reinvocationPolicy IfNeeded) and re-injection add nothing
    again = copy.deepcopy(req)
    again["request"]["object"] = patched
    again["request"]["uid"] += "-again"
    r2 = review(w, again)["response"]
    assert r2["uid"] == again["request"]["uid"] and r2["allowed"] is True
    assert "patch" not in r2


def test_golden_bootstrap_rewrites(webhook):
    """The meaning of one golden case spelled out: every listed variable in
    every container (and in later init containers) points at turnout."""
    req = json.loads((GOLDEN / "init-and-volumes.request.json").read_text())
    patch = decoded(review(webhook, req))["response"]["patch"]
    pod = jsonpatch.JsonPatch(patch).apply(req["request"]["object"])
    init = pod["spec"]["initContainers"]
    assert [c["name"] for c in init] == ["turnout", "create-topics"]
    assert init[0]["restartPolicy"] == "Always"
    assert init[0]["env"] == [{"name": "TURNOUT_BOOTSTRAP",
                               "value": "kafka-1.legacy.internal:9092,kafka-2.legacy.internal:9092"}]
    assert init[0]["args"][-2:] == ["--legacy-bootstrap", "$(TURNOUT_BOOTSTRAP)"]
    assert init[0]["startupProbe"]["exec"]["command"][-1] == "http://127.0.0.1:9644/readyz"
    assert init[1]["env"] == [{"name": "KAFKA_BROKERS", "value": "127.0.0.1:9092"}]
    assert pod["spec"]["containers"][0]["env"] == [
        {"name": "KAFKA_BOOTSTRAP_SERVERS", "value": "127.0.0.1:9092"}]
    assert "env" not in pod["spec"]["containers"][1]
    assert [v["name"] for v in pod["spec"]["volumes"]] == ["data", "turnout-config"]


def test_golden_secrets(webhook):
    """turnout.io/secrets mounts each Secret read-only under
    /etc/turnout-secrets/<name> in the sidecar only; turnout.io/secret-env
    gives the sidecar (only) variables from Secret keys."""
    req = json.loads((GOLDEN / "secrets.request.json").read_text())
    patch = decoded(review(webhook, req))["response"]["patch"]
    pod = jsonpatch.JsonPatch(patch).apply(req["request"]["object"])
    spec = pod["spec"]
    assert spec["volumes"] == [
        {"name": "turnout-config", "configMap": {"name": "orders-routes"}},
        {"name": "turnout-secret-0", "secret": {"secretName": "orders-kafka"}},
        {"name": "turnout-secret-1", "secret": {"secretName": "legacy-tls"}}]
    side = spec["initContainers"][0]
    assert side["volumeMounts"] == [
        {"name": "turnout-config", "mountPath": "/etc/turnout", "readOnly": True},
        {"name": "turnout-secret-0", "mountPath": "/etc/turnout-secrets/orders-kafka",
         "readOnly": True},
        {"name": "turnout-secret-1", "mountPath": "/etc/turnout-secrets/legacy-tls",
         "readOnly": True}]
    assert side["env"][1:] == [{"name": "TURNOUT_TARGET_PASSWORD", "valueFrom": {
        "secretKeyRef": {"name": "orders-kafka", "key": "password"}}}]
    app = spec["containers"][0]
    assert "volumeMounts" not in app
    assert all("valueFrom" not in e for e in app["env"])
    # the status annotation's path is escaped; the other keys need no patch
    status_ops = [op for op in patch if op["path"].startswith("/metadata/")]
    assert status_ops == [{"op": "add", "path": "/metadata/annotations/turnout.io~1status",
                           "value": "injected"}]
    assert pod["metadata"]["annotations"]["example.com/owner~team"] == "payments"

    bad = json.loads((GOLDEN / "secrets-bad.request.json").read_text())
    r = review(webhook, bad)["response"]
    assert "patch" not in r and r["allowed"] is True
    assert r["warnings"] == ["turnout not injected: annotation turnout.io/secret-env: want 1-8 "
                             "distinct VAR=secret/key items separated by commas, not "
                             "'TURNOUT_TARGET_PASSWORD=orders-kafka'"]


BAD_BODIES = {
    "malformed-json": b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionRev',
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "json-array": b"[1, 2, 3]",
    "no-request": b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}',
    "uid-not-string": b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",'
                      b' "request": {"uid": 5}}',
    "object-not-pod": json.dumps({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u-9", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                    "operation": "CREATE", "namespace": "shop",
                    "object": {"metadata": {"annotations": {"turnout.io/inject": "true"}},
                               "spec": {"containers": "not a list"}}}}).encode(),
    "deep-nesting": b"[" * 100000,
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_input_allowed_without_patch(name, webhook):
    before = webhook.logs().count("event=admission")
    status, ctype, body = post(webhook, BAD_BODIES[name])
    assert status == 200 and ctype == "application/json"
    r = json.loads(body)["response"]
    assert r["allowed"] is True and "patch" not in r and "patchType" not in r
    assert r["uid"] == ("u-9" if name == "object-not-pod" else "")
    deadline = time.monotonic() + 5
    while webhook.logs().count("event=admission") == before and time.monotonic() < deadline:
        time.sleep(0.02)
    line = [l for l in webhook.logs().splitlines() if "event=admission" in l][-1]
    assert "level=warn" in line or "level=debug" in line or "result=skipped" in line, line
    assert webhook.proc.poll() is None


def test_huge_body(webhook):
    """Over --max-body-bytes (1 MiB here): answered allowed, unparsed, logged.
    Over twice that, evhttp refuses with 413 (the API server then applies
    failurePolicy Ignore). The server keeps serving either way."""
    status, _, body = post(webhook, b"{" + b" " * (1 << 20) + b"}")
    r = json.loads(body)["response"]
    assert status == 200 and r["allowed"] is True and "patch" not in r
    time.sleep(0.1)
    assert "result=ignored reason=\"body of 1048578 bytes over 1048576\"" in webhook.logs()
    try:
        status, _, _ = post(webhook, b" " * (3 << 20))
        assert status == 413
    except (ConnectionError, ssl.SSLError, http.client.HTTPException):
        pass  # the server may close before the client finished sending
    req = json.loads((GOLDEN / "controller-pod.request.json").read_text())
    assert "patch" in review(webhook, req)["response"]


def test_http_surface(webhook):
    conn = http.client.HTTPSConnection("127.0.0.1", webhook.port, context=webhook.context())
    for method, path, want in [("GET", "/healthz", 200), ("GET", "/readyz", 200),
                               ("GET", "/mutate", 405), ("GET", "/nope", 404),
                               ("PUT", "/mutate", 501)]:
        conn.request(method, path)
        r = conn.getresponse()
        r.read()
        assert r.status == want, (method, path)
    conn.close()


def test_tls(webhook, tls):
    # the client refuses a server its CA did not sign ...
    with pytest.raises(ssl.SSLCertVerificationError):
        post(webhook, b"{}", ca=tls / "other-ca.crt")
    # ... the certificate carries the Service's name ...
    ctx = webhook.context()
    with socket.create_connection(("127.0.0.1", webhook.port)) as s, \
            ctx.wrap_socket(s, server_hostname="turnout-webhook.turnout.svc") as t:
        assert t.version() in ("TLSv1.2", "TLSv1.3")
    # ... and plaintext HTTP gets no AdmissionReview
    with socket.create_connection(("127.0.0.1", webhook.port), timeout=5) as s:
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        try:
            data = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert b"AdmissionReview" not in data


def test_certificate_reload(turnout, tls, tmp_path):
    """A rotated Secret (new files) is picked up without a restart; a broken
    pair keeps the old certificate."""
    from conftest import Webhook, make_leaf
    w = Webhook(turnout, tls, tmp_path, extra=("--tls-reload-ms", "100"))
    try:
        assert post(w, b"{}")[0] == 200
        (tmp_path / "tls.key").write_text("not a key\n")
        deadline = time.monotonic() + 10
        while "tls_reload_failed" not in w.logs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "tls_reload_failed" in w.logs()
        assert post(w, b"{}")[0] == 200  # still the old certificate
        # rotate to a certificate from another CA, as a re-issued Secret would
        make_leaf(tls, "other-ca", "rotated", "turnout-webhook.turnout.svc", "IP:127.0.0.1")
        (tmp_path / "tls.crt.new").write_bytes((tls / "rotated.crt").read_bytes())
        (tmp_path / "tls.key.new").write_bytes((tls / "rotated.key").read_bytes())
        os.replace(tmp_path / "tls.key.new", tmp_path / "tls.key")
        os.replace(tmp_path / "tls.crt.new", tmp_path / "tls.crt")
        deadline = time.monotonic() + 10
        while "event=tls_reloaded" not in w.logs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "event=tls_reloaded" in w.logs()
        assert post(w, b"{}", ca=tls / "other-ca.crt")[0] == 200
        with pytest.raises(ssl.SSLCertVerificationError):
            post(w, b"{}")
    finally:
        assert w.stop() == 0, w.logs()
