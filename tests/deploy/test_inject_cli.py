"""`turnout inject -f`: the webhook's mutation offline. The preview must
equal what the webhook does to the same pod, be valid Kubernetes, change
nothing when run twice, and its `-o patch` output must be a JSONPatch that
python3-jsonpatch applies to the original object."""

import copy
import json
import subprocess
from pathlib import Path

import jsonpatch
import yaml

from conftest import yaml_docs

MANIFESTS = Path(__file__).resolve().parent / "manifests"
DEPLOYMENT = MANIFESTS / "deployment.yaml"


def json_docs(text):
    """The JSON documents `-o json` writes one after another."""
    dec, docs, i = json.JSONDecoder(), [], 0
    while text[i:].strip():
        i += len(text[i:]) - len(text[i:].lstrip())
        doc, i = dec.raw_decode(text, i)
        docs.append(doc)
    return docs


def inject(turnout, *args, stdin=None):
    p = subprocess.run([str(turnout), "inject", "--image", "registry.example/turnout:1.0", *args],
                       input=stdin, capture_output=True, text=True, timeout=60)
    assert "AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    return p


def test_preview_yaml(turnout, k8s_validate):
    p = inject(turnout, "-f", str(DEPLOYMENT))
    assert p.returncode == 0, p.stderr
    assert "Deployment/orders: injected" in p.stderr
    assert "Service/orders: no pod template, unchanged" in p.stderr
    docs = yaml_docs(p.stdout)
    original = yaml_docs(DEPLOYMENT.read_text())
    assert len(docs) == 2 and docs[1] == original[1]
    spec = docs[0]["spec"]["template"]["spec"]
    assert spec["initContainers"][0]["name"] == "turnout"
    assert spec["containers"][0]["env"][0] == {"name": "KAFKA_BOOTSTRAP_SERVERS",
                                               "value": "127.0.0.1:9092"}
    # a quoted "on" stays a string, the $(VAR) reference is untouched
    assert spec["containers"][0]["env"][1] == {"name": "LOG_LEVEL", "value": "on"}
    assert spec["containers"][0]["args"] == ["--brokers", "$(KAFKA_BOOTSTRAP_SERVERS)"]
    assert k8s_validate(docs) == {("Deployment", "orders"): [], ("Service", "orders"): []}


def test_preview_twice_changes_nothing(turnout):
    first = inject(turnout, "-f", str(DEPLOYMENT))
    second = inject(turnout, "-f", "-", stdin=first.stdout)
    assert second.returncode == 0
    assert "skipped: already injected" in second.stderr
    assert second.stdout == first.stdout


def test_patch_output_applies(turnout):
    p = inject(turnout, "-f", str(DEPLOYMENT), "-o", "patch")
    assert p.returncode == 0, p.stderr
    patches = [json.loads(l) for l in p.stdout.splitlines()]
    assert len(patches) == 1
    assert all(op["path"].startswith("/spec/template/") for op in patches[0])
    original = yaml_docs(DEPLOYMENT.read_text())[0]
    patched = jsonpatch.JsonPatch(patches[0]).apply(original)
    preview = yaml_docs(inject(turnout, "-f", str(DEPLOYMENT)).stdout)[0]
    assert patched == preview


def test_preview_equals_webhook(turnout, webhook):
    """One core, two front ends: the preview of a Deployment's template and
    the webhook's patch of a Pod made from that template agree."""
    from test_webhook import decoded, review
    deployment = yaml_docs(DEPLOYMENT.read_text())[0]
    template = deployment["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": dict(template["metadata"], generateName="orders-5f7c9-"),
           "spec": template["spec"]}
    req = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
           "request": {"uid": "same-core", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                       "operation": "CREATE", "namespace": "shop", "object": pod}}
    patch = decoded(review(webhook, req))["response"]["patch"]
    via_webhook = jsonpatch.JsonPatch(patch).apply(pod)
    preview = yaml_docs(inject(turnout, "-f", str(DEPLOYMENT)).stdout)[0]
    assert via_webhook["spec"] == preview["spec"]["template"]["spec"]
    assert via_webhook["metadata"]["annotations"] == \
        preview["spec"]["template"]["metadata"]["annotations"]


def test_json_list_and_cronjob(turnout, k8s_validate):
    deployment = yaml_docs(DEPLOYMENT.read_text())[0]
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
                "metadata": {"annotations": {"turnout.io/inject": "true",
                                             "turnout.io/config": "orders-routes"}},
                "spec": {"restartPolicy": "OnFailure", "containers": [{
                    "name": "report", "image": "registry.example/report:1",
                    "env": [{"name": "KAFKA_BOOTSTRAP_SERVERS", "value": "k:9092"}]}]}}}}}}
    listing = {"apiVersion": "v1", "kind": "List", "items": [deployment, cron]}
    p = inject(turnout, "-f", "-", stdin=json.dumps(listing))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)  # JSON in, JSON out
    items = out["items"]
    job_spec = items[1]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert job_spec["initContainers"][0]["env"][0]["value"] == "k:9092"
    assert items[0]["spec"]["template"]["spec"]["initContainers"][0]["name"] == "turnout"
    assert k8s_validate(items) == {("Deployment", "orders"): [], ("CronJob", "nightly"): []}


def test_container_mode_preview(turnout, k8s_validate):
    p = inject(turnout, "-f", str(DEPLOYMENT), "--sidecar-mode", "container", "-o", "json")
    assert p.returncode == 0, p.stderr
    dep, service = json_docs(p.stdout)
    assert service["kind"] == "Service"
    spec = dep["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["containers"]] == ["turnout", "app"]
    assert "restartPolicy" not in spec["containers"][0]
    assert "initContainers" not in spec
    assert k8s_validate([dep]) == {("Deployment", "orders"): []}


def test_refusal_and_bad_input(turnout, tmp_path):
    dep = yaml_docs(DEPLOYMENT.read_text())[0]
    bad = copy.deepcopy(dep)
    del bad["spec"]["template"]["metadata"]["annotations"]["turnout.io/config"]
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(bad))
    p = inject(turnout, "-f", str(f))
    assert p.returncode == 1
    assert "NOT injected: annotation turnout.io/config (the route ConfigMap) is missing" in p.stderr
    assert yaml_docs(p.stdout)[0] == bad  # passed through unchanged

    for text, want in [("a: [1\n", "line 2"), ("a: 1\na: 2\n", "duplicate key a"),
                       ("x: &a [1]\ny: *a\n", "aliases"), ("{\"a\": ", "not valid JSON")]:
        f.write_text(text)
        p = inject(turnout, "-f", str(f))
        assert p.returncode == 1 and want in p.stderr, p.stderr
    p = inject(turnout, "-f", str(tmp_path / "missing.yaml"))
    assert p.returncode == 1 and "cannot open" in p.stderr
    p = inject(turnout, "-f", str(DEPLOYMENT), "--sidecar-mode", "sideways")
    assert p.returncode == 2 and "native or container" in p.stderr
