"""The helm chart, offline: `helm lint --strict` and `helm template` for
several value sets and Kubernetes versions, every rendered object validated
against the Kubernetes (and cert-manager) schemas, yamllint over the chart
and its output, and the rendered webhook configuration, certificates and
webhook command line checked against what turnout actually accepts."""

import base64
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, yaml_docs

CHART = ROOT / "helm" / "turnout"
FULL_CONFIG = Path(__file__).resolve().parent / "values" / "full-config.yaml"

VALUE_SETS = {
    "defaults": [],
    "cert-manager": ["--set", "certManager.enabled=true"],
    "cert-manager-cluster-issuer": [
        "--set", "certManager.enabled=true",
        "--set", "certManager.issuerRef.name=corp-ca",
        "--set", "certManager.issuerRef.kind=ClusterIssuer"],
    "single-replica-container-mode": [
        "--set", "webhook.replicas=1", "--set", "sidecar.mode=container",
        "--set", "exampleRoutes.enabled=false", "--set", "rbac.routeEditor=false"],
    "custom": [
        "--set", "image.repository=registry.example/turnout", "--set", "image.tag=1.2.3",
        "--set", "sidecar.image=registry.example/turnout-sidecar:1.2.3",
        "--set", "sidecar.pullPolicy=Always",
        "--set", "sidecar.resources.memoryLimit=512Mi",
        "--set", "webhook.nodeSelector.pool=system",
        "--set", "imagePullSecrets[0].name=regcred",
        "--set", "exampleRoutes.namespace=shop"],
    "full-config": ["-f", str(FULL_CONFIG)],
}

YAMLLINT_RENDERED = ("{extends: default, rules: {line-length: disable, document-start: disable, "
                     "comments: {min-spaces-from-content: 1}}}")


def helm_run(helm, *args, check=True):
    p = subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def render(helm, values, kube="1.30.0", namespace="turnout"):
    p = helm_run(helm, "template", "tr", str(CHART), "--namespace", namespace,
                 "--kube-version", kube, *values)
    return p.stdout, yaml_docs(p.stdout)


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_lint_strict(helm, name):
    p = helm_run(helm, "lint", "--strict", str(CHART), *VALUE_SETS[name])
    assert "0 chart(s) failed" in p.stdout


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_rendered_manifests_validate(helm, name, k8s_validate, tmp_path):
    text, docs = render(helm, VALUE_SETS[name])
    errors = k8s_validate(docs)
    assert all(not e for e in errors.values()), errors
    kinds = sorted(d["kind"] for d in docs)
    want = {"Deployment", "Service", "ServiceAccount", "MutatingWebhookConfiguration"}
    assert want <= set(kinds)
    out = tmp_path / "rendered.yaml"
    out.write_text(text)
    p = subprocess.run(["yamllint", "-f", "parsable", "-d", YAMLLINT_RENDERED, str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout


def test_chart_files_yamllint():
    files = [CHART / "Chart.yaml", CHART / "values.yaml",
             *sorted((ROOT / "tests" / "deploy" / "manifests").glob("*.yaml"))]
    p = subprocess.run(["yamllint", "-f", "parsable", "-d",
                        "{extends: default, rules: {line-length: {max: 120}, "
                        "document-start: disable}}", *map(str, files)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
    json.loads((CHART / "values.schema.json").read_text())


def test_webhook_configuration(helm):
    _, docs = render(helm, [])
    [mwc] = by_kind(docs, "MutatingWebhookConfiguration")
    [hook] = mwc["webhooks"]
    assert hook["sideEffects"] == "None"
    assert hook["failurePolicy"] == "Ignore"
    assert hook["reinvocationPolicy"] == "IfNeeded"
    assert hook["admissionReviewVersions"] == ["v1"]
    assert hook["rules"] == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                              "resources": ["pods"], "scope": "Namespaced"}]
    svc = hook["clientConfig"]["service"]
    [service] = by_kind(docs, "Service")
    assert (svc["name"], svc["namespace"], svc["path"], svc["port"]) == \
        (service["metadata"]["name"], "turnout", "/mutate", 443)
    exprs = hook["namespaceSelector"]["matchExpressions"]
    assert {"key": "turnout.io/injection", "operator": "In", "values": ["enabled"]} in exprs
    assert {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
            "values": ["kube-system", "turnout"]} in exprs


def test_generated_certificates(helm, tmp_path):
    """The caBundle is the CA in the Secret, and the serving certificate it
    signed names the webhook Service."""
    _, docs = render(helm, [])
    [secret] = by_kind(docs, "Secret")
    [mwc] = by_kind(docs, "MutatingWebhookConfiguration")
    assert mwc["webhooks"][0]["clientConfig"]["caBundle"] == secret["data"]["ca.crt"]
    for k in ("ca.crt", "tls.crt", "tls.key"):
        (tmp_path / k).write_bytes(base64.b64decode(secret["data"][k]))
    v = subprocess.run(["openssl", "verify", "-CAfile", "ca.crt", "tls.crt"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert v.returncode == 0 and "tls.crt: OK" in v.stdout, v.stdout + v.stderr
    sans = subprocess.run(["openssl", "x509", "-in", "tls.crt", "-noout", "-ext",
                           "subjectAltName"], cwd=tmp_path, capture_output=True, text=True).stdout
    for name in ["tr-turnout-webhook.turnout.svc", "tr-turnout-webhook.turnout.svc.cluster.local"]:
        assert f"DNS:{name}" in sans
    # the key belongs to the certificate
    pub = [subprocess.run(["openssl", *args], cwd=tmp_path, capture_output=True).stdout
           for args in (["x509", "-in", "tls.crt", "-noout", "-pubkey"],
                        ["pkey", "-in", "tls.key", "-pubout"])]
    assert pub[0] == pub[1] and pub[0]
    # the Deployment rolls when the certificate changes
    [dep] = by_kind(docs, "Deployment")
    assert re.fullmatch(r"[0-9a-f]{16}",
                        dep["spec"]["template"]["metadata"]["annotations"]["checksum/tls"])


def test_cert_manager_wiring(helm):
    _, docs = render(helm, VALUE_SETS["cert-manager"])
    assert not by_kind(docs, "Secret")
    [mwc] = by_kind(docs, "MutatingWebhookConfiguration")
    assert "caBundle" not in mwc["webhooks"][0]["clientConfig"]
    serving = [c for c in by_kind(docs, "Certificate") if not c["spec"].get("isCA")]
    [cert] = serving
    assert mwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
        f"turnout/{cert['metadata']['name']}"
    [dep] = by_kind(docs, "Deployment")
    assert cert["spec"]["secretName"] == dep["spec"]["template"]["spec"]["volumes"][0][
        "secret"]["secretName"]
    _, docs = render(helm, VALUE_SETS["cert-manager-cluster-issuer"])
    [cert] = by_kind(docs, "Certificate")
    assert cert["spec"]["issuerRef"] == {"name": "corp-ca", "kind": "ClusterIssuer"}
    assert not by_kind(docs, "Issuer")


@pytest.mark.parametrize("kube,mode", [("1.28.9", "container"), ("1.29.0", "native"),
                                       ("1.33.1", "native")])
def test_sidecar_mode_follows_cluster_version(helm, kube, mode):
    _, docs = render(helm, [], kube=kube)
    [dep] = by_kind(docs, "Deployment")
    args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--sidecar-mode") + 1] == mode


def test_rendered_webhook_command_runs(helm, turnout, tls, tmp_path):
    """The chart's command line is one turnout accepts: start it with the
    rendered args (test certificate, free port) and get an answer."""
    _, docs = render(helm, VALUE_SETS["custom"])
    [dep] = by_kind(docs, "Deployment")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    args = list(c["args"])
    subst = {"--tls-cert": str(tls / "server.crt"), "--tls-key": str(tls / "server.key"),
             "--listen": "127.0.0.1:0", "--namespace": "turnout"}
    for flag, value in subst.items():
        args[args.index(flag) + 1] = value
    assert args[args.index("--image") + 1] == "registry.example/turnout-sidecar:1.2.3"
    assert args[args.index("--memory-limit") + 1] == "512Mi"
    log = tmp_path / "log"
    with open(log, "w") as f:
        proc = subprocess.Popen([str(turnout), *args, "--drain-ms", "0"], stdout=f,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while "event=starting" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        assert "event=starting" in log.read_text()
        assert "mode=native" in log.read_text()
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0, log.read_text()


def test_example_routes_config_accepted(helm, turnout, tmp_path):
    _, docs = render(helm, [])
    [cm] = by_kind(docs, "ConfigMap")
    cfg = tmp_path / "turnout.json"
    cfg.write_text(cm["data"]["turnout.json"])
    cfg_json = json.loads(cm["data"]["turnout.json"])
    assert cfg_json["listen"] == "127.0.0.1:9092"
    for entry in cfg_json["clusters"]["target"]["bootstrap"].split(","):
        assert re.fullmatch(r"[a-z0-9.-]+:[0-9]+", entry)
    # as the injected sidecar runs it (legacy from the app's env)
    p = subprocess.run([str(turnout), "run", "--config", str(cfg), "--legacy-bootstrap",
                        "kafka-1.legacy.internal:9092", "--check"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "ok" in p.stdout, p.stderr
    # without the injected flag, the ConfigMap alone lacks the legacy cluster
    p = subprocess.run([str(turnout), "run", "--config", str(cfg), "--check"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "clusters.legacy" in p.stderr


def full_config(helm):
    _, docs = render(helm, VALUE_SETS["full-config"])
    [cm] = by_kind(docs, "ConfigMap")
    assert cm["metadata"]["name"] == "orders-routes"
    return cm["data"]["turnout.json"]


def test_full_config_values_accepted(helm, turnout, tmp_path):
    """The chart's ConfigMap can carry all of turnout's configuration
    (service, routes, mirror, per-cluster tls and sasl), and what it renders
    passes turnout's strict validation."""
    cfg_json = json.loads(full_config(helm))
    assert cfg_json["service"] == "orders"
    assert cfg_json["routes"]["groups"]["billing"] == "target"
    assert cfg_json["mirror"]["target_alias"] == "msk"
    assert cfg_json["clusters"]["target"]["tls"] == {}
    assert cfg_json["clusters"]["target"]["sasl"]["mechanism"] == "SCRAM-SHA-512"
    cfg = tmp_path / "turnout.json"
    cfg.write_text(json.dumps(cfg_json))
    cmd = [str(turnout), "run", "--config", str(cfg), "--legacy-bootstrap",
           "kafka-1.legacy.internal:9093", "--check", "--no-secrets"]
    env = {"PATH": "/usr/bin:/bin"}
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "ok (secrets not checked)" in p.stdout, p.stderr
    # a typo in a key is caught by turnout, not silently rendered into effect
    bad = dict(cfg_json, rootes=cfg_json["routes"])
    cfg.write_text(json.dumps(bad))
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "rootes" in p.stderr, p.stderr


def secret_refs(cfg):
    """(field, kind, value) for every file and variable the config's
    secrets come from."""
    refs = []
    for name, cl in cfg["clusters"].items():
        for k in ("ca_file", "cert_file", "key_file"):
            if k in cl.get("tls", {}):
                refs.append((f"clusters.{name}.tls.{k}", "file", cl["tls"][k]))
        sasl = cl.get("sasl", {})
        if "password_file" in sasl:
            refs.append((f"clusters.{name}.sasl", "file", sasl["password_file"]))
        if "password_env" in sasl:
            refs.append((f"clusters.{name}.sasl", "env", sasl["password_env"]))
    for k in ("cert_file", "key_file"):
        if k in cfg.get("listen_tls", {}):
            refs.append((f"listen_tls.{k}", "file", cfg["listen_tls"][k]))
    return refs


def unmet(refs, sidecar, volumes):
    """The refs the injected sidecar cannot satisfy: a file outside every
    Secret mounted from turnout.io/secrets, a variable not set from a Secret."""
    secret_dirs = {}
    for m in sidecar["volumeMounts"]:
        vol = volumes[m["name"]]
        if "secret" in vol:
            assert m["mountPath"] == "/etc/turnout-secrets/" + vol["secret"]["secretName"]
            assert m["readOnly"] is True
            secret_dirs[m["mountPath"]] = vol["secret"]["secretName"]
    env = {e["name"]: e for e in sidecar.get("env", [])}
    missing = []
    for field, kind, value in refs:
        if kind == "file" and str(Path(value).parent) not in secret_dirs:
            missing.append(field)
        if kind == "env" and "secretKeyRef" not in env.get(value, {}).get("valueFrom", {}):
            missing.append(field)
    return missing


def test_full_config_secrets_reach_sidecar(helm, turnout):
    """The workload's annotations give the injected sidecar every file and
    variable the chart's route config names."""
    refs = secret_refs(json.loads(full_config(helm)))
    assert len(refs) == 5
    manifest = ROOT / "tests" / "deploy" / "manifests" / "orders-secrets.yaml"
    p = subprocess.run([str(turnout), "inject", "--image", "t:1", "-f", str(manifest)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    spec = yaml_docs(p.stdout)[0]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert unmet(refs, spec["initContainers"][0], volumes) == []
    # the app container gets none of it
    assert "volumeMounts" not in spec["containers"][0]
    # without the annotations, the same check finds every ref unmet
    bare = manifest.read_text().replace("turnout.io/secrets:", "x-secrets:") \
        .replace("turnout.io/secret-env:", "x-secret-env:")
    p = subprocess.run([str(turnout), "inject", "--image", "t:1", "-f", "-"], input=bare,
                       capture_output=True, text=True, timeout=60)
    spec = yaml_docs(p.stdout)[0]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert unmet(refs, spec["initContainers"][0], volumes) == [r[0] for r in refs]


def test_full_config_check_finds_bad_secrets(helm, turnout, tls, tmp_path):
    """`turnout run --check` with the secrets laid out as the sidecar sees
    them: ok when all are there, and each broken one named by its field and
    file, without its content."""
    root = tmp_path / "secrets"
    text = full_config(helm).replace("/etc/turnout-secrets", str(root))
    cfg = tmp_path / "turnout.json"
    cfg.write_text(text)
    (root / "legacy-tls").mkdir(parents=True)
    (root / "legacy-kafka").mkdir()
    for src, dst in [("ca.crt", "ca.crt"), ("server.crt", "tls.crt"), ("server.key", "tls.key")]:
        (root / "legacy-tls" / dst).write_bytes((tls / src).read_bytes())
    password = root / "legacy-kafka" / "password"
    password.write_text("legacy-s3cret\n")
    env = {"PATH": "/usr/bin:/bin", "TURNOUT_TARGET_PASSWORD": "target-s3cret"}

    def check(env=env):
        p = subprocess.run([str(turnout), "run", "--config", str(cfg), "--legacy-bootstrap",
                            "kafka-1.legacy.internal:9093", "--check"], env=env,
                           capture_output=True, text=True, timeout=30)
        assert "s3cret" not in p.stdout + p.stderr
        assert "AddressSanitizer" not in p.stderr
        return p

    p = check()
    assert p.returncode == 0 and "ok, 5 secret(s) checked" in p.stdout, p.stderr

    password.write_text("\n")
    (root / "legacy-tls" / "tls.key").write_bytes((tls / "other.key").read_bytes())
    (root / "legacy-tls" / "ca.crt").write_text("legacy-s3cret\n")
    p = check(env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert lines[0] == f"turnout: config {cfg}: 4 secret problem(s):"
    assert lines[1:] == [
        f"clusters.legacy.tls.ca_file: {root}/legacy-tls/ca.crt: no PEM certificate in the file",
        f"clusters.legacy.tls.key_file: {root}/legacy-tls/tls.key: the key does not belong to "
        "the certificate in clusters.legacy.tls.cert_file",
        f"clusters.legacy.sasl: password_file {root}/legacy-kafka/password: empty or contains "
        "a NUL byte",
        "clusters.target.sasl: environment variable TURNOUT_TARGET_PASSWORD (password_env) is "
        "not set"]
    password.unlink()
    p = check()
    assert p.returncode == 1
    assert f"clusters.legacy.sasl: password_file {password}: No such file or directory" \
        in p.stderr


@pytest.mark.parametrize("values,want", [
    (["--set", "webhook.replicas=two"], "/webhook/replicas"),
    (["--set", "sidecar.mode=sideways"], "/sidecar/mode"),
    (["--set", "webhook.bogus=1"], "bogus"),
    (["--set", "sidecar.resources.memoryLimit=lots"], "/sidecar/resources/memoryLimit"),
    (["--set", "exampleRoutes.config.listen=0.0.0.0:9092"], "/exampleRoutes/config/listen"),
    (["--set", "exampleRoutes.config.routes=target"], "/exampleRoutes/config/routes"),
    (["--set", "exampleRoutes.config.admin.listen=0.0.0.0:9644"],
     "/exampleRoutes/config/admin/listen"),
    (["--set", "exampleRoutes.config.log.format=xml"], "/exampleRoutes/config/log/format"),
    (["--set", "exampleRoutes.config.clusters.target.sasl.username=u"],
     "/exampleRoutes/config/clusters/target/sasl"),
    # the configuration part comes from schema/turnout.schema.json
    (["--set", "exampleRoutes.config.routes.groups.g=nowhere"],
     "/exampleRoutes/config/routes/groups/g"),
    (["--set", "exampleRoutes.config.mirror.sourc_alias=x"], "sourc_alias"),
    (["--set", "exampleRoutes.config.cutover.quiet_ms=5"], "/exampleRoutes/config/cutover/quiet_ms"),
    (["--set", "exampleRoutes.config.clusters.target.bootstrap=nohost"],
     "/exampleRoutes/config/clusters/target/bootstrap"),
    (["--set", "certManager.issuerRef.kind=Vault"], "/certManager/issuerRef"),
])
def test_schema_rejects_bad_values(helm, values, want):
    p = helm_run(helm, "template", "tr", str(CHART), *values, check=False)
    assert p.returncode != 0
    assert want in p.stderr, p.stderr
    p = helm_run(helm, "lint", "--strict", str(CHART), *values, check=False)
    assert p.returncode != 0
